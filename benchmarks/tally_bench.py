"""saylau's tally kernels against the obvious numpy baselines, measured side by side.

Ballot tallies: ``engine.ballots.count_codes`` vs ``np.bincount(minlength=...)`` vs a pure
Python loop (on a subsample, scaled per ballot), on the same seeded uint8 array.
Precinct aggregation: ``engine.tally.sum_by_group`` (the compiled one-pass kernel) vs
``np.add.reduceat``, both on the same race-sorted rows (the sort is done beforehand, not timed),
and ``sum_by_group`` on the rows unsorted, which reduceat cannot take.

Every case checks that all contenders give the same counts before anything is timed; every
figure is the median of repeated runs in this one process.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
import scipy

import engine.ballots
import engine.tally
from engine.tally import sum_by_group

__all__ = [
    "bench_ballots",
    "bench_precincts",
    "environment",
    "main",
    "make_ballots",
    "make_precincts",
    "median_seconds",
    "python_loop_count",
    "reduceat_by_race",
    "render",
    "run",
]

SEED = 20211010  # any fixed value: the data are the same in every run
BALLOT_OPTIONS = (2, 7, 16)
BALLOTS_FULL = 10**7
BALLOTS_QUICK = 10**6
PYTHON_SAMPLE = 10**5  # the pure Python loop runs on this many ballots and is scaled
PRECINCT_CASES_FULL = ((10**5, 730), (10**6, 10**4), (10**6, 10**5), (10**7, 10**5))
PRECINCT_CASES_QUICK = PRECINCT_CASES_FULL[:3]
PRECINCT_COLUMNS = 11  # registered, cast, invalid, against_all and up to 7 candidates
TARGET_BALLOTS = 4.0  # issue: ballot tally >= 4x np.bincount on one core, up to 16 options
TARGET_PRECINCTS = 5.0  # issue: precinct rows -> races >= 5x np.add.reduceat


def make_ballots(n: int, n_codes: int, seed: int = SEED) -> np.ndarray:
    """(n,) uint8 codes in [0, n_codes), drawn with uneven seeded shares like a real race."""
    rng = np.random.default_rng([seed, n_codes])
    shares = rng.dirichlet(np.ones(n_codes))
    cut = np.cumsum(shares)
    cut[-1] = 1.0
    return np.searchsorted(cut, rng.random(n), side="right").astype(np.uint8)


def python_loop_count(codes: bytes, n_codes: int) -> list[int]:
    """The pure Python tally: one list increment per ballot."""
    counts = [0] * n_codes
    for c in codes:
        counts[c] += 1
    return counts


def make_precincts(
    n_rows: int, n_races: int, n_cols: int = PRECINCT_COLUMNS, seed: int = SEED
) -> tuple[np.ndarray, np.ndarray]:
    """Seeded precinct rows: values (P, C) int64 in [0, 3000), race (P,) int64 in any order."""
    rng = np.random.default_rng([seed, n_rows, n_races])
    values = rng.integers(0, 3000, size=(n_rows, n_cols), dtype=np.int64)
    race = rng.integers(0, n_races, size=n_rows, dtype=np.int64)
    return values, race


def reduceat_by_race(
    sorted_values: np.ndarray, starts: np.ndarray, nonempty: np.ndarray, n_races: int
) -> np.ndarray:
    """Race sums from race-sorted rows with ``np.add.reduceat``; empty races stay 0.

    (reduceat returns a row, not 0, for an empty segment, so only non-empty starts are used.)
    """
    out = np.zeros((n_races, sorted_values.shape[1]), dtype=np.int64)
    out[nonempty] = np.add.reduceat(sorted_values, starts[nonempty], axis=0)
    return out


def median_seconds(fn: Callable[[], object], repeat: int) -> float:
    """The median wall time of ``repeat`` calls of ``fn``."""
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return float(np.median(times))


def _check(name: str, expected: object, actual: object) -> None:
    if not np.array_equal(np.asarray(expected), np.asarray(actual)):
        msg = f"{name} disagrees with the baseline: results differ, nothing timed"
        raise AssertionError(msg)


def bench_ballots(
    n: int, n_codes: int, repeat: int, python_sample: int = PYTHON_SAMPLE
) -> dict[str, float | int]:
    """Time one race of n ballots; all results are checked equal first. Times in ns/ballot."""
    codes = make_ballots(n, n_codes)
    offsets = np.array([0, n], dtype=np.int64)
    sample = codes[: min(python_sample, n)]
    sample_bytes = sample.tobytes()

    def saylau() -> np.ndarray:
        return engine.ballots.count_codes(codes, offsets, n_codes)

    def fallback() -> np.ndarray:  # the numpy kernel, whatever KERNEL is active
        out = np.empty((1, n_codes), dtype=np.int64)
        engine.ballots._count_numpy(codes, offsets, n_codes, out)
        return out

    def bincount() -> np.ndarray:
        return np.bincount(codes, minlength=n_codes)

    expected = bincount()
    _check("count_codes", expected, saylau()[0])
    _check("numpy fallback kernel", expected, fallback()[0])
    _check(
        "pure Python loop",
        engine.ballots.count_codes(sample, [0, sample.size], n_codes)[0],
        python_loop_count(sample_bytes, n_codes),
    )

    per_ballot = 1e9 / n
    result: dict[str, float | int] = {
        "n_ballots": n,
        "n_options": n_codes,
        "saylau_ns": median_seconds(saylau, repeat) * per_ballot,
        "numpy_fallback_ns": median_seconds(fallback, repeat) * per_ballot,
        "bincount_ns": median_seconds(bincount, repeat) * per_ballot,
        "python_ns": median_seconds(lambda: python_loop_count(sample_bytes, n_codes), repeat)
        * 1e9
        / sample.size,
        "python_sample": int(sample.size),
    }
    result["bincount_ratio"] = result["bincount_ns"] / result["saylau_ns"]
    result["python_ratio"] = result["python_ns"] / result["saylau_ns"]
    return result


def bench_precincts(
    n_rows: int, n_races: int, repeat: int, n_cols: int = PRECINCT_COLUMNS
) -> dict[str, float | int]:
    """Time precinct rows -> race sums; results are checked equal first. Times in ms."""
    values, race = make_precincts(n_rows, n_races, n_cols)
    # Preparation for reduceat, not timed: sort rows by race, find each race's first row.
    order = np.argsort(race, kind="stable")
    sorted_values = values[order]
    sizes = np.bincount(race, minlength=n_races)
    starts = np.concatenate([[0], np.cumsum(sizes)[:-1]])
    nonempty = np.flatnonzero(sizes)
    del order

    sorted_race = np.repeat(np.arange(n_races), sizes)

    def saylau() -> np.ndarray:  # the same race-sorted rows reduceat gets
        return sum_by_group(sorted_values, sorted_race, n_races)

    def any_order() -> np.ndarray:  # rows as they come: saylau needs no sort
        return sum_by_group(values, race, n_races)

    def reduceat() -> np.ndarray:
        return reduceat_by_race(sorted_values, starts, nonempty, n_races)

    _check("sum_by_group", reduceat(), saylau())
    _check("sum_by_group, rows in any order", reduceat(), any_order())

    result: dict[str, float | int] = {
        "n_rows": n_rows,
        "n_races": n_races,
        "n_cols": n_cols,
        "saylau_ms": median_seconds(saylau, repeat) * 1e3,
        "any_order_ms": median_seconds(any_order, repeat) * 1e3,
        "reduceat_ms": median_seconds(reduceat, repeat) * 1e3,
    }
    result["reduceat_ratio"] = result["reduceat_ms"] / result["saylau_ms"]
    result["any_order_ratio"] = result["reduceat_ms"] / result["any_order_ms"]
    return result


def environment() -> dict[str, str | int | None]:
    """What the figures were measured on."""
    model = None
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            model = next((ln.split(":", 1)[1].strip() for ln in f if ln.startswith("model name")), None)
    except OSError:
        pass
    usable = engine.tally.cores()
    return {
        "python": platform.python_version(),
        "numpy": np.__version__,
        "scipy": scipy.__version__,
        "platform": platform.platform(),
        "cpu": model or platform.processor() or platform.machine(),
        "cpu_count": os.cpu_count(),
        "cpus_usable": usable,
        "kernel": engine.ballots.KERNEL,
    }


def run(
    n_ballots: int,
    precinct_cases: Sequence[tuple[int, int]],
    repeat: int,
    options: Sequence[int] = BALLOT_OPTIONS,
    python_sample: int = PYTHON_SAMPLE,
) -> dict[str, object]:
    """All measurements: environment, ballot cases, precinct cases."""
    return {
        "environment": environment(),
        "ballots": [bench_ballots(n_ballots, k, repeat, python_sample) for k in options],
        "precincts": [
            bench_precincts(p, r, max(1, repeat if p < 10**7 else repeat // 2))
            for p, r in precinct_cases
        ],
    }


def _met(ratio: float, target: float) -> str:
    return "met" if ratio >= target else "NOT met"


def render(results: dict[str, object]) -> str:
    """The figures as a compact text report."""
    env = results["environment"]
    lines = [
        "environment: "
        + ", ".join(f"{k} {v}" for k, v in env.items() if k not in ("platform", "cpu")),
        f"  cpu: {env['cpu']} ({env['platform']})",
        "",
        f"ballot tally, one race, one core (target: >= {TARGET_BALLOTS:g}x np.bincount)",
        f"{'options':>7} {'ballots':>10} {'saylau':>8} {'fallback':>8} {'bincount':>8}"
        f" {'python':>8}   {'x bincount':>10} {'x python':>8}  target",
        f"{'':>7} {'':>10} {'ns/ballot':>37}",
    ]
    for b in results["ballots"]:
        lines.append(
            f"{b['n_options']:>7} {b['n_ballots']:>10.0e} {b['saylau_ns']:>8.3f}"
            f" {b['numpy_fallback_ns']:>8.3f} {b['bincount_ns']:>8.3f} {b['python_ns']:>8.1f}"
            f"   {b['bincount_ratio']:>9.1f}x {b['python_ratio']:>7.0f}x"
            f"  {_met(b['bincount_ratio'], TARGET_BALLOTS)}"
        )
    lines += [
        "",
        f"precinct rows -> races, {PRECINCT_COLUMNS} columns int64"
        f" (target: >= {TARGET_PRECINCTS:g}x np.add.reduceat)",
        "  both on the same race-sorted rows (the sort not timed); 'any order': saylau on the",
        "  rows unsorted, which reduceat cannot take",
        f"{'rows':>8} {'races':>8} {'saylau':>8} {'reduceat':>9} {'x reduceat':>10}  target"
        f"  {'any order':>9} {'x':>6}",
        f"{'':>8} {'':>8} {'ms':>8} {'ms':>9} {'':>10}  {'':>6}  {'ms':>9}",
    ]
    for p in results["precincts"]:
        lines.append(
            f"{p['n_rows']:>8.0e} {p['n_races']:>8.0e} {p['saylau_ms']:>8.2f}"
            f" {p['reduceat_ms']:>9.2f} {p['reduceat_ratio']:>9.2f}x"
            f"  {_met(p['reduceat_ratio'], TARGET_PRECINCTS):<6}"
            f"  {p['any_order_ms']:>9.2f} {p['any_order_ratio']:>5.2f}x"
        )
    return "\n".join(lines)


def write_json(results: dict[str, object], path: Path) -> None:
    """Write the figures to ``path`` through a temporary file, renamed when complete."""
    path = Path(path)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump(results, f, indent=2)
            f.write("\n")
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise


def _precinct_case(text: str) -> tuple[int, int]:
    rows, _, races = text.partition(":")
    try:
        return int(float(rows)), int(float(races))
    except ValueError:
        msg = f"expected ROWS:RACES, e.g. 1e6:1e4, got {text!r}"
        raise argparse.ArgumentTypeError(msg) from None


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m benchmarks``: measure, print, optionally write JSON."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="10^6 ballots, no 10^7-row case")
    parser.add_argument("--json", type=Path, metavar="PATH", help="also write the figures here")
    parser.add_argument("--repeat", type=int, default=None, help="runs per timing (median)")
    parser.add_argument("--ballots", type=lambda s: int(float(s)), help="ballots per case")
    parser.add_argument(
        "--precincts",
        type=_precinct_case,
        action="append",
        metavar="ROWS:RACES",
        help="precinct case (repeatable); replaces the default cases",
    )
    parser.add_argument("--replay-precincts", type=lambda s: int(float(s)), default=100_000,
                        metavar="N", help="precincts of the end-to-end replay case (0: skip)")
    args = parser.parse_args(argv)
    repeat = args.repeat or (5 if args.quick else 7)
    n_ballots = args.ballots or (BALLOTS_QUICK if args.quick else BALLOTS_FULL)
    cases = args.precincts or (PRECINCT_CASES_QUICK if args.quick else PRECINCT_CASES_FULL)
    if engine.ballots.KERNEL != "c":
        print("warning: engine._kernels is not built here, so the numpy fallback is measured;"
              " build it in place with `pip install -e .`", file=sys.stderr)
    results = run(n_ballots, cases, repeat)
    print(render(results))
    if args.replay_precincts:
        from benchmarks.replay_bench import bench_replay
        from benchmarks.replay_bench import render as render_replay

        results["replay"] = bench_replay(args.replay_precincts)
        print()
        print(render_replay(results["replay"]), end="")
    from benchmarks.replay_bench import bench_historical, render_historical

    results["historical"] = bench_historical(repeat=3 if args.quick else 7)
    print()
    print(render_historical(results["historical"]), end="")
    if args.json is not None:
        write_json(results, args.json)
        print(f"\nwrote {args.json}")
    sys.stdout.flush()
    return 0
