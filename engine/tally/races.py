"""Precinct rows -> race totals -> race results: every race of an election at once.

Unknown counts are -1 throughout: a sum is known only when every part is. Percentages are
derived from the int64 counts, never stored as truth.
"""

from __future__ import annotations

import attrs
import numpy as np

from engine.law import rules
from engine.records import UNKNOWN
from engine.tally.sums import sum_known

__all__ = ["PrecinctTable", "RaceResults", "RaceTotals", "percent", "race_results",
           "race_totals"]


@attrs.frozen(eq=False)
class PrecinctTable:
    """All precincts of an election.

    race : (P,) int64, the precinct's race in 0..n_races-1
    counts : (P, 4 + K) int64, columns registered, cast, invalid, against_all, then the
        candidates in ballot order (zero past the race's last candidate); -1 = unknown
    """

    race: np.ndarray
    counts: np.ndarray
    n_races: int


@attrs.frozen(eq=False)
class RaceTotals:
    """Counts per race. (R,) int64 each, votes (R, K); -1 = unknown."""

    registered: np.ndarray
    cast: np.ndarray
    invalid: np.ndarray
    valid: np.ndarray
    against_all: np.ndarray
    votes: np.ndarray
    n_candidates: np.ndarray


def race_totals(table: PrecinctTable, n_candidates: np.ndarray, *,
                against_all_line: bool = True) -> RaceTotals:
    """Sum precinct rows to races and complete cast = valid + invalid where one part is missing.

    ``against_all_line=False`` (indirect rules) counts against-all as zero, not unknown.
    """
    r = table.n_races
    sums = sum_known(table.counts, table.race, r)
    registered, cast, invalid, against_all = (sums[:, i].copy() for i in range(4))
    n_candidates = np.asarray(n_candidates, dtype=np.int64)
    if not against_all_line:
        against_all = np.where(against_all < 0, 0, against_all)
    on_ballot = np.arange(sums.shape[1] - 4) < n_candidates[:, None]
    votes = np.where(on_ballot, sums[:, 4:], 0)  # zero past each race's last candidate
    valid = np.where((votes >= 0).all(axis=1) & (against_all >= 0),
                     votes.sum(axis=1) + against_all, UNKNOWN)
    # cast = valid + invalid: any two give the third.
    k_c, k_v, k_i = cast >= 0, valid >= 0, invalid >= 0
    invalid = np.where(k_c & k_v & ~k_i, cast - valid, invalid)
    cast = np.where(~k_c & k_v & k_i, valid + invalid, cast)
    return RaceTotals(registered=registered, cast=cast, invalid=invalid, valid=valid,
                      against_all=against_all, votes=votes, n_candidates=n_candidates)


def percent(part: np.ndarray, whole: np.ndarray) -> np.ndarray:
    """100 * part / whole as float (derived, never stored as truth); nan when unknown."""
    part, whole = np.broadcast_arrays(part, whole)
    ok = (part >= 0) & (whole > 0)
    out = np.full(part.shape, np.nan)
    np.divide(100.0 * part, whole, out=out, where=ok)
    return out


@attrs.frozen(eq=False)
class RaceResults:
    """Totals, derived percentages and the decision of every race (R races, K columns)."""

    totals: RaceTotals
    turnout: np.ndarray          # (R,) percent of registered
    shares: np.ndarray           # (R, K) percent of valid
    against_all_share: np.ndarray
    invalid_share: np.ndarray    # (R,) percent of cast
    winner: np.ndarray           # (R,) candidate index, -1 none
    runner_up: np.ndarray
    margin_votes: np.ndarray     # (R,) int64, -1 unknown
    margin_points: np.ndarray    # (R,) percentage points of valid
    tie: np.ndarray
    outcome: np.ndarray          # (R,) int8 Outcome codes


def race_results(totals: RaceTotals, ruleset: rules.RuleSet) -> RaceResults:
    """Decide every race and derive turnout, shares and margins, all races at once."""
    t = totals
    d = rules.decide(t.votes, t.n_candidates, ruleset, against_all=t.against_all, cast=t.cast,
                     registered=t.registered)
    on_ballot = np.arange(t.votes.shape[1]) < t.n_candidates[:, None]
    undetermined = (t.votes < 0).any(axis=1)  # votes are 0 past the last candidate
    outcome = np.where(undetermined, rules.Outcome.UNDETERMINED, d.outcome).astype(np.int8)
    margin = np.where(undetermined, UNKNOWN, d.margin_votes)
    return RaceResults(
        totals=t,
        turnout=percent(t.cast, t.registered),
        shares=np.where(on_ballot, percent(t.votes, t.valid[:, None]), np.nan),
        against_all_share=percent(t.against_all, t.valid),
        invalid_share=percent(t.invalid, t.cast),
        winner=np.where(undetermined, -1, d.winner),
        runner_up=np.where(undetermined, -1, d.runner_up),
        margin_votes=margin,
        margin_points=percent(margin, t.valid),
        tie=d.tie & ~undetermined,
        outcome=outcome,
    )
