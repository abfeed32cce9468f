"""The peers, each used its own documented way, on the ballots saylau counts or draws.

Installed with ``pip install 'saylau[bench]'``; a peer that is not installed is skipped with one
line saying so (:func:`skip_line`). Tallies take ``codes`` : (n,) uint8 in [0, k) and return
``(build, tally)``: ``build()`` turns the ballots into the peer's input, ``tally(built)`` counts
it and picks the winner, returning the counts : (k,) int64 for the check against saylau.

- VoteKit: one ``RankBallot`` per ballot, ranking its one choice, in a ``PreferenceProfile``,
  then ``elections.Plurality`` (scores of its first election state);
- pref_voting: one ranking per ballot in a ``Profile`` (linear orders: the choice first, the
  others after it in a fixed order, which plurality never reads), then
  ``scoring_methods.plurality`` and ``Profile.plurality_scores``;
- votelib: it evaluates counted votes only (``{candidate: votes}``), so its way is to count the
  ballots with ``collections.Counter``, then ``evaluate.core.Plurality().evaluate``.

Generators of ``n`` voters' ballots over ``k`` candidates, impartial culture: VoteKit's
``ballot_generator.ic_profile_generator`` and prefsampling's ``ordinal.impartial`` (both draw
whole rankings; plurality needs only the first choice).
"""

from __future__ import annotations

import importlib.util
from collections import Counter
from collections.abc import Callable
from typing import Any

import numpy as np

__all__ = [
    "GENERATORS",
    "MODULES",
    "PROFILES_OF_BALLOTS",
    "TALLIES",
    "available",
    "pref_voting_plurality",
    "prefsampling_ic",
    "skip_line",
    "votekit_ic",
    "votekit_plurality",
    "votelib_plurality",
]

# The module each peer is imported as, by the name used in the figures.
MODULES = {"VoteKit": "votekit", "pref_voting": "pref_voting", "votelib": "votelib",
           "prefsampling": "prefsampling", "pandas": "pandas"}

# A peer's tally: build() makes its own profile of the ballots (a type of each peer's, so Any
# here), count(profile) counts it.
Tally = Callable[[np.ndarray, int], tuple[Callable[[], Any], Callable[[Any], np.ndarray]]]


def available(peer: str) -> bool:
    """Whether ``peer`` (a key of :data:`MODULES`) can be imported here."""
    return importlib.util.find_spec(MODULES[peer]) is not None


def skip_line(peer: str, what: str) -> str:
    """The one line printed instead of a peer's figures when it is not installed."""
    return (f"  {peer}: not installed, {what} skipped (pip install 'saylau[bench]' "
            f"or pip install {MODULES[peer]})")


def _names(k: int) -> list[str]:
    return [f"option {i}" for i in range(k)]


def votekit_plurality(codes: np.ndarray, k: int
                      ) -> tuple[Callable[[], Any], Callable[[Any], np.ndarray]]:
    """VoteKit: RankBallot per ballot -> PreferenceProfile -> Plurality."""
    from votekit import PreferenceProfile, RankBallot
    from votekit.elections import Plurality

    names = _names(k)
    choices = codes.tolist()

    def build() -> PreferenceProfile:
        ballots = [RankBallot(ranking=(frozenset({names[c]}),)) for c in choices]
        return PreferenceProfile(ballots=ballots, candidates=names)

    def tally(profile: PreferenceProfile) -> np.ndarray:
        election = Plurality(profile, n_seats=1, tiebreak="random", rng_seed=0)
        election.get_elected()
        scores = election.election_states[0].scores
        return np.array([scores.get(n, 0) for n in names], dtype=np.int64)

    return build, tally


def pref_voting_plurality(codes: np.ndarray, k: int
                          ) -> tuple[Callable[[], Any], Callable[[Any], np.ndarray]]:
    """pref_voting: a ranking per ballot -> Profile -> plurality."""
    from pref_voting.profiles import Profile
    from pref_voting.scoring_methods import plurality

    orders = [[c, *(d for d in range(k) if d != c)] for c in range(k)]
    choices = codes.tolist()

    def build() -> Profile:
        return Profile([orders[c] for c in choices])

    def tally(profile: Profile) -> np.ndarray:
        plurality(profile)
        scores = profile.plurality_scores()
        return np.array([scores.get(c, 0) for c in range(k)], dtype=np.int64)

    return build, tally


def votelib_plurality(codes: np.ndarray, k: int
                      ) -> tuple[Callable[[], Any], Callable[[Any], np.ndarray]]:
    """votelib: ballots counted by Counter -> Plurality().evaluate."""
    from votelib.evaluate.core import Plurality

    data = codes.tobytes()
    evaluator = Plurality()

    def build() -> dict[int, int]:
        return dict(Counter(data))

    def tally(votes: dict[int, int]) -> np.ndarray:
        evaluator.evaluate(votes, 1)
        return np.array([votes.get(c, 0) for c in range(k)], dtype=np.int64)

    return build, tally


# Whose input still holds one entry per ballot, so that their tally alone, on the input built,
# is a count too (votelib's input is already counted: its tally only picks the winner).
PROFILES_OF_BALLOTS = ("VoteKit", "pref_voting")

TALLIES: dict[str, Tally] = {
    "VoteKit": votekit_plurality,
    "pref_voting": pref_voting_plurality,
    "votelib": votelib_plurality,
}


def votekit_ic(n: int, k: int, seed: int) -> int:
    """VoteKit's impartial culture: ``n`` ranked ballots over ``k`` candidates; returns n."""
    from votekit.ballot_generator import ic_profile_generator

    profile = ic_profile_generator(_names(k), n, rng_seed=seed)
    return int(profile.total_ballot_wt)


def prefsampling_ic(n: int, k: int, seed: int) -> int:
    """prefsampling's impartial culture: ``n`` rankings of ``k`` candidates; returns n."""
    from prefsampling.ordinal import impartial

    return len(impartial(n, k, seed=seed))


GENERATORS: dict[str, Callable[[int, int, int], int]] = {
    "VoteKit": votekit_ic,
    "prefsampling": prefsampling_ic,
}
