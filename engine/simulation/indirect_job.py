"""An indirect round's runs as a block job: the same rounds on this machine or a Dask cluster.

Block ``b`` of a round is :func:`engine.simulation.indirect.round_block`, a pure function of the
round, the rules, the deputies' parameters, the seed and ``b``. What a round's callers read is
each run's counts (quantiles, the distribution, and the fit's covariance of the counts
together), so the accumulator keeps each block's rows, by block: ``+=`` joins disjoint blocks,
an exact operation that does not depend on the order or the grouping of the blocks, and the
rows come back in block order, the same bytes as :func:`engine.simulation.indirect
.simulate_round`. Rows are 8 integers a run (64 bytes), what the local round holds as well.
"""

from __future__ import annotations

from typing import Self

import attrs
import numpy as np

from engine.errors import ScenarioError
from engine.law.rules import RuleSet
from engine.simulation.blocks import Backend, Progress, Threads, map_blocks
from engine.simulation.budget import plan_blocks
from engine.simulation.indirect import (
    Deputies,
    Kernels,
    Round,
    RoundCounts,
    n_blocks,
    round_block,
)
from engine.simulation.indirect_votes import deck_bytes
from engine.simulation.seeds import BLOCK_RUNS, block_runs

__all__ = ["CHUNK_BYTES", "RoundJob", "RoundRows", "block_bytes", "fits_round", "round_on"]

# The uniforms a chunk of blocks may draw at once (a block's deck is the bulk of its memory).
CHUNK_BYTES = 64 << 20


class RoundRows:
    """Each block's counts (``rows[b]``: a :class:`RoundCounts` of that block's runs).
    ``a += b`` joins blocks that ``a`` does not hold yet (a block counted twice is a bug)."""

    def __init__(self, rows: dict[int, RoundCounts] | None = None) -> None:
        self.rows: dict[int, RoundCounts] = {} if rows is None else rows

    def __iadd__(self, other: Self) -> Self:
        twice = self.rows.keys() & other.rows.keys()
        if twice:
            msg = f"block {min(twice)} counted twice"
            raise ValueError(msg)
        self.rows.update(other.rows)
        return self

    def counts(self, blocks: int) -> RoundCounts:
        """Blocks ``0 .. blocks - 1`` one after another (every one of them must be held)."""
        missing = [b for b in range(blocks) if b not in self.rows]
        if missing:
            msg = f"block {missing[0]} was never counted"
            raise ValueError(msg)
        return RoundCounts.concat([self.rows[b] for b in range(blocks)])


@attrs.frozen(eq=False)
class RoundJob:
    """``runs`` rounds of ``rnd`` under ``rules`` at ``deputies`` as a :class:`BlockJob`:
    block ``b`` drawn from ``child_seed(seed, b)``, its rows kept by block."""

    rnd: Round
    rules: RuleSet
    deputies: Deputies
    seed: int | np.random.SeedSequence
    runs: int

    @property
    def n_blocks(self) -> int:
        return n_blocks(self.runs)

    def new(self) -> RoundRows:
        return RoundRows()

    def add(self, blocks: range, acc: RoundRows) -> None:
        kernels = Kernels.of(self.rnd, self.rules)  # once per chunk, shared by its blocks
        for b in blocks:
            acc.rows[b] = round_block(self.rnd, self.rules, self.deputies, self.seed, b,
                                      self.runs, kernels=kernels)

    def work_in(self, blocks: range) -> int:
        return sum(block_runs(self.runs, b) for b in blocks)


def block_bytes(rnd: Round) -> int:
    """The uniforms one block of ``rnd`` draws (the bulk of a block's memory)."""
    return max(1, sum(deck_bytes(part, BLOCK_RUNS) for part in rnd.parts()))


def fits_round(rnd: Round, memory: int | None, chunk_runs: int | None, file: str) -> None:
    """Refuse, in one line naming ``file``, a chunk (one block, or ``chunk_runs`` in whole
    blocks) whose uniforms do not fit ``memory`` bytes (None: no limit asked)."""
    if memory is None:
        return
    blocks = 1 if chunk_runs is None else -(-chunk_runs // BLOCK_RUNS)
    need = blocks * block_bytes(rnd)
    if need > memory:
        what = f"a chunk of {blocks * BLOCK_RUNS} runs" if chunk_runs else "a block of 64 runs"
        raise ScenarioError(file, "--memory", f"{what} of this round ({rnd.n_races:,} races) "
                            f"draws about {-(-need // (1 << 20))} MiB of uniforms, more than "
                            f"the budget of {memory // (1 << 20)} MiB: raise --memory")


def round_on(backend: Backend, rnd: Round, rules: RuleSet, deputies: Deputies, *, runs: int,
             seed: int | np.random.SeedSequence, chunk_runs: int | None = None,
             memory: int | None = None, progress: Progress | None = None) -> RoundCounts:
    """``runs`` rounds on ``backend``: the counts :func:`engine.simulation.indirect
    .simulate_round` gives for the same seed, to the byte, for any backend and chunk."""
    if runs < 1:
        msg = f"runs: must be >= 1, got {runs}"
        raise ValueError(msg)
    job = RoundJob(rnd=rnd, rules=rules, deputies=deputies, seed=seed, runs=runs)
    # chunks of uniforms and threads as a simulation's runs (budget.plan_blocks), within
    # --memory or CHUNK_BYTES a slot
    budget = CHUNK_BYTES * max(1, backend.slots) if memory is None else memory
    chunk, jobs = plan_blocks(block_bytes(rnd), runs, backend.slots, budget, chunk_runs)
    per_chunk = -(-chunk // BLOCK_RUNS)
    if isinstance(backend, Threads):  # each thread holds a chunk
        backend = Threads(min(backend.jobs, jobs))
    return map_blocks(backend, job, per_chunk, progress).counts(job.n_blocks)
