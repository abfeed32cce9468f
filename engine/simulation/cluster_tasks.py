"""The tasks a Dask cluster runs for a block job, and the loop that hands them out.

Placement is decided here, not asked of the scheduler: each worker is given at most
:data:`WINDOW_PER_THREAD` chunks per thread at a time (``workers=[w]``, a loose restriction: if
w dies, the scheduler runs them elsewhere), the next one as soon as one of its chunks finishes,
so a fast worker gets more. Its finished chunks are summed on it, :data:`FAN_IN` at a time;
when every chunk is done, what each worker holds is summed there, and those sums across
workers in a tree. So the accumulators cross the network only at the end, once per worker, and
the client never waits on a round trip to learn where a result is. A worker that was
replaced or stole a task costs a transfer, never a wrong count: every sum is exact.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Sequence
from importlib import metadata
from typing import TYPE_CHECKING, Any, TypeVar

import numpy as np

from engine.simulation.blocks import BlockJob, Progress, Summable, chunks
from engine.simulation.draws import KERNEL

if TYPE_CHECKING:
    from dask.typing import Key
    from distributed import Client, Future

__all__ = ["FAN_IN", "MAP_TASKS_PER_SLOT", "WINDOW_PER_THREAD", "ClusterError", "TreeRun",
           "WorkerMismatch", "map_tasks", "worker_facts"]

A = TypeVar("A", bound=Summable)
T = TypeVar("T")
X = TypeVar("X")
R = TypeVar("R")

# Accumulators summed by one task: few enough that a sum's inputs fit a worker's memory many
# times over, enough that the tree is shallow (64 workers: two levels across them).
FAN_IN = 8

# Chunks in flight per worker thread: one running, the next waiting while the client hears of
# the last; few enough that the scheduler's tasks and the unsummed accumulators stay bounded.
WINDOW_PER_THREAD = 2

# Chunks in flight while the scheduler lists no worker (they wait there for one).
WINDOW_ANYWHERE = 8

# Tasks per worker thread for a map of points (a fit's trials): enough that a fast worker takes
# more of them, few enough that the scheduler's cost per task is small beside a trial's.
MAP_TASKS_PER_SLOT = 4

# Seconds between two looks at the scheduler's list of workers (new ones get chunks, gone ones
# no more).
REFRESH_SECONDS = 2.0


class ClusterError(Exception):
    """The cluster could not do the work; the message is one line for the user."""


class WorkerMismatch(Exception):
    """A worker would draw other numbers than this machine (raised on the worker)."""


def worker_facts() -> tuple[str, str, str]:
    """What fixes the draws besides the seed: saylau's version, numpy's, the draw kernel."""
    try:
        version = metadata.version("saylau")
    except metadata.PackageNotFoundError:  # a checkout on sys.path, not installed
        version = "not installed"
    return version, np.__version__, KERNEL


def _describe(facts: tuple[str, str, str]) -> str:
    return f"saylau {facts[0]}, numpy {facts[1]}, kernel {facts[2]}"


def _check(facts: tuple[str, str, str]) -> None:
    """WorkerMismatch unless this worker draws as the machine that sent ``facts``."""
    here = worker_facts()
    if here != facts:
        msg = (f"a worker draws with {_describe(here)}, this machine with {_describe(facts)}: "
               "the same seed would give other numbers; install the same saylau and numpy "
               "on every machine")
        raise WorkerMismatch(msg)


def leaf(job: BlockJob[A], start: int, stop: int, facts: tuple[str, str, str]) -> A:
    """Blocks ``start .. stop - 1`` of ``job``, counted into a new accumulator (on a worker)."""
    _check(facts)
    acc = job.new()
    job.add(range(start, stop), acc)
    return acc


def add_up(job: BlockJob[A], *parts: A) -> A:
    """The sum of ``parts`` in a new accumulator (a task's inputs are never changed: a worker
    may be asked for them again)."""
    total = job.new()
    for part in parts:
        total += part  # type: ignore[operator]  # Summable's __iadd__ through a bound
    return total


def same(job: T) -> T:
    """The job itself: the task that ships it to the workers once."""
    return job


def at(f: Callable[[X], R], xs: Sequence[X], facts: tuple[str, str, str]) -> list[R]:
    """``f`` at each of ``xs``, on a worker that draws as this machine does."""
    _check(facts)
    return [f(x) for x in xs]


def map_tasks(client: Client, f: Callable[[X], R], xs: Sequence[X], threads: dict[str, int]
              ) -> list[R]:
    """``f`` at every ``x``, in order, in about :data:`MAP_TASKS_PER_SLOT` tasks per slot
    (``threads``: each worker's, its address to its thread count)
    (fewer tasks: less of the scheduler's time per point); ``f`` travels once, as a job does
    (the result of a task, fetched by the workers from each other), and ``f(x)`` must be a
    pure function of ``x`` (a task a dead worker held is run again)."""
    import dask  # here, not at import: only --scheduler needs dask
    from distributed import wait

    token = uuid.uuid4().hex[:12]
    facts = worker_facts()
    # f may carry a national file's precincts: expected here, not a mistake
    with dask.config.set({"distributed.admin.large-graph-warning-threshold": "4GiB"}):
        shipped = client.submit(same, f, key=f"saylau-{token}-f", pure=False)
    size = max(1, -(-len(xs) // (MAP_TASKS_PER_SLOT * max(1, sum(threads.values())))))
    # dealt round the workers: left to itself the scheduler runs every task where f is, one
    # at a time on a worker of one thread (measured: Nelder-Mead's two paths one after another)
    workers: list[str | None] = [a for a, n in threads.items() for _ in range(max(1, n))]
    workers = workers or [None]
    futures = [client.submit(at, shipped, list(xs[s:s + size]), facts,
                             key=f"saylau-{token}-at-{s}", **_on(workers[i % len(workers)]))
               for i, s in enumerate(range(0, len(xs), size))]
    wait(futures)
    for fut in futures:
        if fut.status != "finished":
            _fail(fut)
    return [r for part in client.gather(futures) for r in part]


class TreeRun:
    """One ``map_jobs`` call on ``client`` (see the module docstring)."""

    def __init__(self, client: Client, jobs: Sequence[BlockJob[Any]], per_chunk: Sequence[int],
                 progress: Progress | None) -> None:
        import dask  # here, not at import: only --scheduler needs dask
        from distributed import as_completed

        self.client = client
        self.jobs = jobs
        self.progress = progress
        self.token = uuid.uuid4().hex[:12]
        self.facts = worker_facts()
        self.pending = ((i, blocks) for i, job in enumerate(jobs)
                        for blocks in chunks(job.n_blocks, per_chunk[i]))
        self.more = True  # chunks left to submit
        self.done_work = 0
        # each future in flight: (job, the worker it was given to, its work; None for a sum)
        self.meta: dict[Key, tuple[int, str | None, int | None]] = {}
        self.busy: dict[str | None, int] = {}  # chunks in flight per worker
        self.capacity: dict[str, int] = {}  # live workers: chunks they may hold at once
        self.seen = 0.0
        # finished futures waiting to be summed, by (job, the worker holding them)
        self.held: dict[tuple[int, str | None], list[Future]] = {}
        self.ac = as_completed(with_results=False)
        # the job travels in its task: a large model is expected here, not a mistake
        with dask.config.set({"distributed.admin.large-graph-warning-threshold": "4GiB"}):
            self.shipped = [client.submit(same, job, key=f"saylau-{self.token}-job-{i}",
                                          pure=False) for i, job in enumerate(jobs)]

    def _refresh(self) -> None:
        workers = self.client.scheduler_info(n_workers=-1)["workers"]
        self.capacity = {addr: WINDOW_PER_THREAD * max(1, int(w["nthreads"]))
                         for addr, w in workers.items()}
        self.seen = time.monotonic()

    def _fill(self) -> None:
        """Give every live worker chunks up to its capacity (none known: any worker)."""
        if time.monotonic() - self.seen > REFRESH_SECONDS:
            self._refresh()
        places: list[str | None] = list(self.capacity) or [None]
        for place in places:
            room = WINDOW_ANYWHERE if place is None else self.capacity[place]
            while self.more and self.busy.get(place, 0) < room:
                self._submit_leaf(place)

    def _submit_leaf(self, place: str | None) -> None:
        item = next(self.pending, None)
        if item is None:
            self.more = False
            return
        i, blocks = item
        key = f"saylau-{self.token}-{i}-blocks-{blocks.start}-{blocks.stop}"
        f = self.client.submit(leaf, self.shipped[i], blocks.start, blocks.stop, self.facts,
                               key=key, **_on(place))
        self.meta[f.key] = (i, place, self.jobs[i].work_in(blocks))
        self.busy[place] = self.busy.get(place, 0) + 1
        self.ac.add(f)

    def _submit_sum(self, i: int, parts: list[Future], place: str | None) -> None:
        # sums go before new chunks: partial results leave the workers' memory first
        key = f"saylau-{self.token}-{i}-sum-{uuid.uuid4().hex[:12]}"
        f = self.client.submit(add_up, self.shipped[i], *parts, priority=1, key=key,
                               **_on(place if place in self.capacity else None))
        self.meta[f.key] = (i, place, None)
        self.ac.add(f)

    def result(self) -> list[Any]:
        """Each job's accumulator, summed over all its blocks."""
        self._refresh()
        self._fill()
        while True:
            for batch in self.ac.batches():
                self._take(batch)
                self._fill()
            if not self._finish_round():
                break
        roots = []
        for i, job in enumerate(self.jobs):
            mine = [f for (j, _), fs in self.held.items() if j == i for f in fs]
            roots.append(mine[0].result() if mine else job.new())
        return roots

    def _take(self, batch: list[Future]) -> None:
        for f in batch:
            if f.status != "finished":
                _fail(f)
        finished_leaves = False
        for f in batch:
            i, place, work = self.meta.pop(f.key)
            if work is not None:
                self.busy[place] -= 1
                self.done_work += work
                finished_leaves = True
            held = self.held.setdefault((i, place), [])
            held.append(f)
            if len(held) >= FAN_IN:
                self.held[(i, place)] = []
                self._submit_sum(i, held, place)
        if finished_leaves and self.progress is not None:
            self.progress(self.done_work)

    def _finish_round(self) -> bool:
        """Nothing in flight and no chunk left: sum what is held (on each worker first, then
        across workers, :data:`FAN_IN` at a time). False once each job is down to one."""
        submitted = False
        for i in range(len(self.jobs)):
            mine = {w: fs for (j, w), fs in self.held.items() if j == i and fs}
            if sum(len(fs) for fs in mine.values()) <= 1:
                continue
            submitted = True
            if any(len(fs) > 1 for fs in mine.values()):
                for w, fs in mine.items():
                    if len(fs) > 1:
                        self.held[(i, w)] = []
                        self._submit_sum(i, fs, w)
                continue
            singles = [fs[0] for fs in mine.values()]
            places = list(mine)
            for w in places:
                self.held[(i, w)] = []
            for s in range(0, len(singles), FAN_IN):
                group, first = singles[s:s + FAN_IN], places[s]
                if len(group) == 1:
                    self.held[(i, first)] = group
                else:
                    self._submit_sum(i, group, first)
        return submitted


def _on(place: str | None) -> dict[str, Any]:
    """Submit keywords that prefer worker ``place`` (any worker if it is gone)."""
    return {} if place is None else {"workers": [place], "allow_other_workers": True}


def _fail(f: Future) -> None:
    """A task that did not finish: the user's line, or (a bug) its own exception."""
    from distributed.scheduler import KilledWorker  # here, not at import: only --scheduler

    if f.status == "cancelled":
        msg = "lost the Dask scheduler; nothing was written"
        raise ClusterError(msg)
    err = f.exception()
    if isinstance(err, WorkerMismatch):
        raise ClusterError(str(err))
    if isinstance(err, ImportError):  # the worker's Python has no saylau (or another one)
        msg = (f"a worker cannot run saylau's tasks ({_first_line(err)}): install saylau on "
               "every worker machine, as on this one")
        raise ClusterError(msg)
    if isinstance(err, KilledWorker):
        msg = ("a task killed every worker that ran it (out of memory? --chunk-runs draws "
               "fewer runs at once; the README gives a worker's memory)")
        raise ClusterError(msg)
    f.result()  # anything else is a bug: its own exception and traceback


def _first_line(err: BaseException | None) -> str:
    text = str(err).strip() or type(err).__name__
    return text.splitlines()[0]
