"""Rows summed by group, exactly in int64, rows in any order: the one primitive of the tally.

One pass of the compiled kernel (``engine/tally/_kernels.c``, two threads on large tables) when
it is built, else one sparse indicator-matrix product (scipy CSR). ``python -m benchmarks``
compares both with ``np.add.reduceat`` on race-sorted rows.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from concurrent.futures import Future
from typing import TYPE_CHECKING

import numpy as np

from engine.errors import ScenarioError
from engine.records import UNKNOWN
from engine.tally.kernel import compiled
from engine.tally.threads import cores, pair_pool

if TYPE_CHECKING:
    import scipy.sparse as sp

__all__ = ["group_matrix", "sum_by_group", "sum_known"]


def group_matrix(group: np.ndarray, n_groups: int) -> sp.csr_array:
    """The (n_groups, P) 0/1 indicator matrix of ``group`` : (P,) int in [0, n_groups)."""
    import scipy.sparse as sp

    group = np.asarray(group)
    p = group.shape[0]
    bad = np.flatnonzero((group < 0) | (group >= n_groups))
    if bad.size:
        msg = f"group[{bad[0]}] = {group[bad[0]]} is not in [0, {n_groups})"
        raise ValueError(msg)
    return sp.csr_array(
        (np.ones(p, dtype=np.int64), group.astype(np.int64, copy=False), np.arange(p + 1)),
        shape=(p, n_groups),
    ).T.tocsr()


def sum_by_group(values: np.ndarray, group: np.ndarray | sp.csr_array, n_groups: int
                 ) -> np.ndarray:
    """Sum rows of ``values`` by group, rows in any order.

    values : (P,) or (P, C) int64, or (N, P, C) for N simulation runs at once
    group : (P,) int in [0, n_groups), or a ready :func:`group_matrix`
    returns : (n_groups,) or (n_groups, C) int64, or (N, n_groups, C)

    (P, C) rows with a group array take one pass of the compiled kernel when it is built;
    otherwise (and for many runs at once) a sparse indicator product.
    """
    values = np.asarray(values)
    if values.dtype != np.int64:
        values = values.astype(np.int64)
    sparse = hasattr(group, "tocsr")  # a ready group_matrix
    if _group_sum_c is not None and values.ndim <= 2 and not sparse:
        return _sum_rows_c(values, group, n_groups)
    _no_overflow(values)
    m = group if sparse else group_matrix(group, n_groups)
    if values.ndim == 3:  # (N, P, C): one product over all runs
        n, p, c = values.shape
        flat = np.ascontiguousarray(values.transpose(1, 0, 2)).reshape(p, n * c)
        return np.asarray(m @ flat).reshape(n_groups, n, c).transpose(1, 0, 2)
    return np.asarray(m @ values)


# the compiled kernel, or None: built without a compiler, or SAYLAU_KERNEL=numpy (the product)
_group_sum_c: Callable[[np.ndarray, np.ndarray, int, int, int, np.ndarray], int] | None = (
    None if compiled is None else compiled.group_sum)


_OVERFLOW = ("a sum of counts passes the int64 range (9,223,372,036,854,775,807): the counts are "
             "too large to add exactly")


def _overflow() -> ScenarioError:
    """The one error of a sum that does not fit (a file's counts are checked when it is loaded,
    engine.formats.bounds; this is the kernel's own guard)."""
    return ScenarioError("", "", _OVERFLOW)


def _no_overflow(values: np.ndarray) -> None:
    """Refuse values whose sums could wrap in the sparse product (which does not check): only
    when the largest value times the rows could pass int64 is the bound summed, exactly (high
    and low 31 bits apart); the sum of every magnitude inside int64 bounds every group's sum."""
    if values.size == 0:
        return
    big = int(np.abs(values).max())
    if big * values.shape[-2 if values.ndim == 3 else 0] < 2**62:
        return
    mags = np.abs(values.astype(np.int64)).astype(np.uint64).ravel()  # |int64 min| fits uint64
    total = (int((mags >> np.uint64(31)).sum()) << 31) + int((mags & np.uint64(2**31 - 1)).sum())
    if total > 2**63 - 1:
        raise _overflow()


# From _THREADED_ROWS rows, two threads beat one: the pass is bound by memory, and the compiled
# kernel releases the GIL. Up to _SMALL_OUT bytes of sums, the threads split the rows (and add
# their sums); above, they split the groups.
_SMALL_OUT = 1 << 22
_THREADED_ROWS = 1 << 16


def _result(job: Future[int]) -> int:
    """A kernel call's rows summed; its overflow as the one error of a sum that does not fit."""
    try:
        return job.result()
    except OverflowError:
        raise _overflow() from None


def _sum_rows_c(values: np.ndarray, group: np.ndarray, n_groups: int) -> np.ndarray:
    """:func:`sum_by_group` for (P,) or (P, C) rows on the compiled kernel."""
    assert _group_sum_c is not None  # sum_by_group calls here only when the kernel is built
    # the kernel takes aligned buffers: an array unpickled from a Dask message may not be one
    group = np.require(group, np.int64, ["C", "A"])
    rows = np.require(values.reshape(values.shape[0], math.prod(values.shape[1:])), None,
                      ["C", "A"])
    if group.shape != (rows.shape[0],):
        msg = f"group must have shape ({rows.shape[0]},), got {group.shape}"
        raise ValueError(msg)
    n_cols = rows.shape[1]
    out = np.zeros((n_groups, n_cols), dtype=np.int64)
    if n_cols == 0:
        return out.reshape((n_groups, *values.shape[1:]))
    if rows.shape[0] >= _THREADED_ROWS and cores() >= 2:
        pool = pair_pool()
        if out.nbytes <= _SMALL_OUT:  # each thread sums half of the rows; then one add
            half = rows.shape[0] // 2
            other = np.empty_like(out)
            jobs = [pool.submit(_group_sum_c, rows[:half], group[:half], 0, n_groups, n_cols,
                                out),
                    pool.submit(_group_sum_c, rows[half:], group[half:], 0, n_groups, n_cols,
                                other)]
            summed = sum(_result(job) for job in jobs)
            total = out + other  # checked: both halves' sums may fit and their total not
            if ((out ^ total) & (other ^ total) < 0).any():
                raise _overflow()
            out = total
        else:  # each thread sums half of the groups over all rows: no large add
            half = n_groups // 2
            jobs = [pool.submit(_group_sum_c, rows, group, lo, hi, n_cols, out[lo:hi])
                    for lo, hi in ((0, half), (half, n_groups))]
            summed = sum(_result(job) for job in jobs)
    else:
        try:
            summed = _group_sum_c(rows, group, 0, n_groups, n_cols, out)
        except OverflowError:  # the kernel's checked adds
            raise _overflow() from None
    if summed != rows.shape[0]:
        bad = int(np.flatnonzero((group < 0) | (group >= n_groups))[0])
        msg = f"group[{bad}] = {group[bad]} is not in [0, {n_groups})"
        raise ValueError(msg)
    return out.reshape((n_groups, *values.shape[1:]))


def sum_known(values: np.ndarray, group: np.ndarray, n_groups: int, *,
              empty: int = UNKNOWN) -> np.ndarray:
    """Group sums where any unknown (-1) part makes the whole unknown; a group without rows is
    ``empty``. values : (P,) or (P, C); group : (P,) int in [0, n_groups)."""
    rows = np.bincount(group, minlength=n_groups)
    unknown = values < 0
    if not unknown.any():  # the usual case: one pass, no masked copies
        sums = sum_by_group(values, group, n_groups)
        return np.where((rows == 0)[:, None] if sums.ndim == 2 else rows == 0, empty, sums)
    sums = sum_by_group(np.where(unknown, 0, values), group, n_groups)
    # a column of gaps only where a column has unknowns
    cols = unknown.any(axis=0) if unknown.ndim == 2 else None
    if cols is not None:
        gaps = np.zeros(sums.shape, np.int64)
        gaps[:, cols] = sum_by_group(unknown[:, cols].astype(np.int64), group, n_groups)
    else:
        gaps = sum_by_group(unknown.astype(np.int64), group, n_groups)
    if sums.ndim == 2:
        rows = rows[:, None]
    return np.where(gaps > 0, UNKNOWN, np.where(rows == 0, empty, sums))
