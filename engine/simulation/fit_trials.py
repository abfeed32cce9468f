"""The fit's trials as objects that travel: the simulated counts and distance at a point of the
parameters, evaluated by this machine's threads or by a Dask cluster's workers alike.

A :class:`Trials` holds what every trial of a fit shares: the round, the rules, the runs and the
seed. The uniforms (every block's, drawn once: common random numbers) and the law's decision
tables are made on first use in each process and never pickled: a worker draws them from the
seed, the same numbers as here (:func:`engine.simulation.indirect.block_deck`), rather than
receiving them (up to :data:`DECK_BUDGET` bytes). So a trial is a pure function of its point,
and its distance is the same float on a worker as on a thread here.
"""

from __future__ import annotations

import threading
from typing import Any

import attrs
import numpy as np

from engine.law.rules import RuleSet
from engine.simulation.indirect import (
    Decks,
    Deputies,
    Kernels,
    Round,
    RoundCounts,
    block_deck,
    counts_on,
    join_decks,
    n_blocks,
    simulate_round,
)
from engine.simulation.indirect_votes import deck_bytes

__all__ = ["DECK_BUDGET", "VARIANCE_FLOOR", "Objective", "Trials", "distance"]

# The uniforms of every block are drawn once and kept when they fit in this (else redrawn at
# each trial, same numbers, slower).
DECK_BUDGET = 512 << 20
# Added to the variance of every simulated count: (half a count)^2.
VARIANCE_FLOOR = 0.25


def distance(counts: RoundCounts, targets: dict[str, int]) -> float:
    """The published ``targets`` against the simulated ``counts`` (:mod:`engine.simulation.fit`
    docstring)."""
    names = list(targets)
    x = np.array([targets[n] for n in names], float)
    sims = np.stack([counts.stat(n).astype(float) for n in names])        # (T, runs)
    runs = sims.shape[1]
    m = sims.mean(axis=1)
    cov = np.atleast_2d(np.cov(sims, ddof=1)) if runs > 1 else np.zeros((len(names),) * 2)
    cov = cov * (1 + 1 / runs)
    cov[np.diag_indices_from(cov)] += VARIANCE_FLOOR
    d = x - m
    return float(d @ np.linalg.solve(cov, d))


class Trials:
    """What every trial of one fit shares (module docstring); ``bounds`` clip each point."""

    def __init__(self, rnd: Round, rules: RuleSet, runs: int, seed: int,
                 bounds: dict[str, tuple[float, float]]) -> None:
        self.rnd, self.rules, self.runs, self.seed = rnd, rules, runs, seed
        self.bounds = dict(bounds)
        self._lock = threading.Lock()
        self._made: tuple[Kernels, Decks | None] | None = None

    def __getstate__(self) -> dict[str, Any]:
        # the tables and uniforms are remade where the trials arrive, never shipped
        return {k: v for k, v in self.__dict__.items() if k not in ("_lock", "_made")}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._lock = threading.Lock()
        self._made = None

    def made(self) -> tuple[Kernels, Decks | None]:
        """The decision tables, and every block's uniforms joined (None past
        :data:`DECK_BUDGET`: each trial draws them again), made once in this process."""
        with self._lock:
            if self._made is None:
                decks = None
                if sum(deck_bytes(p, self.runs) for p in self.rnd.parts()) <= DECK_BUDGET:
                    decks = join_decks([block_deck(self.rnd, self.seed, b, self.runs)
                                        for b in range(n_blocks(self.runs))])
                self._made = (Kernels.of(self.rnd, self.rules), decks)
            return self._made

    def counts(self, x: np.ndarray, names: tuple[str, ...], held: dict[str, float]
               ) -> RoundCounts:
        """The rounds' counts with ``names`` at ``x`` (clipped to the bounds), the others at
        ``held``."""
        values = dict(held)
        for name, value in zip(names, x, strict=True):
            lo, hi = self.bounds[name]
            values[name] = float(min(max(value, lo), hi))
        deputies = Deputies(**values)
        kernels, decks = self.made()
        if decks is None:
            return simulate_round(self.rnd, self.rules, runs=self.runs, seed=self.seed,
                                  kernels=kernels, loyalty=deputies.loyalty,
                                  attendance=deputies.attendance,
                                  persistence=deputies.persistence)
        return counts_on(self.rules, deputies, decks, kernels)


@attrs.frozen(eq=False)
class Objective:
    """A trial's distance to ``targets``: ``names`` at the point, the others at ``held``."""

    trials: Trials
    names: tuple[str, ...]
    held: dict[str, float]
    targets: dict[str, int]

    def __call__(self, x: np.ndarray) -> float:
        return distance(self.trials.counts(x, self.names, self.held), self.targets)
