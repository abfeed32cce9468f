"""`saylau simulate`: Monte-Carlo runs of a scenario, calibrated from a replay if asked."""

from __future__ import annotations

import sys
import time

import click

from cli import cycles_render, rounds_render, simulate_render
from cli.cluster import backend
from cli.options import (
    format_option,
    jobs_option,
    memory_option,
    output_option,
    scheduler_option,
    seed_option,
)
from cli.output import (
    UserError,
    check_folder,
    emit,
    output_callback,
    require_matplotlib,
    user_errors,
    warn,
)
from engine.limits import MAX_CYCLES, MAX_RUNS

__all__ = ["cycled", "indirect_round", "simulate", "simulated"]

PROGRESS_AFTER = 2.0  # seconds before a progress bar appears (on a terminal only)


def _on_terminal() -> bool:
    return sys.stderr.isatty()


class _Progress:
    """A one-line progress bar on stderr, shown only on a terminal and after 2 s; fed the runs
    finished (by the threads' chunks, or the cluster's finished tasks)."""

    def __init__(self, runs: int) -> None:
        self.runs = runs
        self.start = time.monotonic()
        self.shown = False
        self.tty = _on_terminal()

    def __call__(self, done: int) -> None:
        if not self.tty or time.monotonic() - self.start < PROGRESS_AFTER:
            return
        self.shown = True
        width = 30
        fill = width * done // self.runs
        click.echo(f"\rsimulating [{'#' * fill}{'.' * (width - fill)}] {done:,}/{self.runs:,}"
                   " runs", err=True, nl=False)

    def close(self) -> None:
        if self.shown:
            click.echo(err=True)

    def __enter__(self) -> _Progress:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()  # the bar's line ended, whether the runs finished or failed


@click.command()
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--runs", "-n", type=click.IntRange(min=1, max=MAX_RUNS), default=10_000,
              show_default=True, help="elections to simulate")
@seed_option("the same seed gives the same bytes, whatever --jobs, --chunk-runs, --scheduler")
@jobs_option
@scheduler_option
@click.option("--chunk-runs", type=click.IntRange(min=1), default=None,
              help="runs drawn at once; bounds memory, never changes results")
@click.option("--from", "source", type=click.Path(dir_okay=False), default=None,
              help="calibrate the means from this historical scenario (replayed)")
@format_option("table", "json", "csv")
@output_option
@click.option("--cycles", type=click.IntRange(min=1, max=MAX_CYCLES), default=None,
              help="simulate this many successive terms of every race: incumbents, the term "
              "limit, early elections")
@click.option("--plot", "plot_path", type=click.Path(dir_okay=False), default=None,
              callback=output_callback,
              help="also draw win probabilities and margins to this PNG (needs saylau[plot])")
@memory_option
@user_errors
def simulate(file: str, runs: int, seed: int, jobs: int | None, scheduler: str | None,
             chunk_runs: int | None, source: str | None, fmt: str, output: str | None,
             cycles: int | None, plot_path: str | None, memory: int | None) -> None:
    """Simulate FILE: win probabilities, failed-election risk, turnout and margins."""
    # the engine is imported when the command runs: start-up time of `saylau --help`
    from engine.formats.scenario import load
    from engine.simulation.budget import fits
    from engine.simulation.setup import setup

    check_folder(output)  # before the runs, not after them
    check_folder(plot_path, "--plot")
    if plot_path is not None:
        require_matplotlib()
    if source is not None:
        load(source)  # a bad --from file is named before anything runs
    scenario = load(file)
    warn(scenario.warnings)
    if scenario.election.rules.kind == "indirect":
        if cycles is not None or plot_path is not None:
            msg = "--cycles and --plot go with direct elections; this round is indirect"
            raise UserError(msg)
        _indirect(scenario, source, runs, seed, fmt, output, jobs, scheduler, chunk_runs,
                  memory)
        return
    st = setup(scenario, source)
    # a block of runs (or the chunk asked for) within --memory, before any work
    fits(st.model, memory, chunk_runs=chunk_runs, file=scenario.file)
    if cycles is not None:
        if plot_path is not None:
            msg = "--plot draws one election; it does not go with --cycles"
            raise UserError(msg)
        _cycles(st, cycles, runs, seed, jobs, scheduler, chunk_runs, fmt, output)
        return
    summary = simulated(st, runs, seed, jobs, chunk_runs, scheduler, memory)
    render = {"table": simulate_render.to_table, "json": simulate_render.to_json,
              "csv": simulate_render.to_csv}[fmt]
    if plot_path is not None:  # the picture first: a bad path fails before anything is printed
        emit(simulate_render.plot(st, summary), plot_path)
    emit(render(st, summary, seed), output)


