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
           "race_totals", "totals_of"]


@attrs.frozen(eq=False)
class PrecinctTable:
    """All precincts of an election.

    race : (P,) int64, the precinct's race in 0..n_races-1
    counts : (P, 4 + K) int64, columns registered, cast, invalid, against_all, then the
        candidates in ballot order (zero past the race's last candidate); -1 = unknown
    line_counts : (P, L) int64, the protocol's other lines (issued, received, ...) named by
        ``line_names``; -1 unknown
    area : (P,) int64 index into ``area_paths`` (each precinct's area, from the nation down),
        -1 where the precinct names none; None when no precinct does
    """

    race: np.ndarray
    counts: np.ndarray
    n_races: int
    line_names: tuple[str, ...] = ()
    line_counts: np.ndarray | None = None
    area: np.ndarray | None = None
    area_paths: tuple[tuple[str, ...], ...] = ()

    @property
    def lines(self) -> dict[str, np.ndarray]:
        """Each line's (P,) column."""
        if self.line_counts is None:
            return {}
        return {n: self.line_counts[:, j] for j, n in enumerate(self.line_names)}


@attrs.frozen(eq=False)
class RaceTotals:
    """Counts per race. (R,) int64 each, votes (R, K); -1 = unknown. ``lines``: the protocol's
    other lines summed the same way."""

    registered: np.ndarray
    cast: np.ndarray
    invalid: np.ndarray
    valid: np.ndarray
    against_all: np.ndarray
    votes: np.ndarray
    n_candidates: np.ndarray
    lines: dict[str, np.ndarray] = attrs.field(factory=dict)


def race_totals(table: PrecinctTable, n_candidates: np.ndarray, *,
                against_all_line: bool = True) -> RaceTotals:
    """Sum precinct rows to races and complete cast = valid + invalid where one part is missing.

    ``against_all_line=False`` (indirect rules) counts against-all as zero, not unknown.
    """
    r = table.n_races
    lines = {}
    if table.line_counts is not None and table.line_names:
        summed = sum_known(table.line_counts, table.race, r)
        lines = {n: summed[:, i].copy() for i, n in enumerate(table.line_names)}
    return totals_of(sum_known(table.counts, table.race, r), lines, n_candidates,
                     against_all_line=against_all_line)


def totals_of(sums: np.ndarray, lines: dict[str, np.ndarray], n_candidates: np.ndarray, *,
              against_all_line: bool = True) -> RaceTotals:
    """Race totals from each race's sums of the precinct table's columns (``sums`` : (R, 4 + K)
    int64, -1 where a precinct's count is unknown or the race has none; ``lines`` the other
    lines summed the same way): what :func:`race_totals` completes, for sums made elsewhere (a
    replay read in partitions)."""
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
                      against_all=against_all, votes=votes, n_candidates=n_candidates,
                      lines=lines)


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
    turnout: np.ndarray          # (R,) percent of registered (ballots cast, or issued)
    shares: np.ndarray           # (R, K) percent of valid (or of cast: valid + invalid)
    against_all_share: np.ndarray
    invalid_share: np.ndarray    # (R,) percent of cast
    winner: np.ndarray           # (R,) candidate index, -1 none
    runner_up: np.ndarray
    margin_votes: np.ndarray     # (R,) int64, -1 unknown
    margin_points: np.ndarray    # (R,) percentage points of the shares' basis
    tie: np.ndarray
    outcome: np.ndarray          # (R,) int8 Outcome codes


def race_results(totals: RaceTotals, ruleset: rules.RuleSet, *,
                 turnout_of: np.ndarray | None = None,
                 share_of: np.ndarray | None = None) -> RaceResults:
    """Decide every race and derive turnout, shares and margins, all races at once.

    turnout_of : (R,) the ballots turnout counts (default: cast; ballots issued where an
        election publishes turnout so), over registered voters
    share_of : (R,) what shares and margins are percentages of (default: valid votes; valid +
        invalid where an election publishes shares so)
    """
    t = totals
    turnout_of = t.cast if turnout_of is None else turnout_of
    share_of = t.valid if share_of is None else share_of
    d = rules.decide(t.votes, t.n_candidates, ruleset, against_all=t.against_all, cast=t.cast,
                     registered=t.registered)
    on_ballot = np.arange(t.votes.shape[1]) < t.n_candidates[:, None]
    undetermined = (t.votes < 0).any(axis=1)  # votes are 0 past the last candidate
    outcome = np.where(undetermined, rules.Outcome.UNDETERMINED, d.outcome).astype(np.int8)
    margin = np.where(undetermined, UNKNOWN, d.margin_votes)
    return RaceResults(
        totals=t,
        turnout=percent(turnout_of, t.registered),
        shares=np.where(on_ballot, percent(t.votes, share_of[:, None]), np.nan),
        against_all_share=percent(t.against_all, share_of),
        invalid_share=percent(t.invalid, t.cast),
        winner=np.where(undetermined, -1, d.winner),
        runner_up=np.where(undetermined, -1, d.runner_up),
        margin_votes=margin,
        margin_points=percent(margin, share_of),
        tie=d.tie & ~undetermined,
        outcome=outcome,
    )
