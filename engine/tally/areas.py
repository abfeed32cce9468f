"""Race results -> any grouping of races (districts, regions, the nation), all areas at once."""

from __future__ import annotations

import attrs
import numpy as np

from engine.tally.races import RaceResults, percent
from engine.tally.sums import sum_by_group, sum_known

__all__ = ["AreaResults", "area_membership", "area_results"]


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
                 candidate_party: np.ndarray, parties: tuple[str, ...],
                 bodies: list[str | None] | None = None) -> AreaResults:
    """Aggregate races to every area at once; ``candidate_party`` : (R, K) party index (-1 pad).

    An area's count is unknown (-1) when any of its races' is; an area without races sums to 0.
    ``bodies`` (R,): the electing body of each race (an indirect round's maslikhat, or None):
    races a body elects at one sitting share its electors, so an area counts the body's seats
    (registered) and deputies present (cast) once, however many of its races it elects; the
    ballots (valid, invalid) are one per race and deputy, and add up.
    """
    t = res.totals
    paths, area_of, race_of = area_membership(race_areas)
    a, n_races, n_parties = len(paths), len(race_areas), len(parties)
    # Votes per (race, party): a party's votes are unknown where any of its candidates' is.
    r_idx, k_idx = np.nonzero(candidate_party >= 0)
    cell = r_idx * n_parties + candidate_party[r_idx, k_idx]
    party_votes = sum_known(t.votes[r_idx, k_idx], cell, n_races * n_parties, empty=0)
    won = res.winner >= 0
    winner_party = np.zeros((n_races, n_parties), np.int64)
    rows = np.flatnonzero(won)
    winner_party[rows, candidate_party[rows, res.winner[rows]]] = 1
    # One pass for the counts that may be unknown, one for those that are always known.
    maybe = np.column_stack([t.registered, t.cast, t.invalid, t.valid, t.against_all,
                             party_votes.reshape(n_races, n_parties)])
    known = np.column_stack([np.ones(n_races, np.int64), won, winner_party]).astype(np.int64)
    rows = maybe[race_of]
    rows[_repeated_body(bodies, area_of, race_of), :2] = 0  # the body counted once per area
    sums = sum_known(rows, area_of, a, empty=0)
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
        turnout=percent(sums[:, 1], sums[:, 0]),
        decided=counts[:, 1],
        seats=counts[:, 2:],
        party_votes=sums[:, 5:],
    )


def _repeated_body(bodies: list[str | None] | None, area_of: np.ndarray,
                   race_of: np.ndarray) -> np.ndarray:
    """Which (area, race) pairs hold a race whose body an earlier race of the area named."""
    repeated = np.zeros(race_of.size, bool)
    if not bodies or all(b is None for b in bodies):
        return repeated
    codes: dict[str, int] = {}
    body = np.array([-1 if b is None else codes.setdefault(b, len(codes)) for b in bodies],
                    np.int64)[race_of]
    shared = np.flatnonzero(body >= 0)
    _, first = np.unique(area_of[shared] * len(codes) + body[shared], return_index=True)
    repeated[shared] = True
    repeated[shared[first]] = False
    return repeated
