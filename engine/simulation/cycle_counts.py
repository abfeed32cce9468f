"""What a multi-cycle run counts: per cycle, exact integer counts over runs and races, and the
first and last day of its early elections and repeats (min / max: exact whatever the chunks)."""

from __future__ import annotations

import attrs
import numpy as np

__all__ = ["EXIT_REASONS", "NO_DAY", "Counts", "CycleSummary", "Round", "count"]

EXIT_REASONS = ("term limit", "did not stand", "lost", "dismissed")
# A first or last day not reached (no such election in the cycle).
NO_DAY = np.iinfo(np.int64).max


class Counts:
    """Per cycle (C cycles, L = term limit): exact integer counts over runs and races."""

    def __init__(self, cycles: int, limit: int) -> None:
        c = cycles
        self.elections = np.zeros(c, np.int64)
        self.early = np.zeros(c, np.int64)
        self.failed = np.zeros(c, np.int64)
        self.repeats = np.zeros(c, np.int64)        # repeats of a failed vote
        self.sitting = np.zeros(c, np.int64)        # a sitting akim at the election
        self.term_limited = np.zeros(c, np.int64)   # ... barred by the limit
        self.stood = np.zeros(c, np.int64)          # ... standing again
        self.incumbent_won = np.zeros(c, np.int64)
        self.open_seats = np.zeros(c, np.int64)     # no incumbent on the ballot
        # winners by the consecutive term they start (1..L; column L + 1 must stay empty)
        self.winner_term = np.zeros((c, limit + 2), np.int64)
        # akims leaving office: by reason, and by the consecutive terms they served
        self.exits = np.zeros((c, len(EXIT_REASONS)), np.int64)
        self.exit_served = np.zeros((c, limit + 2), np.int64)
        self.fraud_precincts = np.zeros(c, np.int64)  # precincts with injected irregularities
        # day numbers (engine.law.days) of the first and last early election and repeat
        self.early_first = np.full(c, NO_DAY, np.int64)
        self.early_last = np.full(c, -NO_DAY, np.int64)
        self.repeat_first = np.full(c, NO_DAY, np.int64)
        self.repeat_last = np.full(c, -NO_DAY, np.int64)

    def __iadd__(self, other: Counts) -> Counts:
        for name, value in vars(self).items():
            theirs = getattr(other, name)
            if name.endswith("_first"):
                np.minimum(value, theirs, out=value)
            elif name.endswith("_last"):
                np.maximum(value, theirs, out=value)
            else:
                value += theirs
        return self


@attrs.frozen(eq=False)
class Round:
    """One round of elections of a block, (n, R) arrays: who voted, how it went."""

    active: np.ndarray
    repeat: np.ndarray
    early: np.ndarray
    won: np.ndarray
    kept: np.ndarray
    term: np.ndarray
    leaves: np.ndarray
    limited: np.ndarray
    stands: np.ndarray
    served: np.ndarray
    dismissed_served: np.ndarray
    day: np.ndarray


def count(c: Counts, cycle: np.ndarray, x: Round) -> None:
    """Add round ``x`` to ``c``; ``cycle`` (n, R) is the cycle each election falls in."""
    n_cycles, width = c.winner_term.shape

    def add(target: np.ndarray, mask: np.ndarray) -> None:
        target += np.bincount(cycle[mask], minlength=n_cycles)

    def add2(target: np.ndarray, mask: np.ndarray, column: np.ndarray) -> None:
        target += np.bincount(cycle[mask] * target.shape[1] + column[mask],
                              minlength=target.size).reshape(target.shape)

    dismissed = x.active & (x.dismissed_served > 0)
    add(c.elections, x.active)
    add(c.early, x.active & x.early)
    add(c.failed, x.active & ~x.won)
    first = x.active & ~x.repeat  # a repeat of a failed vote is not a new choice to count
    add(c.repeats, x.active & x.repeat)
    add(c.sitting, first & (x.served > 0))
    add(c.term_limited, first & x.limited)
    add(c.stood, first & x.stands)
    add(c.incumbent_won, x.kept)
    add(c.open_seats, first & ~x.stands)
    add2(c.winner_term, x.won, np.minimum(x.term, width - 1))
    reasons = (x.leaves & x.limited, x.leaves & ~x.limited & ~x.stands, x.leaves & x.stands,
               dismissed)
    for j, mask in enumerate(reasons):
        c.exits[:, j] += np.bincount(cycle[mask], minlength=n_cycles)
    add2(c.exit_served, x.leaves, np.minimum(x.served, width - 1))
    add2(c.exit_served, dismissed, np.minimum(x.dismissed_served, width - 1))
    for mask, low, high in ((x.active & x.early, c.early_first, c.early_last),
                            (x.active & x.repeat, c.repeat_first, c.repeat_last)):
        np.minimum.at(low, cycle[mask], x.day[mask])
        np.maximum.at(high, cycle[mask], x.day[mask])


@attrs.frozen(eq=False)
class CycleSummary:
    """Per cycle (C), exact counts over all runs and races (see :class:`Counts` for each);
    ``starts`` : (C + 1,) day numbers, cycle c runs from starts[c] to the day before
    starts[c + 1] (the regular votes of a race no early end has moved)."""

    runs: int
    cycles: int
    term_limit: int
    term_years: int
    starts: np.ndarray
    elections: np.ndarray
    early: np.ndarray
    failed: np.ndarray
    repeats: np.ndarray
    sitting: np.ndarray
    term_limited: np.ndarray
    stood: np.ndarray
    incumbent_won: np.ndarray
    open_seats: np.ndarray
    winner_term: np.ndarray
    exits: np.ndarray
    exit_served: np.ndarray
    fraud_precincts: np.ndarray
    early_first: np.ndarray
    early_last: np.ndarray
    repeat_first: np.ndarray
    repeat_last: np.ndarray

    @property
    def won(self) -> np.ndarray:
        """(C,) elections that elected someone."""
        return self.elections - self.failed
