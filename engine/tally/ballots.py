"""Ballot-level tallies: one uint8 option code per ballot -> counts per race.

One front door (:func:`count_codes`) validates shapes and dtypes once, then calls a private
kernel with the signature ``kernel(codes, offsets, n_codes, out) -> None | (race, code)``:

- ``"c"``: the compiled loop of ``engine/tally/_kernels.c`` (interleaved 256-entry tables, GIL
  released), built when the package is installed with a compiler at hand;
- ``"numpy"``: the fallback when that module is missing (or ``SAYLAU_KERNEL=numpy``), same
  results, no Python loop per ballot.

:data:`KERNEL` names the one in use. A code ``>= n_codes`` is found from the counts themselves
(they no longer add up to the race length), so checking costs no extra pass over the data.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Iterable

import numpy as np

from engine.records import COUNT_COLUMNS
from engine.tally.kernel import compiled
from engine.tally.races import PrecinctTable

__all__ = ["BALLOT_AGAINST_ALL", "BALLOT_FIRST_CANDIDATE", "BALLOT_INVALID", "KERNEL",
           "count_codes", "count_codes_stream", "tally_ballots"]

_MAX_CODES = 256  # a uint8 holds 256 codes

# 64 KiB of codes per step: the chunk and its temporaries stay in L2 cache.
_CHUNK = 1 << 16
# Up to this many codes, one compare-and-count per code beats np.bincount (which first
# widens every uint8 to intp); above it, bincount.
_FEW_CODES = 16
# Cap on the bins of one batched bincount over many short races.
_MAX_BINS = 1 << 16


def _count_numpy(
    codes: np.ndarray, offsets: np.ndarray, n_codes: int, out: np.ndarray
) -> tuple[int, int] | None:
    """The numpy kernel: same contract as ``engine.tally._kernels.count``; assumes valid input.

    codes : (N,) uint8, offsets : (R + 1,) int64, out : (R, n_codes) int64, overwritten.
    Returns None, or (race, code): the first race holding a code >= n_codes and the
    smallest such code in it.
    """
    n_races = offsets.size - 1
    bad = np.zeros(n_races, dtype=bool)
    equal = np.empty(_CHUNK, dtype=bool)  # reused buffer for the compare-and-count path
    max_batch = max(1, _MAX_BINS // (n_codes + 1))
    r = 0
    while r < n_races:
        # Races r..s-1 hold at most _CHUNK codes in all: count them as one batch.
        s = int(np.searchsorted(offsets, offsets[r] + _CHUNK, side="right")) - 1
        s = min(s, r + max_batch, n_races)
        lo = int(offsets[r])
        if s == r:  # race r alone is longer than a chunk
            hi = int(offsets[r + 1])
            bad[r] = _count_long(codes[lo:hi], n_codes, out[r], equal)
            r += 1
        else:
            hi = int(offsets[s])
            bad[r:s] = _count_batch(codes[lo:hi], np.diff(offsets[r : s + 1]), n_codes, out[r:s])
            r = s
    if not bad.any():
        return None
    race = int(np.argmax(bad))
    seg = codes[offsets[race] : offsets[race + 1]]
    return race, int(seg[seg >= n_codes].min())  # the error path may take a second look


def _count_long(seg: np.ndarray, n_codes: int, row: np.ndarray, equal: np.ndarray) -> bool:
    """Count one long race chunk by chunk into ``row`` : (n_codes,); True if a code is bad."""
    if n_codes <= _FEW_CODES:
        acc = np.zeros(n_codes, dtype=np.int64)
        for start in range(0, seg.size, _CHUNK):
            chunk = seg[start : start + _CHUNK]
            eq = equal[: chunk.size]
            for k in range(n_codes):
                np.equal(chunk, k, out=eq)
                acc[k] += np.count_nonzero(eq)
        row[:] = acc
        return int(acc.sum()) != seg.size
    acc = np.zeros(_MAX_CODES, dtype=np.int64)
    for start in range(0, seg.size, _CHUNK):
        acc += np.bincount(seg[start : start + _CHUNK], minlength=_MAX_CODES)
    row[:] = acc[:n_codes]
    return bool(acc[n_codes:].any())


def _count_batch(
    seg: np.ndarray, lengths: np.ndarray, n_codes: int, rows: np.ndarray
) -> np.ndarray:
    """Count short races at once into ``rows`` : (m, n_codes); returns (m,) bool: bad code."""
    m = lengths.size
    width = n_codes + 1  # one extra bin per race collects every code >= n_codes
    keys = np.repeat(np.arange(m, dtype=np.intp) * width, lengths)
    # n_codes == 256 leaves nothing to clip (and 256 does not fit a uint8)
    keys += seg if n_codes == _MAX_CODES else np.minimum(seg, np.uint8(n_codes))
    counts = np.bincount(keys, minlength=m * width).reshape(m, width)
    rows[:] = counts[:, :n_codes]
    return counts[:, n_codes] > 0


# the compiled loop, or numpy's: built without a compiler, or SAYLAU_KERNEL=numpy
_kernel: Callable[[np.ndarray, np.ndarray, int, np.ndarray], tuple[int, int] | None] = (
    _count_numpy if compiled is None else compiled.count)
KERNEL = "numpy" if compiled is None else "c"


def _check_n_codes(n_codes: int) -> int:
    try:
        n = operator.index(n_codes)
    except TypeError:
        msg = f"n_codes must be an integer, got {n_codes!r}"
        raise ValueError(msg) from None
    if not 1 <= n <= _MAX_CODES:
        msg = f"n_codes must be in [1, {_MAX_CODES}], got {n}"
        raise ValueError(msg)
    return n


def _check_codes(codes: np.ndarray, name: str) -> np.ndarray:
    codes = np.asarray(codes)
    if codes.dtype != np.uint8:
        msg = f"{name} must have dtype uint8, got {codes.dtype}"
        raise ValueError(msg)
    if codes.ndim != 1:
        msg = f"{name} must be 1-D, got shape {codes.shape}"
        raise ValueError(msg)
    return np.ascontiguousarray(codes)


def _check_offsets(offsets: np.ndarray, n: int) -> np.ndarray:
    offsets = np.asarray(offsets)
    if offsets.ndim != 1 or offsets.size == 0:
        msg = f"offsets must be 1-D with R + 1 >= 1 entries, got shape {offsets.shape}"
        raise ValueError(msg)
    if offsets.dtype.kind not in "iu":
        msg = f"offsets must hold integers, got dtype {offsets.dtype}"
        raise ValueError(msg)
    if offsets.dtype == np.uint64 and int(offsets.max()) > np.iinfo(np.int64).max:
        msg = f"offsets must fit int64, got {int(offsets.max())}"
        raise ValueError(msg)
    offsets = np.require(offsets, np.int64, ["C", "A"])  # the kernel takes aligned buffers
    if offsets[0] != 0:
        msg = f"offsets[0] must be 0, got {offsets[0]}"
        raise ValueError(msg)
    if offsets[-1] != n:
        msg = f"offsets[-1] must equal len(codes) = {n}, got {offsets[-1]}"
        raise ValueError(msg)
    drops = np.flatnonzero(offsets[1:] < offsets[:-1])
    if drops.size:
        i = int(drops[0]) + 1
        msg = (
            f"offsets must be nondecreasing, got offsets[{i}] = {offsets[i]}"
            f" < offsets[{i - 1}] = {offsets[i - 1]}"
        )
        raise ValueError(msg)
    return offsets


def count_codes(codes: np.ndarray, offsets: np.ndarray, n_codes: int) -> np.ndarray:
    """Count option codes per race.

    codes : (N,) uint8, the option code of each ballot, each in [0, n_codes)
    offsets : (R + 1,) int64 (any integer dtype), race r's ballots are
        ``codes[offsets[r]:offsets[r + 1]]``; 0 first, nondecreasing, N last
    n_codes : int in [1, 256]
    returns : (R, n_codes) int64, ``counts[r, k]`` = ballots of race r with code k

    Raises ValueError for a wrong dtype, shape or offsets, and for a code >= n_codes
    (naming the code and its race).
    """
    n_codes = _check_n_codes(n_codes)
    codes = _check_codes(codes, "codes")
    offsets = _check_offsets(offsets, codes.size)
    out = np.empty((offsets.size - 1, n_codes), dtype=np.int64)
    bad = _kernel(codes, offsets, n_codes, out)
    if bad is not None:
        race, code = bad
        msg = f"race[{race}]: code {code} is not an option (n_codes = {n_codes})"
        raise ValueError(msg)
    return out


def count_codes_stream(chunks: Iterable[np.ndarray], n_codes: int) -> np.ndarray:
    """Count option codes of one race given piece by piece.

    chunks : iterable of (n_i,) uint8, e.g. slices of an ``np.memmap`` larger than memory
    n_codes : int in [1, 256]
    returns : (n_codes,) int64, equal to ``count_codes(concatenated, [0, N], n_codes)[0]``

    Memory stays bounded by the largest chunk. Raises ValueError as :func:`count_codes`
    does, naming the chunk that holds a bad code.
    """
    n_codes = _check_n_codes(n_codes)
    total = np.zeros(n_codes, dtype=np.int64)
    out = np.empty((1, n_codes), dtype=np.int64)
    for i, chunk in enumerate(chunks):
        chunk = _check_codes(chunk, f"chunk[{i}]")
        bad = _kernel(chunk, np.array([0, chunk.size], dtype=np.int64), n_codes, out)
        if bad is not None:
            msg = f"chunk[{i}]: code {bad[1]} is not an option (n_codes = {n_codes})"
            raise ValueError(msg)
        total += out[0]
    return total


# Ballot-level input: one code per ballot. Code 0 is an invalid (spoiled or blank) ballot, 1 a
# vote against all, 2 + k a vote for the race's k-th candidate (ballot order).
BALLOT_INVALID = 0


BALLOT_AGAINST_ALL = 1


BALLOT_FIRST_CANDIDATE = 2


def tally_ballots(codes: np.ndarray, offsets: np.ndarray, n_candidates: np.ndarray,
                  registered: np.ndarray | None = None) -> PrecinctTable:
    """Count ballots into a precinct table with one row per race.

    codes : (N,) uint8, see BALLOT_*; offsets : (R + 1,) int64, race r's ballots are
    codes[offsets[r]:offsets[r + 1]]; n_candidates : (R,) int; registered : (R,) int64 or None
    """
    n_candidates = np.asarray(n_candidates, dtype=np.int64)
    k = int(n_candidates.max(initial=0))
    counts = count_codes(codes, offsets, BALLOT_FIRST_CANDIDATE + k)
    r = counts.shape[0]
    beyond = counts[:, BALLOT_FIRST_CANDIDATE:] * (np.arange(k) >= n_candidates[:, None])
    if beyond.any():
        race = int(np.flatnonzero(beyond.any(axis=1))[0])
        msg = (f"race {race} has {n_candidates[race]} candidates but holds a ballot for "
               f"candidate {int(np.flatnonzero(beyond[race])[0]) + 1}")
        raise ValueError(msg)
    table = np.empty((r, len(COUNT_COLUMNS) + k), np.int64)
    table[:, 0] = -1 if registered is None else np.asarray(registered, dtype=np.int64)
    table[:, 1] = counts.sum(axis=1)
    table[:, 2] = counts[:, BALLOT_INVALID]
    table[:, 3] = counts[:, BALLOT_AGAINST_ALL]
    table[:, 4:] = counts[:, BALLOT_FIRST_CANDIDATE:]
    return PrecinctTable(race=np.arange(r, dtype=np.int64), counts=table, n_races=r)
