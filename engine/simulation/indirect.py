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
uniforms (:class:`engine.simulation.indirect_votes.Deck`) from ``child_seed(seed, b)`` whatever
the parameters (common random numbers), so the counts move smoothly with the parameters, which
:mod:`engine.simulation.fit` uses, and the same seed gives the same counts for any chunking.
:func:`round_block` is the unit of work a runner hands out: a pure function of the round, the
parameters, the seed and the block index, whose counts are concatenated in block order.
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
           "Deputies", "Round", "RoundCounts", "block_deck", "counts_on", "n_blocks",
           "round_block", "simulate_round"]

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


def block_deck(rnd: Round, seed: int | np.random.SeedSequence, block: int, runs: int) -> Deck:
    """Block ``block``'s uniforms, as :func:`round_block` draws them."""
    rng = np.random.default_rng(child_seed(seed, block))
    return draw_deck(rnd, rng, block_runs(runs, block))


def round_block(rnd: Round, rules: RuleSet, deputies: Deputies,
                seed: int | np.random.SeedSequence, block: int, runs: int,
                deck: Deck | None = None, kernel: Kernel | None = None) -> RoundCounts:
    """The counts of block ``block`` of a ``runs``-run simulation. ``deck`` (its uniforms,
    :func:`block_deck`) and ``kernel`` (:meth:`Kernel.of` the round and rules) may be given
    when already made: they depend on neither the parameters nor each other."""
    deck = block_deck(rnd, seed, block, runs) if deck is None else deck
    return counts_on(rnd, rules, deputies, deck,
                     Kernel.of(rnd, rules) if kernel is None else kernel)


def counts_on(rnd: Round, rules: RuleSet, deputies: Deputies, deck: Deck,
              kernel: Kernel) -> RoundCounts:
    """The counts of the rounds whose uniforms are ``deck`` (one block's, or several blocks'
    joined by :meth:`Deck.concat`: the counts are the blocks' counts one after another)."""
    first = first_round(rnd, rules, kernel, deck, deputies.loyalty, deputies.attendance)
    code = revote(rnd, rules, kernel, deck, first, deputies.loyalty, deputies.attendance,
                  deputies.persistence)

    return RoundCounts(**dict(zip(CLASSES, _per_run(code).T, strict=True)),
                       first_round_ties=_per_run(first.code)[:, CLASSES.index("ties")])


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
                   decks: list[Deck] | None = None,
                   kernel: Kernel | None = None) -> RoundCounts:
    """``runs`` simulated rounds, block after block (``decks``: their uniforms, drawn once by
    the caller to be read by many trials)."""
    if runs < 1:
        msg = f"runs: must be >= 1, got {runs}"
        raise ValueError(msg)
    deputies = Deputies(loyalty=loyalty, attendance=attendance, persistence=persistence)
    kernel = Kernel.of(rnd, rules) if kernel is None else kernel
    return RoundCounts.concat([
        round_block(rnd, rules, deputies, seed, b, runs, None if decks is None else decks[b],
                    kernel)
        for b in range(n_blocks(runs))])
