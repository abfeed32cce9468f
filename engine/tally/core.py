"""The vectorised tally core: precinct rows -> race totals -> any grouping of races.

Every count is int64 and exact. Sums over groups need no sorting, so precinct order never
matters: one pass of the compiled kernel (``engine/tally/_kernels.c``, two threads on large tables)
when it is built, else one sparse indicator-matrix product (scipy CSR). ``python -m benchmarks``
compares both with ``np.add.reduceat`` on race-sorted rows.
"""

from __future__ import annotations

import math
import os
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING

import attrs
import numpy as np

from engine.law import rules

if TYPE_CHECKING:
    import scipy.sparse as sp

__all__ = [
    "BALLOT_AGAINST_ALL",
    "BALLOT_FIRST_CANDIDATE",
    "BALLOT_INVALID",
    "COUNT_COLUMNS",
    "UNKNOWN",
    "AreaResults",
    "PrecinctTable",
    "RaceResults",
    "RaceTotals",
    "area_membership",
    "area_results",
    "group_matrix",
    "race_results",
    "race_totals",
    "sum_by_group",
    "tally_ballots",
]


def group_matrix(group: np.ndarray, n_groups: int) -> sp.csr_array:
    """The (n_groups, P) 0/1 indicator matrix of ``group`` : (P,) int in [0, n_groups)."""
    import scipy.sparse as sp

    group = np.asarray(group)
    p = group.shape[0]
    bad = np.flatnonzero((group < 0) | (group >= n_groups))
    if bad.size:
        msg = f"group[{bad[0]}] = {group[bad[0]]} is not in [0, {n_groups})"
        raise ValueError(msg)
    return sp.csr_array(
        (np.ones(p, dtype=np.int64), group.astype(np.int64, copy=False), np.arange(p + 1)),
        shape=(p, n_groups),
    ).T.tocsr()


def sum_by_group(values: np.ndarray, group: np.ndarray | sp.csr_array, n_groups: int
                 ) -> np.ndarray:
    """Sum rows of ``values`` by group, rows in any order.

    values : (P,) or (P, C) int64, or (N, P, C) for N simulation runs at once
    group : (P,) int in [0, n_groups), or a ready :func:`group_matrix`
    returns : (n_groups,) or (n_groups, C) int64, or (N, n_groups, C)

    (P, C) rows with a group array take one pass of the compiled kernel when it is built;
    otherwise (and for many runs at once) a sparse indicator product.
    """
    values = np.asarray(values)
    if values.dtype != np.int64:
        values = values.astype(np.int64)
    sparse = hasattr(group, "tocsr")  # a ready group_matrix
    if _group_sum_c is not None and values.ndim <= 2 and not sparse:
        return _sum_rows_c(values, group, n_groups)
    m = group if sparse else group_matrix(group, n_groups)
    if values.ndim == 3:  # (N, P, C): one product over all runs
        n, p, c = values.shape
        flat = np.ascontiguousarray(values.transpose(1, 0, 2)).reshape(p, n * c)
        return np.asarray(m @ flat).reshape(n_groups, n, c).transpose(1, 0, 2)
    return np.asarray(m @ values)


try:
    from engine.tally._kernels import group_sum as _group_sum_c
except ImportError:  # installed without a compiler: the sparse product
    _group_sum_c = None

# From this many rows, two threads beat one: the pass is
# bound by memory, and the compiled kernel releases the GIL. Up to _SMALL_OUT bytes of sums,
# the threads split the rows (and add their sums); above, they split the groups.
_SMALL_OUT = 1 << 22
_THREADED_ROWS = 1 << 16
_pool: ThreadPoolExecutor | None = None
_pool_lock = threading.Lock()