def simulated(st, runs: int, seed: int, jobs: int | None, chunk_runs: int | None,
              scheduler: str | None = None, memory: int | None = None):
    """The summary of ``runs`` simulated elections of ``st`` (a progress bar on a terminal), on
    threads or, with ``scheduler``, on a Dask cluster."""
    from engine.simulation.runner import run  # when run: start-up

    with backend(scheduler, jobs) as where, _Progress(runs) as progress:
        return run(st.model, st.rules, runs, seed, jobs=jobs, chunk_runs=chunk_runs,
                   grouping=st.grouping, progress=progress, backend=where, memory=memory)


def _cycles(st, cycles: int, runs: int, seed: int, jobs: int | None, scheduler: str | None,
            chunk_runs: int | None, fmt: str, output: str | None) -> None:
    summary, cm = cycled(st, cycles, runs, seed, jobs, chunk_runs, scheduler)
    render = {"table": cycles_render.cycles_table, "json": cycles_render.cycles_json,
              "csv": cycles_render.cycles_csv}[fmt]
    emit(render(st, summary, cm, seed), output)


def cycled(st, cycles: int, runs: int, seed: int, jobs: int | None, chunk_runs: int | None,
           scheduler: str | None = None):
    """``cycles`` successive terms of every race of ``st``, simulated ``runs`` times on the
    legal calendar: the summary and the cycle model (incumbents stand, their advantage, early
    terminations)."""
    # when run: start-up
    from engine.errors import ScenarioError
    from engine.law.calendar import DEADLINES
    from engine.simulation.cycles import CycleModel, run_cycles

    spec = st.scenario.model
    first_vote = st.scenario.election.date
    if first_vote is None:
        raise ScenarioError(st.scenario.file, "election.date", "--cycles dates every election "
                            "from the first vote; give the election's date")
    if st.rules.name not in DEADLINES:
        raise ScenarioError(st.scenario.file, "election.rules", "--cycles follows the legal "
                            f"timetable, and the {st.rules.name} rules have none (timetables: "
                            f"{', '.join(sorted(DEADLINES))})")
    given = {} if spec is None else {
        k: v for k, v in (("stand", spec.succession.incumbent_stands),
                          ("advantage", spec.succession.incumbency_advantage),
                          ("early", spec.succession.early_termination)) if v is not None}
    cm = CycleModel.of(st.rules, len(st.races), cycles, first_vote=first_vote,
                       incumbent=[r.incumbent for r in st.races],
                       served=[r.terms_held for r in st.races], **given)
    with backend(scheduler, jobs) as where, _Progress(runs) as progress:
        summary = run_cycles(st.model, st.rules, cm, runs, seed, jobs=jobs,
                             chunk_runs=chunk_runs, progress=progress, backend=where)
    return summary, cm


def _indirect(scenario, source: str | None, runs: int, seed: int, fmt: str,
              output: str | None, jobs: int | None = None, scheduler: str | None = None,
              chunk_runs: int | None = None, memory: int | None = None) -> None:
    ind, counts = indirect_round(scenario, source, runs, seed, jobs, scheduler, chunk_runs,
                                 memory)
    render = {"table": rounds_render.round_table, "json": rounds_render.round_json,
              "csv": rounds_render.round_csv}[fmt]
    emit(render(ind, counts, seed), output)


def indirect_round(scenario, source: str | None, runs: int, seed: int,
                   jobs: int | None = None, scheduler: str | None = None,
                   chunk_runs: int | None = None, memory: int | None = None):
    """A round of maslikhat votes, simulated ``runs`` times at the file's parameters: its
    setup and the counts of every run (on ``jobs`` threads, or on the Dask cluster at
    ``scheduler``: the same bytes)."""
    # when run: start-up
    from engine.simulation.blocks import Threads
    from engine.simulation.indirect_job import fits_round, round_on
    from engine.simulation.indirect_setup import indirect_setup
    from engine.tally.threads import cores

    ind = indirect_setup(scenario, source)
    fits_round(ind.round, memory, chunk_runs, scenario.file)  # before any work
    with backend(scheduler, jobs) as where, _Progress(runs) as progress:
        counts = round_on(where or Threads(cores() if jobs is None else jobs), ind.round,
                          ind.rules, ind.deputies, runs=runs, seed=seed,
                          chunk_runs=chunk_runs, memory=memory, progress=progress)
    return ind, counts
