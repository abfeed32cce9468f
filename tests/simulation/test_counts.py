"""engine.simulation.histograms.Histogram: exact order statistics, whatever the chunks and
their order."""

from __future__ import annotations

import itertools
import math
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from engine.simulation.histograms import QUANTILES, Histogram, rank


@st.composite
def batches(draw: st.DrawFn, max_runs: int = 60) -> tuple[int, np.ndarray, list[np.ndarray]]:
    """A width, values (runs, rows) in [0, width), and the same values cut into chunks of runs.

    Narrow widths give many repeated values; wide ones (up to 2^40) mostly distinct values.
    """
    rows = draw(st.integers(1, 5))
    width = draw(st.one_of(st.integers(1, 8), st.integers(1, 2**40)))
    runs = draw(st.integers(0, max_runs))
    values = draw(hnp.arrays(np.int64, (runs, rows), elements=st.integers(0, width - 1)))
    cuts = sorted(draw(st.sets(st.integers(0, runs), max_size=6)))
    bounds = [0, *cuts, runs]
    chunks = [values[a:b] for a, b in itertools.pairwise(bounds)]
    return width, values, chunks


def _filled(rows: int, width: int, chunks: list[np.ndarray]) -> Histogram:
    h = Histogram(rows, width)
    for chunk in chunks:
        h.add(chunk)
    return h


def _order_statistic(values: np.ndarray, q: Fraction) -> np.ndarray:
    """Per row (column of ``values``): the ceil(q n)-th smallest value (at least the 1st), by
    sorting; -1 when there are no values."""
    n = values.shape[0]
    if n == 0:
        return np.full(values.shape[1], -1, np.int64)
    k = max(1, math.ceil(q * n))
    return np.sort(values, axis=0)[k - 1]


def _same(a: Histogram, b: Histogram) -> bool:
    return np.array_equal(a.keys, b.keys) and np.array_equal(a.counts, b.counts)


@given(batches())
def test_quantiles_are_exact_order_statistics(batch):
    """quantiles() gives, for each row and each of QUANTILES, the ceil(q n)-th smallest value."""
    width, values, chunks = batch
    h = _filled(values.shape[1], width, chunks)
    got = h.quantiles()
    assert got.shape == (values.shape[1], len(QUANTILES))
    assert got.dtype == np.int64
    for i, q in enumerate(QUANTILES):
        assert got[:, i].tolist() == _order_statistic(values, q).tolist()


# Denominators up to 10^6; the test below takes fractions with huge terms.
@given(batches(), st.lists(st.fractions(0, 1, max_denominator=10**6), min_size=1, max_size=5))
def test_any_quantile_is_exact_including_the_extremes(batch, quantiles):
    """Any fraction in [0, 1]: q = 0 is the minimum, q = 1 the maximum; rank() agrees."""
    width, values, chunks = batch
    h = _filled(values.shape[1], width, chunks)
    quantiles = [Fraction(0), Fraction(1), *quantiles]
    got = h.quantiles(tuple(quantiles))
    for i, q in enumerate(quantiles):
        assert got[:, i].tolist() == _order_statistic(values, q).tolist()
        assert rank(q, values.shape[0]) == max(1, math.ceil(q * values.shape[0]))
    if values.shape[0]:
        assert got[:, 0].tolist() == values.min(axis=0).tolist()
        assert got[:, 1].tolist() == values.max(axis=0).tolist()


def test_quantiles_of_a_fraction_with_large_terms_are_exact():
    """Fraction(0.95), made from a float, is a valid quantile: of the 10,000 values 0..9999 the
    ceil(0.95 n)-th smallest is 9499 (an int64 product of its terms would wrap)."""
    n = 10_000
    h = Histogram(1, n)
    h.add(np.arange(n)[:, None])
    q = Fraction(0.95)
    assert rank(q, n) == 9500
    assert h.quantiles((q,)).tolist() == [[9499]]
    assert h.quantiles((Fraction(1, 2**63),)).tolist() == [[0]]