def cores() -> int:
    """The cores this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def _sum_rows_c(values: np.ndarray, group: np.ndarray, n_groups: int) -> np.ndarray:
    """:func:`sum_by_group` for (P,) or (P, C) rows on the compiled kernel."""
    global _pool
    group = np.ascontiguousarray(group, dtype=np.int64)
    rows = np.ascontiguousarray(values.reshape(values.shape[0], math.prod(values.shape[1:])))
    if group.shape != (rows.shape[0],):
        msg = f"group must have shape ({rows.shape[0]},), got {group.shape}"
        raise ValueError(msg)
    n_cols = rows.shape[1]
    out = np.zeros((n_groups, n_cols), dtype=np.int64)
    if n_cols == 0:
        return out.reshape((n_groups, *values.shape[1:]))
    if rows.shape[0] >= _THREADED_ROWS and cores() >= 2:
        with _pool_lock:
            if _pool is None:
                _pool = ThreadPoolExecutor(2, thread_name_prefix="saylau-sum")
        if out.nbytes <= _SMALL_OUT:  # each thread sums half of the rows; then one add
            half = rows.shape[0] // 2
            other = np.empty_like(out)
            jobs = [_pool.submit(_group_sum_c, rows[:half], group[:half], 0, n_groups, n_cols,
                                 out),
                    _pool.submit(_group_sum_c, rows[half:], group[half:], 0, n_groups, n_cols,
                                 other)]
            summed = sum(job.result() for job in jobs)
            out += other
        else:  # each thread sums half of the groups over all rows: no large add
            half = n_groups // 2
            jobs = [_pool.submit(_group_sum_c, rows, group, lo, hi, n_cols, out[lo:hi])
                    for lo, hi in ((0, half), (half, n_groups))]
            summed = sum(job.result() for job in jobs)
    else:
        summed = _group_sum_c(rows, group, 0, n_groups, n_cols, out)
    if summed != rows.shape[0]:
        bad = int(np.flatnonzero((group < 0) | (group >= n_groups))[0])
        msg = f"group[{bad}] = {group[bad]} is not in [0, {n_groups})"
        raise ValueError(msg)
    return out.reshape((n_groups, *values.shape[1:]))


# --------------------------------------------------------------------------------------------
# Precinct table -> race totals -> race results -> area totals.
# Unknown counts are -1 throughout: a sum is known only when every part is.

UNKNOWN = -1
COUNT_COLUMNS = ("registered", "cast", "invalid", "against_all")


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


def _sum_known(values: np.ndarray, group: np.ndarray, n_groups: int, *,
               empty: int = UNKNOWN) -> np.ndarray:
    """Group sums where any unknown (-1) part makes the whole unknown; a group without rows is
    ``empty``. values : (P,) or (P, C); group : (P,) int in [0, n_groups)."""
    known = values >= 0
    sums = sum_by_group(np.where(known, values, 0), group, n_groups)
    gaps = sum_by_group((~known).astype(np.int64), group, n_groups)
    rows = np.bincount(group, minlength=n_groups)
    if sums.ndim == 2:
        rows = rows[:, None]
    return np.where(gaps > 0, UNKNOWN, np.where(rows == 0, empty, sums))


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
    sums = _sum_known(table.counts, table.race, r)
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


def _percent(part: np.ndarray, whole: np.ndarray) -> np.ndarray:
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
        turnout=_percent(t.cast, t.registered),
        shares=np.where(on_ballot, _percent(t.votes, t.valid[:, None]), np.nan),
        against_all_share=_percent(t.against_all, t.valid),
        invalid_share=_percent(t.invalid, t.cast),
        winner=np.where(undetermined, -1, d.winner),
        runner_up=np.where(undetermined, -1, d.runner_up),
        margin_votes=margin,
        margin_points=_percent(margin, t.valid),
        tie=d.tie & ~undetermined,
        outcome=outcome,
    )


@attrs.frozen(eq=False)
class AreaResults:
    """Sums over groupings of races: A areas (the nation first), parties in ``parties`` order.

    races, registered, cast, invalid, valid, against_all : (A,) int64, -1 unknown
    seats : (A, Pt) races won per party; party_votes : (A, Pt) int64, -1 unknown
    """

    paths: tuple[tuple[str, ...], ...]
    parties: tuple[str, ...]
    races: np.ndarray
    registered: np.ndarray
    cast: np.ndarray
    invalid: np.ndarray
    valid: np.ndarray
    against_all: np.ndarray
    turnout: np.ndarray          # (A,) percent of registered, nan when unknown
    decided: np.ndarray
    seats: np.ndarray
    party_votes: np.ndarray

    def index(self, path: tuple[str, ...]) -> int:
        return self.paths.index(path)


def area_membership(race_areas: list[tuple[str, ...]]) -> tuple[tuple[tuple[str, ...], ...],
                                                                  np.ndarray, np.ndarray]:
    """Every prefix of every race's area path (the nation is ``()``), and which races each
    area holds as pairs: ``area_of[i]`` holds race ``race_of[i]``."""
    paths: dict[tuple[str, ...], int] = {(): 0}
    area_of, race_of = [], []
    for r, path in enumerate(race_areas):
        for depth in range(len(path) + 1):
            area_of.append(paths.setdefault(path[:depth], len(paths)))
            race_of.append(r)
    return tuple(paths), np.array(area_of, np.int64), np.array(race_of, np.int64)


def area_results(res: RaceResults, race_areas: list[tuple[str, ...]],
                 candidate_party: np.ndarray, parties: tuple[str, ...]) -> AreaResults:
    """Aggregate races to every area at once; ``candidate_party`` : (R, K) party index (-1 pad).

    An area's count is unknown (-1) when any of its races' is; an area without races sums to 0.
    """
    t = res.totals
    paths, area_of, race_of = area_membership(race_areas)
    a, n_races, n_parties = len(paths), len(race_areas), len(parties)
    # Votes per (race, party): a party's votes are unknown where any of its candidates' is.
    r_idx, k_idx = np.nonzero(candidate_party >= 0)
    cell = r_idx * n_parties + candidate_party[r_idx, k_idx]
    party_votes = _sum_known(t.votes[r_idx, k_idx], cell, n_races * n_parties, empty=0)
    won = res.winner >= 0
    winner_party = np.zeros((n_races, n_parties), np.int64)
    rows = np.flatnonzero(won)
    winner_party[rows, candidate_party[rows, res.winner[rows]]] = 1
    # One pass for the counts that may be unknown, one for those that are always known.
    maybe = np.column_stack([t.registered, t.cast, t.invalid, t.valid, t.against_all,
                             party_votes.reshape(n_races, n_parties)])
    known = np.column_stack([np.ones(n_races, np.int64), won, winner_party]).astype(np.int64)
    sums = _sum_known(maybe[race_of], area_of, a, empty=0)
    counts = sum_by_group(known[race_of], area_of, a)
    return AreaResults(
        paths=paths,
        parties=parties,
        races=counts[:, 0],
        registered=sums[:, 0],
        cast=sums[:, 1],
        invalid=sums[:, 2],
        valid=sums[:, 3],
        against_all=sums[:, 4],
        turnout=_percent(sums[:, 1], sums[:, 0]),
        decided=counts[:, 1],
        seats=counts[:, 2:],
        party_votes=sums[:, 5:],
    )


# Ballot-level input: one code per ballot. Code 0 is an invalid (spoiled or blank) ballot, 1 a
# vote against all, 2 + k a vote for the race's k-th candidate (ballot order).
BALLOT_INVALID = 0
BALLOT_AGAINST_ALL = 1
BALLOT_FIRST_CANDIDATE = 2


def tally_ballots(codes: np.ndarray, offsets: np.ndarray, n_candidates: np.ndarray,
                  registered: np.ndarray | None = None) -> PrecinctTable:
    """Count ballots into a precinct table with one row per race.

    codes : (N,) uint8, see BALLOT_*; offsets : (R + 1,) int64, race r's ballots are
    codes[offsets[r]:offsets[r + 1]]; n_candidates : (R,) int; registered : (R,) int64 or None
    """
    from engine.tally.ballots import count_codes

    n_candidates = np.asarray(n_candidates, dtype=np.int64)
    k = int(n_candidates.max(initial=0))
    counts = count_codes(codes, offsets, BALLOT_FIRST_CANDIDATE + k)
    r = counts.shape[0]
    beyond = counts[:, BALLOT_FIRST_CANDIDATE:] * (np.arange(k) >= n_candidates[:, None])
    if beyond.any():
        race = int(np.flatnonzero(beyond.any(axis=1))[0])
        msg = (f"race {race} has {n_candidates[race]} candidates but holds a ballot for "
               f"candidate {int(np.flatnonzero(beyond[race])[0]) + 1}")
        raise ValueError(msg)
    table = np.empty((r, len(COUNT_COLUMNS) + k), np.int64)
    table[:, 0] = -1 if registered is None else np.asarray(registered, dtype=np.int64)
    table[:, 1] = counts.sum(axis=1)
    table[:, 2] = counts[:, BALLOT_INVALID]
    table[:, 3] = counts[:, BALLOT_AGAINST_ALL]
    table[:, 4:] = counts[:, BALLOT_FIRST_CANDIDATE:]
    return PrecinctTable(race=np.arange(r, dtype=np.int64), counts=table, n_races=r)
