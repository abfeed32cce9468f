"""What a simulation found: exact integer counts over runs, and what derives from them."""

from __future__ import annotations

import attrs
import numpy as np

from engine.simulation.histograms import QUANTILES, Histogram
from engine.tally.areas import area_membership

__all__ = ["BASIS_POINTS", "CLOSE", "NO_WINNER", "QUANTILES", "Grouping", "Summary", "wilson"]

NO_WINNER = "no winner"

CLOSE = "margin <= 10 votes"

BASIS_POINTS = 10_000


@attrs.frozen(eq=False)
class Grouping:
    """Parties of candidates and areas of races, for the races each party wins per area.

    candidate_party : (R, K) int64 index into ``parties``, -1 past a race's candidates
    paths : every area (the nation ``()`` first); area ``area_of[i]`` holds race ``race_of[i]``
    """

    parties: tuple[str, ...]
    candidate_party: np.ndarray
    paths: tuple[tuple[str, ...], ...]
    area_of: np.ndarray
    race_of: np.ndarray

    @classmethod
    def of(cls, race_areas: list[tuple[str, ...]], candidate_party: np.ndarray,
           parties: tuple[str, ...]) -> Grouping:
        paths, area_of, race_of = area_membership(race_areas)
        return cls(parties=parties, candidate_party=np.asarray(candidate_party, np.int64),
                   paths=paths, area_of=area_of, race_of=race_of)

    @property
    def columns(self) -> tuple[str, ...]:
        """What :attr:`Summary.area_counts` counts per area and run: races won by each party,
        races left without a winner (failed or tied), races decided by at most 10 votes."""
        return (*self.parties, NO_WINNER, CLOSE)


@attrs.frozen(eq=False)
class Summary:
    """What :func:`run` found: exact integer counts over ``runs`` runs; shares derive from them.

    Per race (R races, K candidate columns, O = len(Outcome) outcome codes):
    win_count : (R, K) runs each candidate won
    outcome_count : (R, O) runs ending in each :class:`engine.law.rules.Outcome`
    tie_count, against_all_top : (R,) runs with a tie for first place / with against all ahead
        of every candidate
    margin_le_1, margin_le_10, margin_le_1pct : (R,) runs whose margin (decide()'s: the top
        candidate's votes minus the next one's) was at most 1 vote, 10 votes, 1% of valid votes
    cast, margin : histograms of each race's ballots cast and margin in votes (exact)
    margin_bp : histogram of the margin in basis points of valid votes, rounded down
    area_counts : histogram, row ``a * len(columns) + c``: how many of area a's races fell in
        column c of ``grouping.columns`` per run (None without a grouping)
    """

    runs: int
    registered: np.ndarray
    win_count: np.ndarray
    outcome_count: np.ndarray
    tie_count: np.ndarray
    against_all_top: np.ndarray
    margin_le_1: np.ndarray
    margin_le_10: np.ndarray
    margin_le_1pct: np.ndarray
    cast: Histogram
    margin: Histogram
    margin_bp: Histogram
    area_counts: Histogram | None = None
    grouping: Grouping | None = None

    def share(self, count: np.ndarray) -> np.ndarray:
        return np.asarray(count) / self.runs

    @property
    def win_probability(self) -> np.ndarray:
        return self.share(self.win_count)

    @property
    def win_interval(self) -> np.ndarray:
        """(R, K, 2): the 95% Wilson score interval of each win probability."""
        return wilson(self.win_count, self.runs)

    def turnout_quantiles(self) -> np.ndarray:
        """(R, 3) float: turnout (cast / registered) at :data:`QUANTILES`, exact order statistics
        (nan for a race without voters)."""
        q = self.cast.quantiles().astype(np.float64)
        reg = self.registered[:, None].astype(np.float64)
        return np.divide(q, reg, out=np.full(q.shape, np.nan), where=reg > 0)

    def margin_quantiles(self) -> np.ndarray:
        """(R, 3) int64: the margin in votes at :data:`QUANTILES`, exact."""
        return self.margin.quantiles()

    def margin_points_quantiles(self) -> np.ndarray:
        """(R, 3) float: the margin in percentage points of valid votes at :data:`QUANTILES`,
        rounded down to 0.01 point (0 when a run has no valid votes)."""
        return self.margin_bp.quantiles() / 100


def wilson(count: np.ndarray, runs: int) -> np.ndarray:
    """The 95% Wilson score interval of ``count / runs``, stacked on a last axis of 2."""
    z = 1.959963984540054
    p = np.asarray(count) / runs
    z2n = z * z / runs
    centre = (p + z2n / 2) / (1 + z2n)
    half = z / (1 + z2n) * np.sqrt(p * (1 - p) / runs + z2n / (4 * runs))
    # The interval holds p; rounding could put p = 0 or 1 a hair outside it.
    low = np.clip(centre - half, 0.0, p)
    high = np.clip(centre + half, p, 1.0)
    return np.stack([low, high], axis=-1)
