"""Seeded ballots, in memory or in a file read back in chunks (the tally "above memory").

Imports numpy only, so the memory probes (benchmarks/memory_bench.py) measure the tally, not
this module.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, cast

import numpy as np

if TYPE_CHECKING:
    from typing_extensions import Buffer

__all__ = ["CHUNK_BYTES", "ballot_chunks", "make_ballots", "read_chunks", "write_ballots"]

SEED = 20211010  # any fixed value (benchmarks.timing.SEED)
# Bytes read per step when streaming: 4 MiB, so a chunk read from the page cache is still in
# cache when it is counted; the promised bound of the streamed tally.
CHUNK_BYTES = 1 << 22
_GEN_CHUNK = 1 << 22  # ballots drawn per step when generating


def ballot_chunks(n: int, k: int, seed: int = SEED) -> Iterator[np.ndarray]:
    """The (n,) uint8 codes in [0, k) of :func:`make_ballots`, drawn piece by piece."""
    rng = np.random.default_rng([seed, k])
    cut = np.cumsum(rng.dirichlet(np.ones(k)))  # uneven seeded shares, like a real race
    cut[-1] = 1.0
    for start in range(0, n, _GEN_CHUNK):
        u = rng.random(min(_GEN_CHUNK, n - start))
        yield np.searchsorted(cut, u, side="right").astype(np.uint8)


def make_ballots(n: int, k: int, seed: int = SEED) -> np.ndarray:
    """(n,) uint8 option codes in [0, k), seeded, with uneven shares."""
    out = np.empty(n, dtype=np.uint8)
    at = 0
    for chunk in ballot_chunks(n, k, seed):
        out[at : at + chunk.size] = chunk
        at += chunk.size
    return out


def write_ballots(path: Path, n: int, k: int, seed: int = SEED) -> np.ndarray:
    """Write the codes of :func:`make_ballots` to ``path`` (one byte each) without holding them;
    returns their counts : (k,) int64, the expected result of every streamed tally."""
    counts = np.zeros(k, dtype=np.int64)
    with Path(path).open("wb") as f:
        for chunk in ballot_chunks(n, k, seed):
            chunk.tofile(f)
            counts += np.bincount(chunk, minlength=k)
    return counts


def read_chunks(path: Path, chunk_bytes: int = CHUNK_BYTES) -> Iterator[np.ndarray]:
    """The codes of ``path`` as views of ONE reused buffer of ``chunk_bytes``: memory stays at
    one chunk however long the file. Each view is valid until the next one is read."""
    buffer = np.empty(chunk_bytes, dtype=np.uint8)
    # an ndarray is a writable buffer (numpy's stubs say so from Python 3.12 only)
    target = cast("Buffer", buffer)
    with Path(path).open("rb", buffering=0) as f:
        while got := f.readinto(target):
            yield buffer[:got]
