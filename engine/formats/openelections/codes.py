"""Codes of integer keys, numbered in order of first appearance, and rows named in messages.

A file of millions of rows holds its precincts' rows together and its offices' rows together,
so its keys come in runs: :func:`runs_codes` codes each run once (a hash table for many values,
a sort for few), never a sort of the rows.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from engine.formats.arrow_csv import numpy_of

__all__ = ["first_index", "hashed", "name_rows", "runs_codes"]

_MAX_SPANS = 10     # row spans listed in one warning
_HASHED = 1 << 20   # from this many values, codes come from pyarrow's hash table


def runs_codes(values: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Codes (N,) int32 of int64 ``values``, numbered in order of first appearance; the
    distinct values in that order, and the row where each first appears. Runs of equal values
    (the rows of one precinct or office) are coded once, and the runs with a hash table
    (pyarrow's dictionary encoding): no sort of the rows."""
    if not values.size:
        return np.zeros(0, np.int32), values[:0], np.zeros(0, np.int64)
    starts = np.flatnonzero(np.diff(values, prepend=values[0] - 1))
    inverse, distinct = hashed(values[starts])
    # codes are numbered as they first appear: each new one is the largest so far
    first = np.flatnonzero(np.diff(np.maximum.accumulate(inverse), prepend=-1) > 0)
    runs = np.diff(np.append(starts, values.size))
    return np.repeat(inverse, runs), distinct, starts[first]


def hashed(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(N,) int32 codes of int64 ``values`` in order of first appearance, and the distinct
    values in that order: one pass through a hash table."""
    values = np.ascontiguousarray(values, np.int64)
    if values.size < _HASHED:  # a sort is cheaper than importing pyarrow.compute
        distinct, first, inverse = np.unique(values, return_index=True, return_inverse=True)
        order = np.argsort(first, kind="stable")
        renumber = np.empty(order.size, np.int32)
        renumber[order] = np.arange(order.size, dtype=np.int32)
        return renumber[inverse.reshape(-1)], distinct[order]
    import pyarrow as pa  # start-up: imported when a file is read

    # from the buffer: pa.array() would import pandas to ask whether values is one of its own
    encoded = pa.Array.from_buffers(pa.int64(), values.size,
                                    [None, pa.py_buffer(values)]).dictionary_encode()
    return (numpy_of(encoded.indices).astype(np.int32, copy=False),
            numpy_of(encoded.dictionary).astype(np.int64, copy=False))


def name_rows(names: Sequence[str], refs: np.ndarray) -> str:
    """'a.csv: rows 2-4, 9' (one file) or 'a.csv rows 2-4; b.csv row 7' (several).

    refs : (N,) int64, file index << 32 | row number
    """
    if refs.size == 1:  # the usual figure's source: one row
        ref = int(refs[0])
        return f"{names[ref >> 32]}: row {ref & 0xFFFFFFFF}"
    if refs.size and not (np.diff(refs) > 0).all():  # rows in file order need no sort
        refs = np.unique(refs)
    parts = []
    for n in np.unique(refs >> 32):
        numbers = refs[(refs >> 32) == n] & 0xFFFFFFFF
        starts = np.flatnonzero(np.diff(numbers, prepend=-2) != 1)
        ends = np.append(starts[1:], len(numbers)) - 1
        spans = [(int(numbers[a]), int(numbers[b])) for a, b in
                 zip(starts[:_MAX_SPANS], ends[:_MAX_SPANS], strict=True)]
        text = ", ".join(f"{a}-{b}" if b > a else str(a) for a, b in spans)
        if len(starts) > _MAX_SPANS:
            text += f" and {len(numbers) - int(starts[_MAX_SPANS])} more"
        parts.append((names[n], f"{'row' if len(numbers) == 1 else 'rows'} {text}"))
    if len(parts) == 1:
        return f"{parts[0][0]}: {parts[0][1]}"
    return "; ".join(f"{f} {t}" for f, t in parts)


def first_index(codes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The distinct codes in order of first appearance, and where each first appears."""
    distinct, first = np.unique(codes, return_index=True)
    order = np.argsort(first, kind="stable")
    return distinct[order], first[order]
