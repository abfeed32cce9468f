"""Seeded block work and where it runs: the contract every Monte-Carlo ensemble keeps.

A :class:`BlockJob` is an ensemble cut into numbered blocks. Block ``b`` is a pure function of
``b`` and the job (its model, rules and root seed: block ``b`` draws from child ``b`` of the
seed's tree, :mod:`engine.simulation.seeds`), and the job's accumulator is an exact integer sum
(``acc += other``), so the result is the same bytes however the blocks are cut into chunks, in
whichever order the chunks finish, on however many threads or machines.

A :class:`Backend` runs jobs: :class:`Threads` here (one process, worker threads),
:class:`engine.simulation.cluster.Dask` on a Dask cluster. A job must pickle (it is shipped to
the cluster's workers once), and so must its accumulator (partial sums travel between them).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Protocol, Self, TypeVar

__all__ = ["Backend", "BlockJob", "Mapper", "Progress", "Summable", "Threads", "chunks",
           "map_blocks"]

A = TypeVar("A", bound="Summable")
X = TypeVar("X")
R = TypeVar("R")

Progress = Callable[[int], None]


# mapper(f, xs): f at every x, in order: Backend.map (threads, or a cluster's tasks), for work
# that is not blocks of runs (a fit's trials, the forensic tests)
Mapper = Callable[[Callable[[Any], Any], Sequence[Any]], Sequence[Any]]

class Summable(Protocol):
    """An accumulator: ``acc += other`` adds another of its kind into it, exactly."""

    def __iadd__(self, other: Self, /) -> Self: ...


class BlockJob(Protocol[A]):
    """An ensemble of ``n_blocks`` seeded blocks (see the module docstring).

    n_blocks : the number of blocks; work : the units :meth:`work_in` counts (runs), for
    progress bars
    """

    @property
    def n_blocks(self) -> int: ...

    def new(self) -> A:
        """An empty accumulator."""
        ...

    def add(self, blocks: range, acc: A) -> None:
        """Draw ``blocks`` and add what they count into ``acc``."""
        ...

    def work_in(self, blocks: range) -> int:
        """The units of work (runs) in ``blocks``, for progress."""
        ...


class Backend(Protocol):
    """Where blocks run. ``slots``: how many chunks run at once (threads, or the cluster's
    worker threads), which sizes the default chunk."""

    @property
    def slots(self) -> int: ...

    def map_jobs(self, jobs: Sequence[BlockJob[A]], per_chunk: Sequence[int],
                 progress: Progress | None = None) -> list[A]:
        """Every block of every job, ``per_chunk[i]`` blocks of job ``i`` at a time; each job's
        accumulator summed over its blocks. ``progress`` gets the work done so far, all jobs
        together."""
        ...

    def map(self, f: Callable[[X], R], xs: Sequence[X]) -> list[R]:
        """``f`` at every ``x``, in order (each a pure function of its ``x``: a fit's trials)."""
        ...


def chunks(n_blocks: int, per_chunk: int) -> Iterator[range]:
    """Blocks ``0 .. n_blocks - 1`` in chunks of ``per_chunk`` (the last may be short)."""
    per_chunk = max(1, per_chunk)
    return (range(s, min(s + per_chunk, n_blocks)) for s in range(0, n_blocks, per_chunk))


class Threads:
    """Worker threads in this process (numpy's generators and the compiled kernels release the
    GIL). Each thread adds its chunks into its own accumulators; their sum is the result."""

    def __init__(self, jobs: int) -> None:
        if jobs < 1:
            msg = f"jobs: must be >= 1, got {jobs}"
            raise ValueError(msg)
        self.jobs = jobs

    @property
    def slots(self) -> int:
        return self.jobs

    def map_jobs(self, jobs: Sequence[BlockJob[A]], per_chunk: Sequence[int],
                 progress: Progress | None = None) -> list[A]:
        lock = threading.Lock()
        # chunks handed out one at a time: nothing is held per chunk, whatever the runs
        queue = ((i, blocks) for i, job in enumerate(jobs)
                 for blocks in chunks(job.n_blocks, per_chunk[i]))
        n_chunks = sum(-(-job.n_blocks // max(1, per_chunk[i])) for i, job in enumerate(jobs))
        done = 0

        def worker() -> dict[int, A]:
            nonlocal done
            accs: dict[int, A] = {}
            while True:
                with lock:
                    item = next(queue, None)
                if item is None:
                    return accs
                i, blocks = item
                if i not in accs:
                    accs[i] = jobs[i].new()
                jobs[i].add(blocks, accs[i])
                if progress is not None:
                    with lock:
                        done += jobs[i].work_in(blocks)
                        progress(done)

        threads = max(1, min(self.jobs, n_chunks))
        if threads == 1:
            parts = [worker()]
        else:
            with ThreadPoolExecutor(max_workers=threads, thread_name_prefix="saylau-sim") as ex:
                parts = [f.result() for f in [ex.submit(worker) for _ in range(threads)]]
        totals = [job.new() for job in jobs]
        for part in parts:
            for i, acc in part.items():
                # A is Summable; mypy does not look up __iadd__ through a bound (mypy#11745)
                totals[i] += acc  # type: ignore[operator]
        return totals

    def map(self, f: Callable[[X], R], xs: Sequence[X]) -> list[R]:
        if self.jobs <= 1:
            return [f(x) for x in xs]
        with ThreadPoolExecutor(self.jobs, thread_name_prefix="saylau-map") as ex:
            return list(ex.map(f, xs))  # numpy releases the GIL in the array work


def map_blocks(backend: Backend, job: BlockJob[A], per_chunk: int,
               progress: Progress | None = None) -> A:
    """One job's blocks on ``backend``: :meth:`Backend.map_jobs` of one job."""
    return backend.map_jobs([job], [per_chunk], progress)[0]
