"""End to end: ``saylau replay`` in a fresh process, interpreter start-up included.

Two elections: the shipped 2021 rural round (scenarios/historical/kz-2021-rural.toml) and a
synthetic, seeded CSV election of 100,000 precincts (``races`` races with 5 to 7 candidates, 7
option columns, the last ones empty where a race has fewer; rows shuffled; two area levels).
Each is timed as the command (what a user waits for) and as the library call
``replay(load(path))``; beside them, what start-up alone costs: ``python -c pass`` and importing
saylau's command line (``import cli.main``).

Targets (issues 2 and 3): the 100,000-precinct replay under 3 s, the 2021 replay under 0.5 s.
"""

from __future__ import annotations

import csv
import sys
import tempfile
from pathlib import Path

import numpy as np

from benchmarks.timing import child_process, median_seconds
from engine.formats.scenario import load
from engine.replay.run import replay

__all__ = ["bench_historical", "bench_replay", "bench_startup", "find_scenario",
           "make_election", "render", "render_historical", "scaling_points"]

TARGET_HELP = 0.2  # saylau --help, start-up included (issue 14)
TARGET_SEMEY = 0.35  # saylau replay semey-2025, start-up included (issue 14)
TARGET_HISTORICAL = 0.5  # issue 3: the whole 2021 replay in under 0.5 s
SEED = 20231105
TARGET_SECONDS = 3.0  # issue 2: 100,000 precincts, 7 options, end to end in under 3 s
OPTIONS = 7
_SAYLAU = [sys.executable, "-c", "from cli.main import main; main()"]


def find_scenario(name: str) -> Path | None:
    """The shipped scenario ``name`` beside this checkout or under the working folder."""
    for root in (Path(__file__).resolve().parents[1], Path.cwd()):
        path = root / "scenarios" / "historical" / f"{name}.toml"
        if path.is_file():
            return path
    return None


