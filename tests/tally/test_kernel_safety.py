"""The compiled kernels called as a hostile caller would: sizes that overflow, groups at the ends
of int64, sums past int64, draws on many threads at once. Each gives a clear error or a right
answer, never a crash or a wrapped number. `.ci/run` runs this file under AddressSanitizer and
UndefinedBehaviorSanitizer (`.ci/sanitize`), where any undefined behaviour stops the run."""

from __future__ import annotations

import threading

import numpy as np
import pytest

from engine.errors import ScenarioError
from engine.tally import sums
from engine.tally.kernel import compiled
from engine.tally.sums import sum_by_group

needs_kernel = pytest.mark.skipif(compiled is None, reason="the compiled kernels are not in use "
                                  "(not built, or SAYLAU_KERNEL=numpy)")
I64 = np.iinfo(np.int64)


@needs_kernel
@pytest.mark.parametrize(("lo", "hi", "n_cols"), [
    (0, 1, 2**61 + 1),          # n_cols * 8 wraps to a small size
    (0, 2**62, 4),              # (hi - lo) * n_cols * 8 wraps
    (I64.min, I64.max, 1),      # hi - lo itself wraps
    (5, 2, 1),                  # hi < lo
    (0, 1, 0),                  # no columns
])
def test_group_sum_refuses_sizes_that_overflow(lo, hi, n_cols):
    """Sizes whose products or differences would wrap are refused, never used to index."""
    values = np.zeros(16, np.int64)
    group = np.zeros(2, np.int64)
    out = np.zeros(8, np.int64)
    with pytest.raises(ValueError, match="group_sum"):
        compiled.group_sum(values, group, lo, hi, n_cols, out)


@needs_kernel
def test_group_sum_skips_groups_at_the_ends_of_int64():
    """Groups far outside [lo, hi), at the ends of int64, are skipped without overflow."""
    values = np.arange(1, 6, dtype=np.int64)
    group = np.array([I64.min, 0, I64.max, 1, -1], np.int64)
    out = np.zeros(2, np.int64)
    assert compiled.group_sum(values, group, 0, 2, 1, out) == 2
    assert out.tolist() == [2, 4]
    out = np.zeros(1, np.int64)
    assert compiled.group_sum(values, group, I64.max, I64.max, 1, out[:0]) == 0


@needs_kernel
@pytest.mark.parametrize("n_cols", [1, 4, 9, 13])
def test_group_sum_reports_a_sum_past_int64(n_cols):
    """A sum that does not fit int64 is an OverflowError from the kernel, at every width
    (the unrolled ones and the loop), in either direction."""
    for big in (I64.max, I64.min):
        values = np.full((2, n_cols), big, np.int64)
        out = np.zeros(n_cols, np.int64)
        with pytest.raises(OverflowError, match="int64"):
            compiled.group_sum(values, np.zeros(2, np.int64), 0, 1, n_cols, out)
    values = np.array([[I64.max] * n_cols, [-1] * n_cols], np.int64)  # fits: no error
    out = np.zeros(n_cols, np.int64)
    compiled.group_sum(values, np.zeros(2, np.int64), 0, 1, n_cols, out)
    assert (out == I64.max - 1).all()


@pytest.mark.parametrize("threaded", [False, True])
def test_a_sum_past_int64_is_one_clear_error_on_every_path(monkeypatch, threaded):
    """sum_by_group turns a sum past int64 into the one user error, whichever kernel and
    thread split sums it; the halves of a split may each fit while their total does not."""
    values = np.full((140_000, 4), 2**46, np.int64)  # each half fits, the whole does not
    monkeypatch.setattr(sums, "cores", lambda: 2 if threaded else 1)
    with pytest.raises(ScenarioError, match="passes the int64 range"):
        sum_by_group(values, np.zeros(140_000, np.int64), 1)
    monkeypatch.setattr(sums, "_group_sum_c", None)  # the sparse product
    with pytest.raises(ScenarioError, match="passes the int64 range"):
        sum_by_group(values, np.zeros(140_000, np.int64), 1)


@needs_kernel
def test_count_refuses_an_output_size_that_overflows():
    """count's R * n_codes * 8 is checked: a wrapped size is refused, not written past."""
    codes = np.zeros(4, np.uint8)
    offsets = np.array([0, 4], np.int64)
    with pytest.raises(ValueError, match="out must be"):
        compiled.count(codes, offsets, 256, np.zeros(8, np.int64))
    with pytest.raises(ValueError, match="offsets"):
        compiled.count(codes, np.array([0, 9], np.int64), 2, np.zeros(2, np.int64))


@needs_kernel
def test_draws_on_many_threads_at_once_agree_with_one_thread():
    """The log-factorial table is filled when the module loads, so draws started together on
    eight threads (the GIL released) give what each gives alone (n < 8192: the table)."""
    n = np.full(20_000, 5_000, np.int64)
    p = np.full(20_000, 0.3)

    def draw(seed: int) -> np.ndarray:
        out = np.empty_like(n)
        bg = np.random.default_rng(seed).bit_generator
        with bg.lock:
            compiled.binomial(bg.capsule, n, p, out)
        return out

    alone = [draw(seed) for seed in range(8)]
    together: list[np.ndarray | None] = [None] * 8
    start = threading.Barrier(8)

    def work(i: int) -> None:
        start.wait()
        together[i] = draw(i)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert all(a.tobytes() == b.tobytes() for a, b in zip(alone, together, strict=True)
               if b is not None)
    assert all(b is not None for b in together)


@needs_kernel
def test_draws_refuse_counts_past_two_to_the_53():
    """Binomial counts above 2**53 (no longer exact in a double) are refused by the kernel."""
    bg = np.random.default_rng(0).bit_generator
    with bg.lock, pytest.raises(ValueError, match="2\\^53"):
        compiled.binomial(bg.capsule, np.array([2**53 + 1], np.int64), np.array([0.5]),
                          np.empty(1, np.int64))
