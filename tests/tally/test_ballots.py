"""Ballot-level counting: both kernels against a slow obvious reference."""

from __future__ import annotations

import itertools
import re
from collections import Counter

import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

import engine.tally.ballots as ballots

# The active kernel ("c" when the extension is built) and the numpy fallback, called directly
# with the private signature kernel(codes, offsets, n_codes, out) -> None | (race, code).
KERNELS = {"active": ballots._kernel, "numpy": ballots._count_numpy}


def reference(codes: np.ndarray, offsets: np.ndarray, n_codes: int) -> np.ndarray:
    """The slow obvious tally: one Counter per race."""
    rows = []
    for lo, hi in itertools.pairwise(offsets):
        seen = Counter(codes[lo:hi].tolist())
        rows.append([seen[k] for k in range(n_codes)])
    return np.array(rows, dtype=np.int64).reshape(len(offsets) - 1, n_codes)


def run_kernel(name: str, codes: np.ndarray, offsets, n_codes: int):
    """Call one private kernel on valid-typed input; returns (counts, bad)."""
    offsets = np.asarray(offsets, dtype=np.int64)
    out = np.full((offsets.size - 1, n_codes), -1, dtype=np.int64)
    bad = KERNELS[name](codes, offsets, n_codes, out)
    return out, bad


def seeded_races(seed: int, n_codes: int, lengths: list[int]):
    """Seeded codes in [0, n_codes) for races of the given lengths, with their offsets."""
    rng = np.random.default_rng(seed)
    offsets = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64)
    codes = rng.integers(0, n_codes, int(offsets[-1]), dtype=np.uint8)
    return codes, offsets


# Races from empty to several 64 KiB chunks long: every path of both kernels.
SEEDED_LENGTHS = [0, 1, 7, 100, 0, 3000, 70_000, 5, 200_003, 0]


@pytest.mark.parametrize("kernel", sorted(KERNELS))
@pytest.mark.parametrize("n_codes", [1, 2, 7, 16, 17, 255, 256])
def test_kernel_matches_the_reference_on_seeded_races(kernel, n_codes):
    """Each kernel counts seeded races of every size exactly as the reference does."""
    codes, offsets = seeded_races(n_codes, n_codes, SEEDED_LENGTHS)
    counts, bad = run_kernel(kernel, codes, offsets, n_codes)
    assert bad is None
    assert reference(codes, offsets, n_codes).tolist() == counts.tolist()


def test_front_door_matches_the_reference_on_many_short_races():
    """count_codes tallies 2,000 short races (batched in the numpy kernel) exactly."""
    rng = np.random.default_rng(7)
    lengths = rng.integers(0, 60, 2000).tolist()
    codes, offsets = seeded_races(8, 11, lengths)
    counts = ballots.count_codes(codes, offsets, 11)
    assert reference(codes, offsets, 11).tolist() == counts.tolist()


def test_counts_of_a_race_add_up_to_its_ballots():
    """Conservation: each race's counts sum to its number of ballots."""
    codes, offsets = seeded_races(3, 5, SEEDED_LENGTHS)
    counts = ballots.count_codes(codes, offsets, 5)
    assert np.diff(offsets).tolist() == counts.sum(axis=1).tolist()


@st.composite
def races(draw, min_codes: int = 1):
    """Random n_codes, codes in [0, n_codes) and offsets with empty races allowed."""
    n_codes = draw(st.integers(min_codes, 256))
    codes = draw(st.lists(st.integers(0, n_codes - 1), max_size=300))
    cuts = draw(st.lists(st.integers(0, len(codes)), max_size=12))
    offsets = [0, *sorted(cuts), len(codes)]
    return np.array(codes, dtype=np.uint8), np.array(offsets, dtype=np.int64), n_codes


@given(races())
def test_both_kernels_match_the_reference_on_random_races(case):
    """Hypothesis: the front door and both kernels equal the reference on any valid input."""
    codes, offsets, n_codes = case
    expected = reference(codes, offsets, n_codes).tolist()
    assert expected == ballots.count_codes(codes, offsets, n_codes).tolist()
    for name in KERNELS:
        counts, bad = run_kernel(name, codes, offsets, n_codes)
        assert bad is None
        assert expected == counts.tolist()


@given(races(), st.data())
def test_a_code_outside_the_options_is_reported_with_its_race(case, data):
    """Hypothesis: a code >= n_codes names the first race holding one and its smallest bad code."""
    codes, offsets, n_codes = case
    assume(n_codes < 256 and codes.size > 0)
    codes = codes.copy()
    positions = data.draw(st.lists(st.integers(0, codes.size - 1), min_size=1, max_size=3))
    for pos in positions:
        codes[pos] = data.draw(st.integers(n_codes, 255))
    first = min(positions)
    race = int(np.searchsorted(offsets, first, side="right")) - 1
    seg = codes[offsets[race] : offsets[race + 1]]
    code = int(seg[seg >= n_codes].min())
    for name in KERNELS:
        assert (race, code) == tuple(run_kernel(name, codes, offsets, n_codes)[1])
    expected = f"race[{race}]: code {code} is not an option (n_codes = {n_codes})"
    with pytest.raises(ValueError, match=re.escape(expected)):
        ballots.count_codes(codes, offsets, n_codes)


