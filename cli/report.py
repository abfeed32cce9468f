"""`saylau report`: a results page people can open, as one self-contained HTML file."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from cli.options import jobs_option, output_option, seed_option
from cli.output import UserError, check_folder, emit, user_errors, warn

__all__ = ["replay_forensics", "report"]


def _require_jinja2() -> None:
    try:
        import jinja2  # noqa: F401
    except ImportError:
        msg = "saylau report needs jinja2: pip install 'saylau[page]' (or pip install jinja2)"
        raise UserError(msg) from None


@click.command()
@click.argument("file", type=click.Path(dir_okay=False))
@output_option
@click.option("--simulate", is_flag=True,
              help="the page of a simulation of FILE instead of its replay")
@click.option("--runs", "-n", type=click.IntRange(min=1), default=None,
              help="with --simulate: elections to simulate  [default: 10,000]")
@seed_option("fixes the simulation, and the forensics' draws on a replay's precincts")
@jobs_option
@click.option("--chunk-runs", type=click.IntRange(min=1), default=None,
              help="with --simulate: runs drawn at once; bounds memory, never changes results")
@click.option("--from", "source", type=click.Path(dir_okay=False), default=None,
              help="with --simulate: calibrate the means from this historical scenario")
@click.option("--cycles", type=click.IntRange(min=1), default=None,
              help="with --simulate: this many successive terms of every race, as a series")
@click.option("--no-forensics", is_flag=True,
              help="leave out the forensic tests of a precinct file (most of the time a large "
              "file's page takes)")
@user_errors
def report(file: str, output: str | None, simulate: bool, runs: int | None, seed: int,
           jobs: int | None, chunk_runs: int | None, source: str | None,
           cycles: int | None, no_forensics: bool) -> None:
    """Write FILE's results as one HTML page that works offline: its replay, or a simulation.

    The replay's page: the headline, the published figures that do not hold, inferred counts,
    results by level, every race, and where there are precincts the turnout histogram, the
    fingerprint and the forensic tests. With --simulate: win probabilities, failed outcomes,
    turnout and margins, races won per party and area (or, with --cycles, the series)."""
    given = [name for name, value in (("--runs", runs), ("--chunk-runs", chunk_runs),
                                      ("--from", source), ("--cycles", cycles),
                                      ("--jobs", jobs)) if value is not None]
    if given and not simulate:
        msg = f"{', '.join(given)} go{'es' * (len(given) == 1)} with --simulate"
        raise UserError(msg)
    if no_forensics and simulate:
        msg = "--no-forensics goes with a replay's page; a simulation's has no forensics"
        raise UserError(msg)
    _require_jinja2()
    check_folder(output, "--output")
    # the engine is imported when the command runs: start-up time of `saylau --help`
    from engine.formats.scenario import load

    if source is not None:
        load(source)  # a bad --from file is named before anything runs
    scenario = load(file)
    warn(scenario.warnings)
    name = Path(file).name
    if simulate:
        text = _simulation(scenario, name, source, runs or 10_000, seed, jobs, chunk_runs,
                           cycles)
    else:
        text = _replay(scenario, name, seed, forensics=not no_forensics)
    emit(text, output)


def _replay(scenario: Any, name: str, seed: int, *, forensics: bool = True) -> str:
    from cli.report_render import render
    from cli.report_replay import replay_page
    from engine.replay.run import replay  # when run: start-up

    rp = replay(scenario)
    tests = None
    if forensics and any(race.precincts is not None for race in scenario.races):
        tests = replay_forensics(rp, seed)
    page = replay_page(rp, tests)
    e = page["d"]["election"]
    n = len(page["d"]["races"])
    subtitle = " · ".join(x for x in (e["date"] or "date unknown", f"rules {page['rules']}",
                                      f"{n:,} race{'s' * (n != 1)}", f"replay of {name}") if x)
    seeded = f" --seed {seed}" if tests is not None else ""
    flags = seeded or ("" if forensics else " --no-forensics")
    return render("base.html.j2", title=e["name"], subtitle=subtitle, p=page,
                  sections=page["sections"], command=f"saylau report {name}{flags}",
                  json_command=f"saylau replay {name} --format json"
                  + (f"; saylau forensics {name} --format json{seeded}" if seeded else ""))


def replay_forensics(rp: Any, seed: int) -> dict[str, Any]:
    """The forensics of a replay's precincts, as `saylau forensics --format json` gives them."""
    from cli.election import examined, replayed
    from cli.forensics_render import forensics_dict
    from cli.report_forensics import forensics_section
    e = replayed(rp)
    return forensics_section(forensics_dict(e, examined(e, seed, rp.scenario.file)))


def _simulation(scenario: Any, name: str, source: str | None, runs: int, seed: int,
                jobs: int | None, chunk_runs: int | None, cycles: int | None) -> str:
    from cli import report_simulation as pages
    from cli.report_render import render
    from cli.simulate import cycled, indirect_round, simulated
    from cli.simulate_render import simulation_dict
    from engine.simulation.setup import setup  # when run: start-up

    flags = f" --simulate --runs {runs} --seed {seed}"
    how = f" --runs {runs} --seed {seed}"
    if source is not None:
        flags += f" --from {Path(source).name}"
        how += f" --from {Path(source).name}"
    if scenario.election.rules.kind == "indirect":
        if cycles is not None:
            msg = "--cycles goes with direct elections; this round is indirect"
            raise UserError(msg)
        from cli.rounds_render import round_dict

        ind, counts = indirect_round(scenario, source, runs, seed)
        page = pages.round_page(round_dict(ind, counts, seed))
    else:
        st = setup(scenario, source)
        if cycles is not None:
            from cli.cycles_render import cycles_dict

            flags += f" --cycles {cycles}"
            how += f" --cycles {cycles}"
            summary, cm = cycled(st, cycles, runs, seed, jobs, chunk_runs)
            page = pages.cycles_page(cycles_dict(st, summary, cm, seed))
        else:
            summary = simulated(st, runs, seed, jobs, chunk_runs)
            page = pages.simulation_page(simulation_dict(st, summary, seed),
                                         scenario.election.nation)
    d = page["d"]
    subtitle = " · ".join(("simulation", f"rules {scenario.election.rules.label}",
                           f"{d['runs']:,} runs", f"seed {seed}", f"of {name}"))
    return render("base.html.j2", title=scenario.election.name, subtitle=subtitle, p=page,
                  sections=page["sections"], command=f"saylau report {name}{flags}",
                  json_command=f"saylau simulate {name}{how} --format json")
