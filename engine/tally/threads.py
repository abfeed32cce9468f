"""The cores this process may use, and the one two-thread pool of the tally kernels."""

from __future__ import annotations

import os
import threading
from concurrent.futures import ThreadPoolExecutor

__all__ = ["cores", "pair_pool"]

_pool: ThreadPoolExecutor | None = None
_pool_lock = threading.Lock()


def cores() -> int:
    """The cores this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def pair_pool() -> ThreadPoolExecutor:
    """Two worker threads, made once (under a lock) and shared by every caller: the compiled
    kernels release the GIL, so two threads use two cores."""
    global _pool
    with _pool_lock:
        if _pool is None:
            _pool = ThreadPoolExecutor(2, thread_name_prefix="saylau-sum")
    return _pool
