"""The whole rules pipeline: precinct rows -> race totals -> turnout, shares, winners, margins and
outcomes (``engine.tally.races.race_totals`` then ``race_results``), all races at once.

Seeded elections of R races over about 2.5 R precincts (the 2021 rural round: 1,847 precincts
for 730 races), 2 to 6 candidates and against all. The rules are the 2021 rural rule set with
every rule that can fail a race switched on (against all above the leader fails it; a 50%
minimum turnout), so every branch is taken: the 2021 law itself has neither.

Baseline: the same rules written as a plain Python loop, over the precinct rows then over the
races (timed up to a cap on the races, its cost per race carried above); every race's turnout,
shares, winner, margin and outcome are checked equal to saylau's first.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from benchmarks.timing import SEED, Figures, interleaved_medians, median_seconds
from engine.law.rules import Outcome, RuleSet, preset
from engine.tally.races import PrecinctTable, RaceResults, race_results, race_totals

__all__ = ["RULES", "bench_pipeline", "make_election", "python_pipeline", "render",
           "scaling_points"]

MAX_CANDIDATES = 6
RULES = preset("kz-2021-rural").replace(against_all_effect="fails_if_top", min_turnout="1/2")


def make_election(n_races: int, seed: int = SEED) -> tuple[PrecinctTable, np.ndarray]:
    """A seeded precinct table of ``n_races`` races (every race has a precinct) and the
    candidates per race : (R,) int64; counts add up (cast = invalid + against all + votes)."""
    rng = np.random.default_rng([seed, n_races])
    n_rows = max(n_races, round(2.53 * n_races))
    race = rng.permutation(np.arange(n_rows) % n_races)
    n_candidates = rng.integers(2, MAX_CANDIDATES + 1, size=n_races)
    registered = rng.integers(50, 3000, size=n_rows)
    cast = (registered * rng.uniform(0.3, 0.95, size=n_rows)).astype(np.int64)
    invalid = rng.binomial(cast, 0.02)
    against_all = rng.binomial(cast - invalid, 0.08)
    shares = rng.dirichlet(np.ones(MAX_CANDIDATES), size=n_rows)
    shares[np.arange(MAX_CANDIDATES) >= n_candidates[race][:, None]] = 0
    shares /= shares.sum(axis=1, keepdims=True)
    rest = cast - invalid - against_all
    votes = np.floor(shares * rest[:, None]).astype(np.int64)
    votes[:, 0] += rest - votes.sum(axis=1)
    counts = np.column_stack([registered, cast, invalid, against_all, votes]).astype(np.int64)
    return PrecinctTable(race=race.astype(np.int64), counts=counts, n_races=n_races), \
        n_candidates.astype(np.int64)


def saylau_pipeline(table: PrecinctTable, n_candidates: np.ndarray, rules: RuleSet = RULES
                    ) -> RaceResults:
    """``race_results(race_totals(table, n_candidates), rules)``."""
    return race_results(race_totals(table, n_candidates), rules)


def python_pipeline(rows: list[list[int]], race: list[int], n_races: int,
                    n_candidates: list[int], rules: RuleSet = RULES) -> list[tuple]:
    """The rules as a plain Python loop: per race (turnout, shares, winner, margin, outcome)."""
    width = len(rows[0])
    totals = [[0] * width for _ in range(n_races)]
    for r, row in zip(race, rows, strict=True):
        t = totals[r]
        for j in range(width):
            t[j] += row[j]
    num, den = rules.min_turnout.numerator, rules.min_turnout.denominator
    out = []
    for r in range(n_races):
        registered, cast, _invalid, against_all, *votes = totals[r]
        votes = votes[: n_candidates[r]]
        valid = sum(votes) + against_all
        turnout = 100.0 * cast / registered if registered > 0 else math.nan
        shares = [100.0 * v / valid if valid > 0 else math.nan for v in votes]
        top = max(votes)
        ranked = sorted(votes, reverse=True)
        second = ranked[1] if len(votes) > 1 else None
        tie = second == top
        margin = top - second if second is not None else top
        outcome = Outcome.UNCONTESTED if len(votes) == 1 else Outcome.ELECTED
        if tie:
            outcome = Outcome.TIE
        if rules.against_all_effect == "fails_if_top" and against_all > top:
            outcome = Outcome.FAILED_AGAINST_ALL
        if num and cast * den < num * registered:
            outcome = Outcome.FAILED_TURNOUT
        decided = outcome in (Outcome.ELECTED, Outcome.UNCONTESTED)
        out.append((turnout, shares, votes.index(top) if decided else -1, margin, int(outcome)))
    return out


def _check(res: RaceResults, reference: list[tuple], races: slice) -> None:
    """saylau's results of ``races`` equal the plain loop's: else AssertionError, nothing timed."""
    for i, (turnout, shares, winner, margin, outcome) in zip(
            range(races.start, races.stop), reference, strict=True):
        n = len(shares)
        same = (res.winner[i] == winner and res.margin_votes[i] == margin
                and res.outcome[i] == outcome
                and np.allclose(res.turnout[i], turnout, rtol=1e-12, equal_nan=True)
                and np.allclose(res.shares[i, :n], shares, rtol=1e-12, equal_nan=True))
        if not same:
            msg = f"the plain Python rules disagree with saylau at race {i}: nothing timed"
            raise AssertionError(msg)


def _subset(table: PrecinctTable, n_candidates: np.ndarray, n_races: int
            ) -> tuple[list[list[int]], list[int], list[int]]:
    """The plain loop's input for the first ``n_races`` races: rows, race and candidates."""
    keep = table.race < n_races
    return (table.counts[keep].tolist(), table.race[keep].tolist(),
            n_candidates[:n_races].tolist())


