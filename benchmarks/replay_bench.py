"""A whole replay from a large precinct CSV: load, parse, tally, reconcile, render, write.

The election is synthetic and seeded: ``races`` races with 5 to 7 candidates each (7 option
columns, the last ones empty where a race has fewer), ``precincts`` rows in shuffled order,
two area levels. It is timed two ways: the ``saylau replay`` command in a fresh process (what a
user waits for, interpreter start included) and the library call ``replay(load(path))``.
Target (issue 2): 100,000 precincts, 7 options, end to end in under 3 s.
"""

from __future__ import annotations

import csv
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

from benchmarks.tally_bench import median_seconds
from engine.replay import replay
from engine.scenario import load

__all__ = ["bench_historical", "bench_replay", "make_election"]

HISTORICAL = Path(__file__).resolve().parents[1] / "scenarios" / "historical"
TARGET_HISTORICAL = 0.5  # issue 3: the whole 2021 replay in under 0.5 s

SEED = 20231105
TARGET_SECONDS = 3.0
OPTIONS = 7


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


def bench_replay(n_precincts: int = 100_000, n_races: int = 2_000, repeat: int = 3) -> dict:
    """Median seconds of the command and of the library call on one seeded election."""
    with tempfile.TemporaryDirectory() as tmp:
        scenario = make_election(Path(tmp), n_precincts, n_races)
        rp = replay(load(scenario))  # checks the data before anything is timed
        assert int(rp.races.totals.cast.sum()) > 0 and len(rp.scenario.races) == n_races
        out = Path(tmp) / "result.json"
        command = [sys.executable, "-c", "from cli.main import main; main()", "replay",
                   str(scenario), "--format", "json", "--output", str(out)]

        def cli() -> None:
            subprocess.run(command, check=True, capture_output=True)

        return {
            "n_precincts": n_precincts,
            "n_races": n_races,
            "options": OPTIONS,
            "csv_mb": (Path(tmp) / "rows.csv").stat().st_size / 1e6,
            "command_s": median_seconds(cli, repeat),
            "library_s": median_seconds(lambda: replay(load(scenario)), repeat),
        }


def render(result: dict) -> str:
    met = "met" if result["command_s"] < TARGET_SECONDS else "NOT met"
    return (
        f"replay end to end, {result['n_precincts']:,} precincts in {result['n_races']:,} "
        f"races, {result['options']} options, CSV {result['csv_mb']:.1f} MB "
        f"(target: < {TARGET_SECONDS:.0f} s)\n"
        f"  saylau replay --format json --output (fresh process): {result['command_s']:.2f} s"
        f"  {met}\n"
        f"  replay(load(path)) in process:                        {result['library_s']:.2f} s\n"
    )


def bench_historical(name: str = "kz-2021-rural", repeat: int = 5) -> dict:
    """Median seconds to replay a shipped scenario: in process, and as the command."""
    scenario = HISTORICAL / f"{name}.toml"
    command = [sys.executable, "-c", "from cli.main import main; main()", "replay",
               str(scenario)]
    rp = replay(load(scenario))
    return {
        "scenario": name,
        "checks": len(rp.checks),
        "library_s": median_seconds(lambda: replay(load(scenario)), repeat),
        "command_s": median_seconds(lambda: subprocess.run(command, check=True,
                                                     capture_output=True), repeat),
    }


def render_historical(result: dict) -> str:
    met = "met" if result["command_s"] < TARGET_HISTORICAL else "NOT met"
    return (f"replay of {result['scenario']} ({result['checks']} published figures checked; "
            f"target < {TARGET_HISTORICAL} s)\n"
            f"  saylau replay (fresh process, table):                 {result['command_s']:.3f} s"
            f"  {met}\n"
            f"  replay(load(path)) in process:                        {result['library_s']:.3f} s\n")
