"""A round of indirect elections simulated deputy by deputy (2013-2021 rules).

A round is simulated every race of every maslikhat and every run at once. Each maslikhat is one
body with one sitting for all the akims it elects: a deputy attends with probability
``attendance`` (so deputies present ~ Binomial(seats, attendance) per maslikhat, the same
deputies in each of its races); a deputy present votes for the candidate the akim proposed first
with probability ``loyalty``, otherwise for one of the others at random. A tie for first place
goes to one re-vote among the tied (:func:`engine.law.indirect.decide_rounds`), in which each
deputy repeats their first-round choice, when it is among the tied, with probability
``persistence`` (rho), and otherwise votes again by the same rule among the tied; a second tie
is final. With persistence 0 the re-vote is drawn afresh; with 1 a two-way tie repeats itself.

Runs are drawn in blocks of :data:`engine.simulation.seeds.BLOCK_RUNS`: block ``b`` draws its
uniforms (one :class:`engine.simulation.indirect_votes.Deck` per part of the round, its
maslikhats of one width: :meth:`Round.parts`) from ``child_seed(seed, b)`` whatever the
parameters (common random numbers), so the counts move smoothly with the parameters, which
:mod:`engine.simulation.fit` uses, and the same seed gives the same counts for any chunking.
:func:`round_block` is the unit of work a runner hands out: a pure function of the round, the
rules, the parameters, the seed and the block index, whose exact integer counts are
concatenated in block order (:meth:`RoundCounts.concat`).
"""

from __future__ import annotations

import attrs
import numpy as np

from engine.formats.model_table import FIT_TARGETS
from engine.law.rules import RuleSet
from engine.simulation.indirect_votes import (
    CLASSES,
    Deck,
    Kernel,
    draw_deck,
    first_round,
    revote,
)
from engine.simulation.races import split_evenly
from engine.simulation.seeds import BLOCK_RUNS, block_runs, child_seed

__all__ = ["DEFAULT_ATTENDANCE", "DEFAULT_LOYALTY", "DEFAULT_PERSISTENCE", "STATISTICS",
           "Decks", "Deputies", "Kernels", "Round", "RoundCounts", "block_deck", "counts_on",
           "join_decks", "n_blocks", "round_block", "simulate_round"]

