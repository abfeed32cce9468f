"""A round of indirect elections simulated deputy by deputy (2013-2021 rules).

A round is simulated every race of every maslikhat and every run at once: a deputy attends the
session with probability ``attendance`` (so deputies present ~ Binomial(seats, attendance) per
maslikhat, one session for all its races); a deputy present votes for the candidate the akim
proposed first with probability ``loyalty``, otherwise for one of the others at random; the
re-vote among tied leaders (:func:`engine.law.indirect.decide_rounds`) follows the same rule
among the tied. Draws are uniforms fixed by the seed (common random numbers), so the counts move
smoothly with the parameters, which :mod:`engine.simulation.fit` uses.
"""

from __future__ import annotations

import attrs
import numpy as np

from engine.formats.model_table import FIT_TARGETS
from engine.law.indirect import decide_rounds
from engine.law.rules import Outcome, RuleSet, decide
from engine.simulation.races import split_evenly
from engine.simulation.seeds import child_seed

__all__ = ["DEFAULT_ATTENDANCE", "DEFAULT_LOYALTY", "STATISTICS", "Round", "RoundCounts",
           "simulate_round"]

# Defaults, placeholders of a plausible size (no source publishes them): most deputies attend
# and most vote for the candidate the akim proposed first.
DEFAULT_ATTENDANCE = 0.9

DEFAULT_LOYALTY = 0.8

# Runs drawn at once: (runs, races, deputies) uniforms, float32, stay near 30 MB per array.
_CHUNK_CELLS = 8_000_000


@attrs.frozen(eq=False)
class Round:
    """Maslikhats and the races they fill. seats : (M,); maslikhat : (R,) index into seats;
    n_candidates : (R,)."""

    seats: np.ndarray
    maslikhat: np.ndarray
    n_candidates: np.ndarray

    @classmethod
    def even(cls, maslikhats: int, deputies: int, races: int, candidates: int) -> Round:
        """Published totals split as evenly as whole numbers allow: deputies over maslikhats,
        races over maslikhats, candidates over races (at least two each)."""
        seats = split_evenly(deputies, maslikhats)
        per = split_evenly(races, maslikhats)
        maslikhat = np.repeat(np.arange(maslikhats), per)
        n_cand = split_evenly(max(candidates, 2 * races), races)
        return cls(seats=seats, maslikhat=maslikhat, n_candidates=n_cand)

    @property
    def n_races(self) -> int:
        return self.maslikhat.shape[0]


@attrs.frozen(eq=False)
class RoundCounts:
    """Per run (N,): races elected, tied twice (repeat), won by one vote, failed for want of a
    quorum or a majority."""

    elected: np.ndarray
    ties: np.ndarray
    one_vote_margins: np.ndarray
    failed_quorum: np.ndarray
    failed_majority: np.ndarray

    def stat(self, name: str) -> np.ndarray:
        return getattr(self, name)


STATISTICS = FIT_TARGETS


def _votes(choice: np.ndarray, present: np.ndarray, k: int) -> np.ndarray:
    """Counts per candidate: choice (..., D) int in [0, k), present (..., D) bool -> (..., k)."""
    cells = np.prod(choice.shape[:-1], dtype=np.int64)
    key = np.arange(cells).reshape(choice.shape[:-1])[..., None] * k + choice
    return np.bincount(key[present], minlength=cells * k).reshape(*choice.shape[:-1], k)


def _chunk(rnd: Round, rules: RuleSet, loyalty: float, attendance: float,
           rng: np.random.Generator, n: int) -> RoundCounts:
    r, d, k = rnd.n_races, int(rnd.seats.max()), int(rnd.n_candidates.max())
    m = rnd.seats.shape[0]
    seat_ok = np.arange(d) < rnd.seats[:, None]                         # (M, D)
    attend = rng.random((n, m, d), dtype=np.float32) < attendance
    attend &= seat_ok
    present_dep = attend[:, rnd.maslikhat, :]                            # (n, R, D)
    present = attend.sum(axis=-1)[:, rnd.maslikhat]                      # (n, R)
    u = rng.random((n, r, d), dtype=np.float32)
    v = rng.random((n, r, d), dtype=np.float32)
    others = (rnd.n_candidates - 1)[None, :, None]
    choice = np.where(u < loyalty, 0, 1 + np.minimum((v * others).astype(np.int64),
                                                     others - 1))
    votes = _votes(choice, present_dep, k)
    seats = np.broadcast_to(rnd.seats[rnd.maslikhat], present.shape)
    first = decide(votes, rnd.n_candidates, rules, cast=present, registered=seats)
    # the re-vote, drawn where the leaders tied: the same rule among the tied
    u2 = rng.random((n, r, d), dtype=np.float32)
    v2 = rng.random((n, r, d), dtype=np.float32)
    tied_runs, tied_races = np.nonzero(first.outcome == Outcome.TIE)
    revote = np.full(votes.shape, -1, np.int64)
    if tied_runs.size:
        on = np.arange(k) < rnd.n_candidates[tied_races][:, None]
        tied = on & (votes[tied_runs, tied_races] == first.top[tied_runs, tied_races][:, None])
        rest = tied.copy()
        rest[:, 0] = False                                               # the tied others
        n_rest = rest.sum(axis=-1)[:, None]                              # (T, 1)
        pick = np.minimum((v2[tied_runs, tied_races] * n_rest).astype(np.int64),
                          np.maximum(n_rest - 1, 0))                     # (T, D)
        ranks = np.cumsum(rest, axis=-1) - 1                             # (T, K)
        other_choice = np.argmax((ranks[:, None, :] == pick[..., None]) & rest[:, None, :],
                                 axis=-1)
        loyal = tied[:, :1] & (u2[tied_runs, tied_races] < loyalty)
        loyal |= tied[:, :1] & (n_rest == 0)
        choice2 = np.where(loyal, 0, other_choice)
        revote[tied_runs, tied_races] = _votes(choice2, present_dep[tied_runs, tied_races], k)
    final = decide_rounds(votes, rnd.n_candidates, rules, present=present, seats=seats,
                          revote=revote)
    out = final.outcome
    elected = (out == Outcome.ELECTED) | (out == Outcome.UNCONTESTED)
    return RoundCounts(
        elected=elected.sum(axis=1), ties=(out == Outcome.TIE).sum(axis=1),
        one_vote_margins=(elected & (final.margin_votes == 1)).sum(axis=1),
        failed_quorum=(out == Outcome.FAILED_QUORUM).sum(axis=1),
        failed_majority=(out == Outcome.FAILED_MAJORITY).sum(axis=1))


def simulate_round(rnd: Round, rules: RuleSet, *, loyalty: float, attendance: float,
                   runs: int, seed: int | np.random.SeedSequence) -> RoundCounts:
    """``runs`` simulated rounds; the same seed gives the same uniforms whatever the
    parameters (common random numbers), chunk ``c`` of runs drawing from child ``c``."""
    if not (0 <= loyalty <= 1 and 0 <= attendance <= 1):
        msg = f"loyalty and attendance: must be in [0, 1], got {loyalty}, {attendance}"
        raise ValueError(msg)
    per = max(1, _CHUNK_CELLS // max(1, rnd.n_races * int(rnd.seats.max())))
    parts = []
    for c, start in enumerate(range(0, runs, per)):
        rng = np.random.default_rng(child_seed(seed, c))
        parts.append(_chunk(rnd, rules, loyalty, attendance, rng, min(per, runs - start)))
    return RoundCounts(**{s: np.concatenate([p.stat(s) for p in parts]) for s in STATISTICS})