def make_election(directory: Path, n_precincts: int, n_races: int, seed: int = SEED) -> Path:
    """Write ``election.toml`` and ``rows.csv`` into ``directory``; returns the scenario path."""
    rng = np.random.default_rng([seed, n_precincts, n_races])
    n_candidates = rng.integers(5, OPTIONS + 1, size=n_races)
    race = rng.permutation(np.arange(n_precincts) % n_races)  # every race has a precinct
    registered = rng.integers(200, 3000, size=n_precincts)
    cast = (registered * rng.uniform(0.4, 0.9, size=n_precincts)).astype(np.int64)
    invalid = rng.binomial(cast, 0.02)
    against_all = rng.binomial(cast - invalid, 0.04)
    shares = rng.dirichlet(np.ones(OPTIONS), size=n_precincts)
    shares[np.arange(OPTIONS) >= n_candidates[race][:, None]] = 0
    shares /= shares.sum(axis=1, keepdims=True)
    votes = rng.multinomial(cast - invalid - against_all, shares)
    lines = ['[election]\nname = "synthetic: 100,000-precinct benchmark"\n'
             'rules = "kz-2021-rural"\n']
    for r in range(n_races):
        lines.append(f'[[race]]\nid = "r{r}"\n')
        lines.extend(f'[[race.candidate]]\nname = "candidate {k + 1} of r{r}"\n'
                     for k in range(n_candidates[r]))
    header = [f"Кандидат {k + 1}" for k in range(OPTIONS)]
    lines.append('[precincts]\nfile = "rows.csv"\n[precincts.columns]\nrace = "Округ"\n'
                 'precinct = "УИК"\nregistered = "Избиратели"\ncast = "Бюллетени"\n'
                 'invalid = "Недействительные"\nagainst_all = "Против всех"\n'
                 f'candidates = {header!r}\narea = ["Область", "Район"]\n'.replace("'", '"'))
    scenario = directory / "election.toml"
    scenario.write_text("".join(lines), encoding="utf-8")
    with (directory / "rows.csv").open("w", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        w.writerow(["Округ", "УИК", "Избиратели", "Бюллетени", "Недействительные",
                    "Против всех", *header, "Область", "Район"])
        for p in range(n_precincts):
            r = int(race[p])
            cells = [str(v) if k < n_candidates[r] else "" for k, v in enumerate(votes[p])]
            w.writerow([f"r{r}", p, registered[p], cast[p], invalid[p], against_all[p], *cells,
                        f"region {r % 17}", f"district {r % 211}"])
    return scenario


def _command(args: list[str]) -> None:
    done = child_process(args)
    if done.returncode != 0:
        msg = f"{' '.join(args[3:])}: exit {done.returncode}\n{done.stderr}"
        raise RuntimeError(msg)


def bench_replay(n_precincts: int = 100_000, n_races: int = 2_000, repeat: int = 3) -> dict:
    """Median seconds of the command and of the library call on one seeded election."""
    with tempfile.TemporaryDirectory() as tmp:
        scenario = make_election(Path(tmp), n_precincts, n_races)
        rp = replay(load(scenario))  # checks the data, and warms up, before anything is timed
        if int(rp.races.totals.cast.sum()) <= 0 or len(rp.scenario.races) != n_races:
            msg = "the synthetic election did not replay as generated: nothing timed"
            raise AssertionError(msg)
        out = Path(tmp) / "result.json"
        command = [*_SAYLAU, "replay", str(scenario), "--format", "json", "--output", str(out)]
        return {
            "n_precincts": n_precincts,
            "n_races": n_races,
            "options": OPTIONS,
            "csv_mb": (Path(tmp) / "rows.csv").stat().st_size / 1e6,
            "command_s": median_seconds(lambda: _command(command), repeat, warm_up=False),
            "library_s": median_seconds(lambda: replay(load(scenario)), repeat,
                                        warm_up=False),
        }


def bench_startup(repeat: int = 5) -> dict[str, float]:
    """Median seconds of a bare interpreter, of one that imports saylau's command line, of
    ``saylau --help`` and of ``saylau replay`` on the Semey 2025 scenario (when at hand)."""
    def timed(command: list[str]) -> float:
        return median_seconds(lambda: _command(command), max(repeat, 5), warm_up=False)

    out = {"python_s": timed([sys.executable, "-c", "pass"]),
           "import_cli_s": timed([sys.executable, "-c", "import cli.main"]),
           "help_s": timed([*_SAYLAU, "--help"])}
    semey = find_scenario("semey-2025")
    if semey is not None:
        out["semey_s"] = timed([*_SAYLAU, "replay", str(semey)])
    return out


def render(result: dict) -> str:
    """The 100,000-precinct replay as text."""
    met = "met" if result["command_s"] < TARGET_SECONDS else "NOT met"
    return (
        f"replay end to end, {result['n_precincts']:,} precincts in {result['n_races']:,} "
        f"races, {result['options']} options, CSV {result['csv_mb']:.1f} MB "
        f"(target: < {TARGET_SECONDS:.0f} s)\n"
        f"  saylau replay --format json --output (fresh process): {result['command_s']:.2f} s"
        f"  {met}\n"
        f"  replay(load(path)) in process:                        {result['library_s']:.2f} s"
    )


def bench_historical(name: str = "kz-2021-rural", repeat: int = 5) -> dict | None:
    """Median seconds to replay a shipped scenario: in process, and as the command; None when
    the scenarios are not at hand (an installed copy without its checkout)."""
    scenario = find_scenario(name)
    if scenario is None:
        return None
    rp = replay(load(scenario))  # the warm-up
    return {
        "scenario": name,
        "checks": len(rp.checks),
        "library_s": median_seconds(lambda: replay(load(scenario)), max(repeat, 5)),
        "command_s": median_seconds(lambda: _command([*_SAYLAU, "replay", str(scenario)]),
                                    repeat, warm_up=False),
    }


def render_historical(result: dict | None, startup: dict[str, float] | None = None) -> str:
    """The shipped scenario's replay (and the start-up costs) as text."""
    if result is None:
        return ("replay of kz-2021-rural: skipped, scenarios/historical/ not found (run from a"
                " checkout of saylau)")
    met = "met" if result["command_s"] < TARGET_HISTORICAL else "NOT met"
    lines = [f"replay of {result['scenario']} ({result['checks']} published figures checked;"
             f" target < {TARGET_HISTORICAL} s)",
             f"  saylau replay (fresh process, table):                 "
             f"{result['command_s']:.3f} s  {met}",
             f"  replay(load(path)) in process:                        "
             f"{result['library_s']:.3f} s"]
    if startup:
        lines += [f"  start-up alone: python -c pass {startup['python_s']:.3f} s;"
                  f" python -c 'import cli.main' {startup['import_cli_s']:.3f} s;"
                  f" saylau --help {startup['help_s']:.3f} s (target < {TARGET_HELP} s)"]
        if "semey_s" in startup:
            lines += [f"  saylau replay semey-2025 (fresh process):             "
                      f"{startup['semey_s']:.3f} s (target < {TARGET_SEMEY} s)"]
    return "\n".join(lines)


def scaling_points(results: list[dict]) -> list[tuple[str, str, int, float]]:
    """(case, contender, precincts, seconds) of the CSV replays at each size."""
    return [("replay end to end (precincts)", name, r["n_precincts"], r[f"{name}_s"])
            for r in results for name in ("command", "library")]
