"""Precinct rows -> race totals: ``engine.tally.sums.sum_by_group`` against numpy and pandas.

On the same seeded rows (int64, 11 columns: registered, cast, invalid, against all and up to 7
candidates), all results checked equal first:

- saylau on race-sorted rows, and on the rows in any order (it needs no sort);
- ``np.add.reduceat`` on the race-sorted rows (the sort and the race starts not timed: reduceat
  cannot take rows in any order);
- pandas ``DataFrame.groupby(race).sum()`` on the rows in any order (the frame built untimed).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from benchmarks import peers
from benchmarks.timing import SEED, Figures, Target, check_equal, interleaved_medians
from engine.tally.sums import sum_by_group

__all__ = ["bench_precincts", "make_precincts", "reduceat_by_race", "render", "scaling_points",
           "targets"]

COLUMNS = 11  # registered, cast, invalid, against_all and up to 7 candidates
TARGET_REDUCEAT = 5.0  # issue 7: precinct rows -> races >= 5x np.add.reduceat


def make_precincts(n_rows: int, n_races: int, n_cols: int = COLUMNS, seed: int = SEED
                   ) -> tuple[np.ndarray, np.ndarray]:
    """Seeded precinct rows: values (P, C) int64 in [0, 3000), race (P,) int64 in any order."""
    rng = np.random.default_rng([seed, n_rows, n_races])
    values = rng.integers(0, 3000, size=(n_rows, n_cols), dtype=np.int64)
    race = rng.integers(0, n_races, size=n_rows, dtype=np.int64)
    return values, race


def reduceat_by_race(sorted_values: np.ndarray, starts: np.ndarray, nonempty: np.ndarray,
                     n_races: int) -> np.ndarray:
    """Race sums from race-sorted rows with ``np.add.reduceat``; empty races stay 0.

    (reduceat returns a row, not 0, for an empty segment, so only non-empty starts are used;
    with no empty race, reduceat's result is the answer as it stands.)
    """
    if nonempty.size == n_races:
        return np.add.reduceat(sorted_values, starts, axis=0)
    out = np.zeros((n_races, sorted_values.shape[1]), dtype=np.int64)
    out[nonempty] = np.add.reduceat(sorted_values, starts[nonempty], axis=0)
    return out


def bench_precincts(n_rows: int, n_races: int, repeat: int, n_cols: int = COLUMNS
                    ) -> Figures:
    """Seconds of each contender on one seeded table; results checked equal first."""
    values, race = make_precincts(n_rows, n_races, n_cols)
    order = np.argsort(race, kind="stable")  # preparation for reduceat, not timed
    sorted_values = values[order]
    sizes = np.bincount(race, minlength=n_races)
    starts = np.concatenate([[0], np.cumsum(sizes)[:-1]])
    nonempty = np.flatnonzero(sizes)
    sorted_race = np.repeat(np.arange(n_races), sizes)
    del order

    fns: dict[str, Callable[[], object]] = {
        "saylau": lambda: sum_by_group(sorted_values, sorted_race, n_races),
        "any_order": lambda: sum_by_group(values, race, n_races),
        "reduceat": lambda: reduceat_by_race(sorted_values, starts, nonempty, n_races),
    }
    expected = fns["reduceat"]()
    check_equal("np.add.reduceat", expected, fns["saylau"]())
    check_equal("np.add.reduceat against saylau on rows in any order", expected,
                fns["any_order"]())
    if peers.available("pandas"):
        import pandas as pd

        frame = pd.DataFrame(values)
        grouped = frame.groupby(race).sum().reindex(range(n_races), fill_value=0)
        check_equal("pandas groupby().sum()", expected, grouped.to_numpy())
        fns["pandas"] = lambda: frame.groupby(race).sum()
    seconds = interleaved_medians(fns, repeat)
    return {
        "n_rows": n_rows,
        "n_races": n_races,
        "n_cols": n_cols,
        "seconds": seconds,
        "ratio": {"reduceat": seconds["reduceat"] / seconds["saylau"],
                  "reduceat_any_order": seconds["reduceat"] / seconds["any_order"],
                  **({"pandas": seconds["pandas"] / seconds["any_order"]}
                     if "pandas" in seconds else {})},
    }


def _met(ratio: float) -> str:
    return "met" if ratio >= TARGET_REDUCEAT else "NOT met"


def render(cases: Sequence[Figures]) -> str:
    """The precinct figures as text."""
    lines = [
        f"precinct rows -> races, {COLUMNS} columns int64 (target: >= {TARGET_REDUCEAT:g}x"
        " np.add.reduceat)",
        "  saylau and reduceat on the same race-sorted rows (the sort not timed); saylau and"
        " pandas",
        "  groupby().sum() also on the rows as they come ('any order'), which reduceat cannot"
        " take",
        f"{'rows':>7} {'races':>7} {'saylau':>8} {'reduceat':>9} {'x reduceat':>10}  target"
        f"  {'any order':>9} {'pandas':>8} {'x pandas':>8}",
        f"{'':>7} {'':>7} {'ms':>8} {'ms':>9} {'':>10}  {'':>6}  {'ms':>9} {'ms':>8}",
    ]
    for p in cases:
        s, r = p["seconds"], p["ratio"]
        pandas = (f"{s['pandas'] * 1e3:>8.2f} {r['pandas']:>7.1f}x" if "pandas" in s
                  else f"{'-':>8} {'-':>8}")
        lines.append(
            f"{p['n_rows']:>7.0e} {p['n_races']:>7.0e} {s['saylau'] * 1e3:>8.3f}"
            f" {s['reduceat'] * 1e3:>9.3f} {r['reduceat']:>9.2f}x  {_met(r['reduceat']):<6}"
            f"  {s['any_order'] * 1e3:>9.3f} {pandas}")
    if cases and "pandas" not in cases[0]["seconds"]:
        lines.append(peers.skip_line("pandas", "groupby().sum()"))
    return "\n".join(lines)


def targets(cases: Sequence[Figures]) -> list[Target]:
    """The issue's precinct target against the figures."""
    rs = [(p["ratio"]["reduceat"], p) for p in cases]
    low, where = min(rs, key=lambda x: x[0])
    missed = sum(r < TARGET_REDUCEAT for r, _ in rs)
    return [{"target": f"precinct aggregation >= {TARGET_REDUCEAT:g}x np.add.reduceat",
             "met": missed == 0,
             "detail": f"{len(rs) - missed} of {len(rs)} cases; lowest {low:.2f}x at"
                       f" {where['n_rows']:.0e} rows, {where['n_races']:.0e} races"}]


def scaling_points(cases: Sequence[Figures]) -> list[tuple[str, str, int, float]]:
    """(case, contender, rows, seconds) of every case."""
    return [("precinct rows -> races", name, p["n_rows"], s)
            for p in cases for name, s in p["seconds"].items()]