@given(batches())
def test_totals_count_the_runs_and_rows_hold_each_rows_values(batch):
    """Every row holds one value per run; row(r) is row r's distinct values (ascending) with
    their counts; keys are sorted and unique, counts positive."""
    width, values, chunks = batch
    rows = values.shape[1]
    h = _filled(rows, width, chunks)
    assert h.totals().tolist() == [values.shape[0]] * rows
    assert h.totals().dtype == np.int64
    for r in range(rows):
        distinct, counts = h.row(r)
        expected = np.unique(values[:, r], return_counts=True)
        assert distinct.tolist() == expected[0].tolist()
        assert counts.tolist() == expected[1].tolist()
    assert (np.diff(h.keys) > 0).all()
    assert (h.counts > 0).all()
    assert h.counts.sum() == values.size


@given(batches(), st.data())
def test_merging_two_histograms_is_adding_all_values_to_one(batch, data):
    """h1 += h2 equals one histogram that saw every value, whichever holds which chunks."""
    width, values, chunks = batch
    rows = values.shape[1]
    mine = data.draw(st.lists(st.booleans(), min_size=len(chunks), max_size=len(chunks)))
    h1 = _filled(rows, width, [c for c, m in zip(chunks, mine, strict=True) if m])
    h2 = _filled(rows, width, [c for c, m in zip(chunks, mine, strict=True) if not m])
    h2_before = (h2.keys.copy(), h2.counts.copy())
    h1 += h2
    assert _same(h1, _filled(rows, width, [values]))
    # The merged-in histogram is left as it was.
    assert np.array_equal(h2.keys, h2_before[0])
    assert np.array_equal(h2.counts, h2_before[1])


@given(batches(), st.data())
def test_the_order_of_the_chunks_never_matters(batch, data):
    """Keys and counts are integer sums: any order of the chunks gives the same histogram."""
    width, values, chunks = batch
    rows = values.shape[1]
    shuffled = data.draw(st.permutations(chunks))
    assert _same(_filled(rows, width, shuffled), _filled(rows, width, chunks))
    assert _same(_filled(rows, width, shuffled), _filled(rows, width, [values]))


@given(batches(), st.data())
def test_values_out_of_range_raise_and_change_nothing(batch, data):
    """A value below 0 or at/above the width is refused with ValueError, before any counting."""
    width, values, chunks = batch
    rows = values.shape[1]
    h = _filled(rows, width, chunks)
    keys, counts = h.keys.copy(), h.counts.copy()
    bad = data.draw(st.sampled_from([-1, width, width + 7, -(2**40)]))
    runs = data.draw(st.integers(1, 4))
    chunk = data.draw(hnp.arrays(np.int64, (runs, rows), elements=st.integers(0, width - 1)))
    chunk[data.draw(st.integers(0, runs - 1)), data.draw(st.integers(0, rows - 1))] = bad
    with pytest.raises(ValueError, match="values must be in"):
        h.add(chunk)
    assert np.array_equal(h.keys, keys)
    assert np.array_equal(h.counts, counts)


@pytest.mark.parametrize("rows", [1, 4])
def test_an_empty_histogram_has_no_quantiles(rows):
    """Without values every quantile is -1 and every total 0, also after adding zero runs."""
    h = Histogram(rows, 10)
    assert h.quantiles().tolist() == [[-1] * len(QUANTILES)] * rows
    assert h.totals().tolist() == [0] * rows
    h.add(np.zeros((0, rows), np.int64))
    assert h.quantiles().tolist() == [[-1] * len(QUANTILES)] * rows
    values, counts = h.row(rows - 1)
    assert values.size == counts.size == 0


def test_a_row_without_values_gets_minus_one_beside_rows_with_values():
    """Rows 0 and 2 of three hold nothing (counts merged into row 1 only): -1 there, the exact
    order statistics of row 1 (values 5, 5, 9) beside them."""
    width = 10
    h = Histogram(3, width)
    h.merge(np.array([width + 5, width + 9]), np.array([2, 1]))
    assert h.totals().tolist() == [0, 3, 0]
    # ranks ceil(3 q): 1, 2, 3 of the sorted 5, 5, 9
    assert h.quantiles().tolist() == [[-1, -1, -1], [5, 5, 9], [-1, -1, -1]]


def test_keys_that_would_overflow_int64_are_refused():
    """rows * width must fit an int64 key (below 2^62)."""
    with pytest.raises(ValueError, match="int64"):
        Histogram(2**31, 2**31)
    Histogram(3, 2**40)  # fine
