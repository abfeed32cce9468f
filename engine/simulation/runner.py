"""The local runner: blocks of runs cut into chunks, drawn and counted on worker threads.

Runs are cut into blocks of :data:`engine.simulation.seeds.BLOCK_RUNS`; a chunk is a whole
number of blocks, and every count is an exact integer sum over chunks, so the result is the
same bytes for any chunk size and any number of workers.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Protocol, Self, TypeVar

import numpy as np

from engine.law.rules import RuleSet
from engine.simulation import budget
from engine.simulation.model import Model
from engine.simulation.seeds import BLOCK_RUNS, block_runs, root_seed
from engine.simulation.summary import Grouping, Summary
from engine.simulation.tallies import Tallies, add_chunk
from engine.tally.threads import cores

__all__ = ["default_chunk_runs", "map_blocks", "run"]

T = TypeVar("T", bound="_Summable")


class _Summable(Protocol):
    """An accumulator: ``acc += other`` adds another of its kind into it."""

    def __iadd__(self, other: Self, /) -> Self: ...


def default_chunk_runs(model: Model, runs: int, jobs: int) -> int:
    """About 4M int64 cells of precinct table per chunk (32 MB) and, when there are enough runs,
    at least four chunks per worker, so every core stays busy to the end."""
    cells = model.n_precincts * (model.k + 2)
    by_memory = max(1, (1 << 22) // (BLOCK_RUNS * max(cells, 1)))
    by_work = max(1, -(-runs // (BLOCK_RUNS * 4 * jobs)))
    return BLOCK_RUNS * min(by_memory, by_work)


def map_blocks(runs: int, chunk_runs: int, jobs: int, new_acc: Callable[[], T],
               work: Callable[[range, T], None],
               progress: Callable[[int], None] | None = None) -> T:
    """Cut ``runs`` into blocks of :data:`BLOCK_RUNS`, chunks of whole blocks, and have ``jobs``
    threads call ``work(blocks, acc)`` on them, each into its own accumulator; return their sum
    (``acc += other``). Integer sums do not depend on which thread took which chunk."""
    n_blocks = -(-runs // BLOCK_RUNS)
    per_chunk = -(-chunk_runs // BLOCK_RUNS)
    jobs = min(jobs, -(-n_blocks // per_chunk))
    lock = threading.Lock()
    # chunks handed out one at a time: nothing is held per chunk, whatever ``runs`` is
    queue = (range(s, min(s + per_chunk, n_blocks)) for s in range(0, n_blocks, per_chunk))
    done = 0

    def worker() -> T:
        nonlocal done
        acc = new_acc()
        while True:
            with lock:
                blocks = next(queue, None)
            if blocks is None:
                return acc
            work(blocks, acc)
            if progress is not None:
                with lock:
                    done += sum(block_runs(runs, b) for b in blocks)
                    progress(done)

    if jobs == 1:
        return worker()
    with ThreadPoolExecutor(max_workers=jobs, thread_name_prefix="saylau-sim") as ex:
        parts = [f.result() for f in [ex.submit(worker) for _ in range(jobs)]]
    total = parts[0]
    for part in parts[1:]:
        # T is _Summable; mypy does not look up __iadd__ through a bound (python/mypy#11745)
        total += part  # type: ignore[operator]
    return total


def run(model: Model, rules: RuleSet, runs: int, seed: int | np.random.SeedSequence, *,
        chunk_runs: int | None = None, jobs: int | None = None,
        grouping: Grouping | None = None,
        progress: Callable[[int], None] | None = None, memory: int | None = None) -> Summary:
    """Simulate ``runs`` elections of ``model`` under ``rules`` and count what happened.

    seed : an int or a SeedSequence; the same seed gives the same Summary, to the byte, for any
        ``chunk_runs`` and ``jobs``
    chunk_runs : runs drawn and reduced together (rounded up to whole blocks of
        :data:`BLOCK_RUNS`); memory grows with it, never with ``runs``
    jobs : worker threads (numpy's generators release the GIL); default: the usable cores
    grouping : parties and areas, to count the races each party wins per area
    progress : called with the number of runs finished after each chunk
    memory : bytes the chunks drawn at once may hold (engine.simulation.budget; None: its
        default share of the machine): it sizes the chunks and how many workers draw at once
    """
    if runs < 1:
        msg = f"runs: must be >= 1, got {runs}"
        raise ValueError(msg)
    jobs = cores() if jobs is None else jobs
    if jobs < 1:
        msg = f"jobs: must be >= 1, got {jobs}"
        raise ValueError(msg)
    if chunk_runs is not None and chunk_runs < 1:
        msg = f"chunk_runs: must be >= 1, got {chunk_runs}"
        raise ValueError(msg)
    if grouping is not None and grouping.candidate_party.shape != (model.n_races, model.k):
        msg = (f"grouping.candidate_party: must have shape {(model.n_races, model.k)}, got "
               f"{grouping.candidate_party.shape}")
        raise ValueError(msg)
    root = root_seed(seed)

    def work(blocks: range, acc: Tallies) -> None:
        add_chunk(model, rules, grouping, root, runs, blocks, acc)

    chunk, jobs = budget.plan(model, runs, jobs, memory, chunk_runs)  # within --memory
    total = map_blocks(runs, chunk, jobs, lambda: Tallies(model, grouping), work, progress)
    return Summary(runs=runs, registered=model.registered_by_race, win_count=total.wins,
                   outcome_count=total.outcomes, tie_count=total.ties,
                   against_all_top=total.against_all_top, margin_le_1=total.le_1,
                   margin_le_10=total.le_10, margin_le_1pct=total.le_1pct, cast=total.cast,
                   margin=total.margin, margin_bp=total.margin_bp, area_counts=total.area,
                   grouping=grouping)