def bench_pipeline(n_races: int, repeat: int, *, python_cap: int, slow_repeat: int
                   ) -> Figures:
    """Seconds of saylau's pipeline on ``n_races`` races, and of the plain loop on at most
    ``python_cap`` of them (its per-race cost carried above)."""
    table, n_candidates = make_election(n_races)
    res = saylau_pipeline(table, n_candidates)
    m = min(n_races, python_cap)
    rows, race, cands = _subset(table, n_candidates, m)
    _check(res, python_pipeline(rows, race, m, cands), slice(0, m))
    seconds = interleaved_medians({"saylau": lambda: saylau_pipeline(table, n_candidates)},
                                  repeat)
    python_s = median_seconds(lambda: python_pipeline(rows, race, m, cands), slow_repeat)
    per_race = {"saylau": seconds["saylau"] / n_races, "python": python_s / m}
    return {
        "n_races": n_races,
        "n_precincts": int(table.race.size),
        "outcomes": {Outcome(o).label: int(c) for o, c in
                     zip(*np.unique(res.outcome, return_counts=True), strict=True)},
        "seconds": seconds,
        "python_races": m,
        "python_seconds": python_s,
        "ns_per_race": {k: v * 1e9 for k, v in per_race.items()},
        "ratio": {"python": per_race["python"] / per_race["saylau"]},
    }


def render(cases: Sequence[Figures]) -> str:
    """The pipeline figures as text."""
    lines = [
        "rules pipeline: race_totals + race_results (turnout, shares, winners, margins,"
        " outcomes)",
        "  kz-2021-rural with against all failing a race when on top and a 50% minimum"
        " turnout; ~2.5 precincts a race",
        f"{'races':>7} {'precincts':>9} {'saylau ms':>10} {'ns/race':>8} {'python ns/race':>14}"
        f" {'x python':>9}",
    ]
    for c in cases:
        carried = "~" if c["python_races"] < c["n_races"] else ""
        lines.append(
            f"{c['n_races']:>7.0e} {c['n_precincts']:>9,} {c['seconds']['saylau'] * 1e3:>10.3f}"
            f" {c['ns_per_race']['saylau']:>8.1f} {c['ns_per_race']['python']:>14.0f}"
            f" {carried + format(c['ratio']['python'], '.0f') + 'x':>9}")
    if cases:
        last = cases[-1]["outcomes"]
        lines.append("  outcomes of the largest: "
                     + ", ".join(f"{k} {v:,}" for k, v in sorted(last.items())))
    return "\n".join(lines)


def scaling_points(cases: Sequence[Figures]) -> list[tuple[str, str, int, float]]:
    """(case, contender, races, seconds) of every size timed."""
    points = [("rules pipeline", "saylau", c["n_races"], c["seconds"]["saylau"]) for c in cases]
    python = {c["python_races"]: c["python_seconds"] for c in reversed(cases)}
    points += [("rules pipeline", "python", m, s) for m, s in sorted(python.items())]
    return points
