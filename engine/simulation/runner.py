"""A simulation's runs as seeded blocks, counted into exact tallies on a :class:`Backend`.

Runs are cut into blocks of :data:`engine.simulation.seeds.BLOCK_RUNS`; a chunk is a whole
number of blocks, and every count is an exact integer sum over chunks, so the result is the
same bytes for any chunk size, any number of threads, and any cluster
(:mod:`engine.simulation.blocks`).
"""

from __future__ import annotations

import attrs
import numpy as np

from engine.law.rules import RuleSet
from engine.simulation import budget
from engine.simulation.blocks import Backend, Progress, Threads, map_blocks
from engine.simulation.model import Model
from engine.simulation.seeds import BLOCK_RUNS, block_runs, root_seed
from engine.simulation.summary import Grouping, Summary
from engine.simulation.tallies import Tallies, add_chunk
from engine.tally.threads import cores

__all__ = ["SimulationJob", "default_chunk_runs", "run"]


def default_chunk_runs(model: Model, runs: int, slots: int) -> int:
    """About 4M int64 cells of precinct table per chunk (32 MB) and, when there are enough runs,
    at least four chunks per slot (thread), so every core stays busy to the end."""
    cells = model.n_precincts * (model.k + 2)
    by_memory = max(1, (1 << 22) // (BLOCK_RUNS * max(cells, 1)))
    by_work = max(1, -(-runs // (BLOCK_RUNS * 4 * slots)))
    return BLOCK_RUNS * min(by_memory, by_work)


@attrs.frozen(eq=False)
class SimulationJob:
    """``runs`` elections of ``model`` under ``rules`` as a :class:`BlockJob`: block ``b`` is
    runs ``64 b ..`` drawn from child ``b`` of ``root``, counted into :class:`Tallies`."""

    model: Model
    rules: RuleSet
    grouping: Grouping | None
    root: np.random.SeedSequence
    runs: int

    @property
    def n_blocks(self) -> int:
        return -(-self.runs // BLOCK_RUNS)

    def new(self) -> Tallies:
        return Tallies(self.model, self.grouping)

    def add(self, blocks: range, acc: Tallies) -> None:
        add_chunk(self.model, self.rules, self.grouping, self.root, self.runs, blocks, acc)

    def work_in(self, blocks: range) -> int:
        return sum(block_runs(self.runs, b) for b in blocks)

    def summary(self, total: Tallies) -> Summary:
        """The Summary of the job's tallies summed over every block."""
        return Summary(runs=self.runs, registered=self.model.registered_by_race,
                       win_count=total.wins, outcome_count=total.outcomes, tie_count=total.ties,
                       against_all_top=total.against_all_top, margin_le_1=total.le_1,
                       margin_le_10=total.le_10, margin_le_1pct=total.le_1pct,
                       cast=total.cast, margin=total.margin, margin_bp=total.margin_bp,
                       area_counts=total.area, grouping=self.grouping)


def run(model: Model, rules: RuleSet, runs: int, seed: int | np.random.SeedSequence, *,
        chunk_runs: int | None = None, jobs: int | None = None,
        grouping: Grouping | None = None, progress: Progress | None = None,
        backend: Backend | None = None, memory: int | None = None) -> Summary:
    """Simulate ``runs`` elections of ``model`` under ``rules`` and count what happened.

    seed : an int or a SeedSequence; the same seed gives the same Summary, to the byte, for any
        ``chunk_runs``, ``jobs`` and ``backend``
    chunk_runs : runs drawn and reduced together (rounded up to whole blocks of
        :data:`BLOCK_RUNS`); memory grows with it, never with ``runs``
    jobs : worker threads (numpy's generators release the GIL); default: the usable cores
    grouping : parties and areas, to count the races each party wins per area
    progress : called with the number of runs finished after each chunk
    backend : where the blocks run (:class:`engine.simulation.cluster.Dask` for a cluster);
        default: ``jobs`` threads here
    memory : bytes the chunks drawn at once may hold (engine.simulation.budget; None: its
        default share of the machine): it sizes the chunks and, on threads, how many workers
        draw at once
    """
    if runs < 1:
        msg = f"runs: must be >= 1, got {runs}"
        raise ValueError(msg)
    if chunk_runs is not None and chunk_runs < 1:
        msg = f"chunk_runs: must be >= 1, got {chunk_runs}"
        raise ValueError(msg)
    if grouping is not None and grouping.candidate_party.shape != (model.n_races, model.k):
        msg = (f"grouping.candidate_party: must have shape {(model.n_races, model.k)}, got "
               f"{grouping.candidate_party.shape}")
        raise ValueError(msg)
    job = SimulationJob(model=model, rules=rules, grouping=grouping, root=root_seed(seed),
                        runs=runs)
    if backend is None:  # threads here: the chunks and the workers within --memory
        chunk, threads = budget.plan(model, runs, cores() if jobs is None else jobs, memory,
                                     chunk_runs)
        backend = Threads(threads)
    else:  # a cluster: each worker holds its own chunk
        chunk = chunk_runs or budget.chunk_runs(model, runs, backend.slots, memory)
    return job.summary(map_blocks(backend, job, -(-chunk // BLOCK_RUNS), progress))