# Defaults, placeholders of a plausible size (no source publishes them): most deputies attend,
# most vote for the candidate the akim proposed first, and half keep their vote in a re-vote.
DEFAULT_ATTENDANCE = 0.9
DEFAULT_LOYALTY = 0.8
DEFAULT_PERSISTENCE = 0.5


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

    @classmethod
    def joined(cls, rounds: list[Round]) -> Round:
        """Several rounds as one: their maslikhats and races side by side, in order."""
        offsets = np.cumsum([0] + [x.seats.shape[0] for x in rounds[:-1]])
        return cls(seats=np.concatenate([x.seats for x in rounds]),
                   maslikhat=np.concatenate([x.maslikhat + o
                                             for x, o in zip(rounds, offsets, strict=True)]),
                   n_candidates=np.concatenate([x.n_candidates for x in rounds]))

    @property
    def n_races(self) -> int:
        return self.maslikhat.shape[0]

    def parts(self) -> tuple[Round, ...]:
        """The round cut by the width of its maslikhats' uniforms (seats rounded up to a
        multiple of 8), narrowest first: one large body does not widen every race's draws.
        A maslikhat and all its races fall in one part."""
        width = -(-self.seats // 8)
        if np.unique(width).size < 2:
            return (self,)
        out = []
        for w in np.unique(width):
            bodies = np.flatnonzero(width == w)
            index = np.full(self.seats.shape[0], -1, np.int64)
            index[bodies] = np.arange(bodies.size)
            races = np.isin(self.maslikhat, bodies)
            out.append(Round(seats=self.seats[bodies], maslikhat=index[self.maslikhat[races]],
                             n_candidates=self.n_candidates[races]))
        return tuple(out)

    @property
    def max_seats(self) -> int:
        return int(self.seats.max(initial=1))

    @property
    def max_candidates(self) -> int:
        return int(self.n_candidates.max(initial=1))


@attrs.frozen
class Deputies:
    """How deputies behave: P(attending the sitting), P(voting for the candidate the akim
    proposed first), P(repeating the first-round choice in a re-vote) (rho)."""

    loyalty: float = DEFAULT_LOYALTY
    attendance: float = DEFAULT_ATTENDANCE
    persistence: float = DEFAULT_PERSISTENCE

    def __attrs_post_init__(self) -> None:
        for name, value in attrs.asdict(self).items():
            if not 0 <= value <= 1:
                msg = f"{name}: must be in [0, 1], got {value}"
                raise ValueError(msg)


@attrs.frozen(eq=False)
class RoundCounts:
    """Per run (N,): races elected, tied twice (repeat), won by one vote, failed for want of a
    quorum or a majority, won by the candidate the akim proposed first, tied after the first
    round (before the re-vote)."""

    elected: np.ndarray
    ties: np.ndarray
    one_vote_margins: np.ndarray
    failed_quorum: np.ndarray
    failed_majority: np.ndarray
    first_choice_won: np.ndarray
    first_round_ties: np.ndarray

    def stat(self, name: str) -> np.ndarray:
        return getattr(self, name)

    @classmethod
    def concat(cls, parts: list[RoundCounts]) -> RoundCounts:
        """Blocks of runs one after another."""
        return cls(**{s: np.concatenate([p.stat(s) for p in parts]) for s in STATISTICS})


STATISTICS = (*FIT_TARGETS, "first_choice_won", "first_round_ties")


def n_blocks(runs: int) -> int:
    """Blocks of :data:`BLOCK_RUNS` runs in a ``runs``-run simulation."""
    return -(-runs // BLOCK_RUNS)


# A block's uniforms: one Deck per part of the round (Round.parts), drawn in that order.
Decks = tuple[Deck, ...]


@attrs.frozen(eq=False)
class Kernels:
    """Each part of a round (:meth:`Round.parts`) with its :class:`Kernel`: what every trial
    shares, made once per round and rule set."""

    parts: tuple[Round, ...]
    kernels: tuple[Kernel, ...]

    @classmethod
    def of(cls, rnd: Round, rules: RuleSet) -> Kernels:
        parts = rnd.parts()
        return cls(parts=parts, kernels=tuple(Kernel.of(p, rules) for p in parts))


def block_deck(rnd: Round, seed: int | np.random.SeedSequence, block: int, runs: int) -> Decks:
    """Block ``block``'s uniforms, as :func:`round_block` draws them: each part's in turn."""
    rng = np.random.default_rng(child_seed(seed, block))
    return tuple(draw_deck(part, rng, block_runs(runs, block)) for part in rnd.parts())


def join_decks(blocks: list[Decks]) -> Decks:
    """Several blocks' uniforms as one, runs one after another (:meth:`Deck.concat`)."""
    return tuple(Deck.concat(list(part)) for part in zip(*blocks, strict=True))


def round_block(rnd: Round, rules: RuleSet, deputies: Deputies,
                seed: int | np.random.SeedSequence, block: int, runs: int,
                decks: Decks | None = None, kernels: Kernels | None = None) -> RoundCounts:
    """The counts of block ``block`` of a ``runs``-run simulation. ``decks`` (its uniforms,
    :func:`block_deck`) and ``kernels`` (:meth:`Kernels.of` the round and rules) may be given
    when already made: they depend on neither the parameters nor each other."""
    decks = block_deck(rnd, seed, block, runs) if decks is None else decks
    return counts_on(rules, deputies, decks,
                     Kernels.of(rnd, rules) if kernels is None else kernels)


def counts_on(rules: RuleSet, deputies: Deputies, decks: Decks, kernels: Kernels
              ) -> RoundCounts:
    """The counts of the rounds whose uniforms are ``decks`` (one block's, or several blocks'
    joined by :func:`join_decks`: the counts are the blocks' counts one after another), each
    part's counts added."""
    total: np.ndarray | None = None
    for part, kernel, deck in zip(kernels.parts, kernels.kernels, decks, strict=True):
        first = first_round(part, rules, kernel, deck, deputies.loyalty, deputies.attendance)
        code = revote(part, rules, kernel, deck, first, deputies.loyalty, deputies.attendance,
                      deputies.persistence)
        counts = np.concatenate([_per_run(code), _per_run(first.code)[:, [_TIES]]], axis=1)
        total = counts if total is None else total + counts
    assert total is not None  # a round has at least one part
    return RoundCounts(**dict(zip((*CLASSES, "first_round_ties"), total.T, strict=True)))


_TIES = CLASSES.index("ties")


# which class each code (0 .. 63) counts in: (64, len(CLASSES))
_BITS = (np.arange(64)[:, None] >> np.arange(len(CLASSES))) & 1


def _per_run(code: np.ndarray) -> np.ndarray:
    """(n, R) class codes -> (n, len(CLASSES)) races of each class per run."""
    n = code.shape[0]
    per_code = np.bincount((np.arange(n)[:, None] * 64 + code).ravel(), minlength=n * 64)
    return per_code.reshape(n, 64) @ _BITS


def simulate_round(rnd: Round, rules: RuleSet, *, loyalty: float = DEFAULT_LOYALTY,
                   attendance: float = DEFAULT_ATTENDANCE,
                   persistence: float = DEFAULT_PERSISTENCE, runs: int,
                   seed: int | np.random.SeedSequence,
                   kernels: Kernels | None = None) -> RoundCounts:
    """``runs`` simulated rounds, block after block, here (:func:`engine.simulation
    .indirect_job.round_on` runs the same blocks on threads or a cluster); ``kernels``: the
    round's decision tables, made once by a caller that simulates it many times."""
    if runs < 1:
        msg = f"runs: must be >= 1, got {runs}"
        raise ValueError(msg)
    deputies = Deputies(loyalty=loyalty, attendance=attendance, persistence=persistence)
    kernels = Kernels.of(rnd, rules) if kernels is None else kernels
    return RoundCounts.concat([round_block(rnd, rules, deputies, seed, b, runs, None, kernels)
                               for b in range(n_blocks(runs))])