def test_a_bad_code_in_a_long_race_is_found():
    """A single code 9 among 200,000 valid ballots of race 1 is reported by both kernels."""
    codes, offsets = seeded_races(4, 3, [10, 200_000, 10])
    codes[150_000] = 9
    for name in KERNELS:
        assert tuple(run_kernel(name, codes, offsets, 3)[1]) == (1, 9)


def test_no_races_give_an_empty_table():
    """Zero races (offsets == [0]) give a (0, n_codes) result."""
    counts = ballots.count_codes(np.zeros(0, dtype=np.uint8), [0], 4)
    assert counts.shape == (0, 4)
    assert np.int64 == counts.dtype


def test_strided_codes_and_narrow_offsets_are_accepted():
    """A non-contiguous uint8 view and int32 offsets count like their contiguous int64 copy."""
    codes, offsets = seeded_races(5, 6, [40, 0, 60, 100])
    wide = np.repeat(codes, 2)[::2]
    counts = ballots.count_codes(wide, offsets.astype(np.int32), 6)
    assert reference(codes, offsets, 6).tolist() == counts.tolist()


@pytest.mark.parametrize(
    ("codes", "offsets", "n_codes", "message"),
    [
        (np.zeros(3, dtype=np.int64), [0, 3], 2, "codes must have dtype uint8, got int64"),
        (np.zeros((2, 2), dtype=np.uint8), [0, 4], 2, r"codes must be 1-D, got shape \(2, 2\)"),
        (np.zeros(3, dtype=np.uint8), [0.0, 3.0], 2,
         "offsets must hold integers, got dtype float64"),
        (np.zeros(3, dtype=np.uint8), [], 2, "offsets must be 1-D with R \\+ 1 >= 1 entries"),
        (np.zeros(3, dtype=np.uint8), [1, 3], 2, "offsets\\[0\\] must be 0, got 1"),
        (np.zeros(3, dtype=np.uint8), [0, 2], 2,
         "offsets\\[-1\\] must equal len\\(codes\\) = 3, got 2"),
        (
            np.zeros(3, dtype=np.uint8),
            [0, 2, 1, 3],
            2,
            "offsets must be nondecreasing, got offsets\\[2\\] = 1 < offsets\\[1\\] = 2",
        ),
        (
            np.zeros(3, dtype=np.uint8),
            np.array([0, 2**63 + 5, 3], dtype=np.uint64),
            2,
            "offsets must fit int64",
        ),
        (np.zeros(3, dtype=np.uint8), [0, 3], 0, "n_codes must be in \\[1, 256\\], got 0"),
        (np.zeros(3, dtype=np.uint8), [0, 3], 257, "n_codes must be in \\[1, 256\\], got 257"),
        (np.zeros(3, dtype=np.uint8), [0, 3], 2.5, "n_codes must be an integer, got 2.5"),
    ],
)
def test_bad_input_is_refused_with_a_message_naming_it(codes, offsets, n_codes, message):
    """Wrong dtypes, shapes, offsets and n_codes raise ValueError naming the bad value."""
    with pytest.raises(ValueError, match=message):
        ballots.count_codes(codes, offsets, n_codes)


def test_streamed_chunks_count_like_the_whole_race():
    """Counting a race chunk by chunk (empty chunks included) equals counting it whole."""
    codes, offsets = seeded_races(6, 9, [300_000])
    cuts = [0, 0, 17, 65_536, 65_536, 200_001, 300_000]
    chunks = (codes[lo:hi] for lo, hi in itertools.pairwise(cuts))
    assert ballots.count_codes(codes, offsets, 9)[0].tolist() == (
        ballots.count_codes_stream(chunks, 9).tolist()
    )


def test_a_memmapped_race_streams_in_slices(tmp_path):
    """Slices of an np.memmap on disk stream to the same counts as the array in memory."""
    codes, offsets = seeded_races(9, 4, [100_000])
    path = tmp_path / "ballots.u8"
    codes.tofile(path)
    mm = np.memmap(path, dtype=np.uint8, mode="r")
    chunks = (mm[i : i + 30_000] for i in range(0, mm.size, 30_000))
    streamed = ballots.count_codes_stream(chunks, 4)
    assert reference(codes, offsets, 4)[0].tolist() == streamed.tolist()
    del mm


def test_a_stream_names_the_chunk_with_a_bad_code():
    """A code >= n_codes in the third chunk is reported as chunk[2]."""
    chunks = [np.zeros(5, dtype=np.uint8), np.ones(5, dtype=np.uint8), np.array([0, 7], np.uint8)]
    with pytest.raises(ValueError, match=r"chunk\[2\]: code 7 is not an option \(n_codes = 3\)"):
        ballots.count_codes_stream(chunks, 3)


def test_a_stream_refuses_a_chunk_of_the_wrong_dtype():
    """A chunk that is not uint8 is named in the error."""
    with pytest.raises(ValueError, match=r"chunk\[1\] must have dtype uint8, got int16"):
        ballots.count_codes_stream([np.zeros(2, np.uint8), np.zeros(2, np.int16)], 3)


def test_the_kernel_in_use_is_named():
    """KERNEL says which implementation count_codes runs."""
    assert ballots.KERNEL in {"c", "numpy"}
    assert (ballots.KERNEL == "numpy") == (ballots._kernel is ballots._count_numpy)
