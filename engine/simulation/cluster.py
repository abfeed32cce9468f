"""Seeded blocks as tasks on a Dask cluster: the same bytes as on this machine's threads.

``saylau simulate --scheduler tcp://HOST:PORT`` (a running ``dask scheduler``) or
``--scheduler local[:N]`` (a LocalCluster of N worker processes, started and closed here).

How a job runs (:meth:`Dask.map_jobs`, :mod:`engine.simulation.cluster_tasks`):

- the job (model, rules, root seed) travels once, as the result of a task that returns it:
  workers fetch it from each other, never from this process again, and because it is a task
  the scheduler can make it again if the worker holding it dies (data given by
  ``Client.scatter`` could not be remade: the Active Memory Manager drops its replicas);
- a chunk of blocks is one task, a pure function of the job and the blocks' indices; each
  worker holds a couple of chunks per thread at a time, so the scheduler holds a bounded
  number of tasks however many runs there are;
- the chunks' accumulators are summed on the workers that drew them, then, at the end, one
  per worker summed across workers in a tree. Integer sums, so any tree gives the same bytes;
  only the job's total comes back to this process;
- a worker that dies takes its tasks and partial sums with it, and the scheduler reruns them
  (a block is a pure function of its index); a task that keeps killing its workers, a
  scheduler that cannot be reached or is lost, workers whose saylau, numpy or draw kernel
  differ from this machine's: :class:`ClusterError`, one line.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable, Iterator, Sequence
from typing import TYPE_CHECKING, TypeVar

from engine.simulation.blocks import BlockJob, Progress, Summable
from engine.simulation.cluster_tasks import ClusterError, TreeRun, map_tasks
from engine.tally.threads import cores

if TYPE_CHECKING:
    from distributed import Client

__all__ = ["CONNECT_TIMEOUT", "ClusterError", "Dask", "connect", "parse_scheduler"]

A = TypeVar("A", bound=Summable)
X = TypeVar("X")
R = TypeVar("R")

# Seconds to reach a scheduler (and, once lost, to try to reach it again) before giving up.
CONNECT_TIMEOUT = 10.0

# Seconds to wait for a first worker on a scheduler that has none.
WORKER_TIMEOUT = 30.0


def parse_scheduler(text: str) -> tuple[str, int | None]:
    """``tcp://HOST:PORT`` -> ("tcp://HOST:PORT", None); ``local`` or ``local:N`` ->
    ("local", N) (N: the usable cores when not given). ValueError saying what is wrong."""
    if text == "local" or text.startswith("local:"):
        n_text = text.partition(":")[2]
        if not n_text:
            return "local", cores()
        if not n_text.isdigit() or int(n_text) < 1:
            msg = f"local:N takes a whole number of worker processes >= 1, got {n_text!r}"
            raise ValueError(msg)
        return "local", int(n_text)
    if "://" in text and text.split("://", 1)[1]:
        return text, None
    msg = (f"{text!r} is neither a scheduler's address (tcp://HOST:PORT) nor local[:N] "
           "(a LocalCluster of N worker processes)")
    raise ValueError(msg)


@contextlib.contextmanager
def _calls() -> Iterator[None]:
    """A call on the cluster: quiet (:func:`_quiet`), and a comm that closes under it is the one
    line "lost the Dask scheduler"."""
    try:
        with _quiet():
            yield
    except ClusterError:
        raise
    except (OSError, TimeoutError) as err:
        msg = f"lost the Dask scheduler ({_first_line(err)})"
        raise ClusterError(msg) from None


@contextlib.contextmanager
def _quiet() -> Iterator[None]:
    """Dask's own log lines (reconnecting, workers removed, retries) kept off stderr: a failure
    reaches the user as one :class:`ClusterError` line."""
    names = ["distributed", *(n for n in logging.root.manager.loggerDict
                              if n.startswith("distributed."))]
    loggers = [logging.getLogger(n) for n in names]
    levels = [lg.level for lg in loggers]
    for lg in loggers:
        lg.setLevel(logging.CRITICAL + 1)
    try:
        yield
    finally:
        for lg, level in zip(loggers, levels, strict=True):
            lg.setLevel(level)


@contextlib.contextmanager
def connect(address: str, *, timeout: float | None = None) -> Iterator[Dask]:
    """A :class:`Dask` backend on the scheduler at ``address`` (``tcp://...``), or on a
    LocalCluster started here and closed on leaving (``local[:N]``). ``timeout``: seconds to
    reach the scheduler (default :data:`CONNECT_TIMEOUT`)."""
    where, n_local = parse_scheduler(address)
    timeout = CONNECT_TIMEOUT if timeout is None else timeout
    import dask  # here, not at import: only --scheduler needs dask
    import distributed

    with _quiet(), contextlib.ExitStack() as stack:
        if n_local is not None:
            # Dask's nanny sets MALLOC_TRIM_THRESHOLD_ in its workers, which stops glibc adapting
            # its mmap threshold: every large numpy temporary is then a fresh mmap, measured 15x
            # the page faults and a quarter more CPU per block; unset here (README: remote ones);
            # and the workers' statistical profiler (for the dashboard, which nobody sees here)
            # took a tenth of a worker's CPU besides its task
            stack.enter_context(dask.config.set(
                {"distributed.nanny.pre-spawn-environ.MALLOC_TRIM_THRESHOLD_": None,
                 "distributed.worker.profile.enabled": False}))
            cluster = stack.enter_context(distributed.LocalCluster(
                n_workers=n_local, threads_per_worker=1, processes=True,
                dashboard_address=":0", silence_logs=logging.CRITICAL))
            client = stack.enter_context(distributed.Client(cluster))
            where = (f"a LocalCluster of {n_local} worker process{'es' * (n_local > 1)} "
                     f"({cluster.scheduler_address})")
        else:
            try:
                with dask.config.set({"distributed.comm.timeouts.connect": f"{timeout}s"}):
                    client = distributed.Client(address, timeout=f"{timeout}s")
            except (OSError, TimeoutError) as err:
                msg = (f"no Dask scheduler answered within {timeout:g} s"
                       f"{_root_cause(err)}; is `dask scheduler` running there?")
                raise ClusterError(msg) from None
            stack.callback(_close, client)
            try:
                client.wait_for_workers(1, timeout=WORKER_TIMEOUT)
            except (OSError, TimeoutError):
                msg = (f"the Dask scheduler at {address} has no worker (waited "
                       f"{WORKER_TIMEOUT:g} s); start some with `dask worker {address}`")
                raise ClusterError(msg) from None
            where = f"the Dask scheduler at {address}"
        yield Dask(client, where)


def _close(client: Client) -> None:
    """Close a client whose scheduler may be gone, without waiting long or raising."""
    with contextlib.suppress(Exception):
        client.close(timeout=2)


def _root_cause(err: BaseException) -> str:
    """`` (connection refused)``: the operating system's reason under Dask's time-out."""
    seen: BaseException | None = err
    reason = ""
    while seen is not None:
        if isinstance(seen, OSError) and seen.strerror:
            reason = seen.strerror
        seen = seen.__cause__ or seen.__context__
    return f" ({reason.lower()})" if reason else ""


def _first_line(err: BaseException) -> str:
    text = str(err).strip() or type(err).__name__
    return text.splitlines()[0]


class Dask:
    """A :class:`engine.simulation.blocks.Backend` on a Dask client (see the module docstring).

    where : a phrase naming the cluster, for the line a command prints on stderr
    """

    def __init__(self, client: Client, where: str) -> None:
        self.client = client
        self.where = where

    def _threads(self) -> dict[str, int]:
        workers = self.client.scheduler_info(n_workers=-1)["workers"]
        return {addr: int(w["nthreads"]) for addr, w in workers.items()}

    @property
    def slots(self) -> int:
        return max(1, sum(self._threads().values()))

    def describe(self) -> str:
        """``where``, with its workers and threads now."""
        threads = self._threads()
        n, t = len(threads), sum(threads.values())
        return (f"{self.where}: {n} worker{'s' * (n != 1)}, {t} thread{'s' * (t != 1)}")

    def map_jobs(self, jobs: Sequence[BlockJob[A]], per_chunk: Sequence[int],
                 progress: Progress | None = None) -> list[A]:
        """:meth:`engine.simulation.blocks.Backend.map_jobs` on the cluster."""
        with _calls():
            return TreeRun(self.client, jobs, per_chunk, progress).result()

    def map(self, f: Callable[[X], R], xs: Sequence[X]) -> list[R]:
        """``f`` at every ``x``, in order, each a task on the cluster (a fit's trials, or its
        Nelder-Mead paths: :data:`engine.simulation.blocks.Mapper`)."""
        with _calls():
            return map_tasks(self.client, f, xs, self._threads())
