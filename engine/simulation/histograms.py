"""Exact integer histograms of per-row values, merged chunk by chunk.

A simulation adds, run after run, one integer per race (ballots cast, a margin in votes); the
quantiles it reports must be exact order statistics, yet memory must not grow with the number
of runs. :class:`Histogram` keeps only the distinct values seen per row with their counts, so
its size is bounded by the values' range (at most the race's registered voters + 1), never by
the runs. Adding is a sort of the chunk's keys and a merge: integer sums, so the result does not
depend on how the runs were cut into chunks or in which order the chunks arrive.
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np

__all__ = ["QUANTILES", "Histogram", "rank"]

# The quantiles a simulation reports, as exact fractions.
QUANTILES = (Fraction(1, 20), Fraction(1, 2), Fraction(19, 20))


def rank(q: Fraction, n: int) -> int:
    """The rank (1-based) of the q-quantile of n values: the ceil(q n)-th smallest, at least 1."""
    return max(1, -(-q.numerator * n // q.denominator))


class Histogram:
    """Counts of (row, value) pairs for ``rows`` rows of values in [0, width).

    keys : sorted int64 ``row * width + value``; counts : int64, runs with that pair.
    """

    def __init__(self, rows: int, width: int) -> None:
        if rows * max(width, 1) >= 2**62:
            msg = f"{rows} rows of width {width} do not fit int64 keys"
            raise ValueError(msg)
        self.rows = rows
        self.width = max(int(width), 1)
        self.keys = np.zeros(0, np.int64)
        self.counts = np.zeros(0, np.int64)

    def add(self, values: np.ndarray) -> None:
        """Count ``values`` : (N, rows) int64 in [0, width), one row of values per run."""
        values = np.asarray(values, dtype=np.int64)
        if values.size and (values.min() < 0 or values.max() >= self.width):
            msg = f"values must be in [0, {self.width})"
            raise ValueError(msg)
        keys = (values + np.arange(self.rows, dtype=np.int64) * self.width).ravel()
        self.merge(*np.unique(keys, return_counts=True))

    def merge(self, keys: np.ndarray, counts: np.ndarray) -> None:
        """Add counts of sorted unique ``keys`` (another histogram's, or a chunk's)."""
        keys = np.asarray(keys, dtype=np.int64)
        counts = np.asarray(counts, dtype=np.int64)
        if self.keys.size:
            keys, counts = _sum_sorted(np.concatenate([self.keys, keys]),
                                       np.concatenate([self.counts, counts]))
        self.keys, self.counts = keys, counts

    def __iadd__(self, other: Histogram) -> Histogram:
        self.merge(other.keys, other.counts)
        return self

    def totals(self) -> np.ndarray:
        """(rows,) int64: how many values each row holds."""
        out = np.zeros(self.rows, np.int64)
        np.add.at(out, self.keys // self.width, self.counts)
        return out

    def quantiles(self, quantiles: tuple[Fraction, ...] = QUANTILES) -> np.ndarray:
        """(rows, len(quantiles)) int64, exact order statistics; -1 for a row without values."""
        out = np.full((self.rows, len(quantiles)), -1, np.int64)
        if not self.keys.size:
            return out
        cum = np.cumsum(self.counts)
        per_row = self.totals()
        before = np.concatenate([[0], np.cumsum(per_row)[:-1]])
        has = per_row > 0
        for i, q in enumerate(quantiles):
            # Python integers: q's terms may be large (a Fraction made from a float)
            ranks = np.array([rank(q, n) for n in per_row.tolist()], np.int64)
            at = np.searchsorted(cum, before + ranks)
            at = np.minimum(at, self.keys.size - 1)
            out[:, i] = np.where(has, self.keys[at] - np.arange(self.rows) * self.width, -1)
        return out

    def row(self, r: int) -> tuple[np.ndarray, np.ndarray]:
        """Row ``r``'s distinct values (ascending) and their counts."""
        lo, hi = np.searchsorted(self.keys, [r * self.width, (r + 1) * self.width])
        return self.keys[lo:hi] - r * self.width, self.counts[lo:hi]


def _sum_sorted(keys: np.ndarray, counts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Sort keys and add the counts of equal keys (int64, exact)."""
    order = np.argsort(keys, kind="stable")
    keys, counts = keys[order], counts[order]
    starts = np.flatnonzero(np.concatenate([[True], keys[1:] != keys[:-1]]))
    return keys[starts], np.add.reduceat(counts, starts)
