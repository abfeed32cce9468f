"""The tally core: exact sums, conservation at every level, order invariance, both entry points."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from engine.law.rules import PRESETS, Outcome
from engine.tally import sums as tally
from engine.tally.areas import area_results
from engine.tally.ballots import tally_ballots
from engine.tally.races import PrecinctTable, race_results, race_totals
from engine.tally.sums import sum_by_group
from tests.strategies import elections

RURAL = PRESETS["kz-2021-rural"]


def _by_elections() -> tuple[PrecinctTable, np.ndarray]:
    """The four 2021 by-elections of seed 003, one precinct each."""
    rows = [  # registered, cast, invalid, against all, candidates
        [1283, 928, 35, 0, 731, 153, 6, 3],      # Aqqum
        [2244, 1923, 13, 0, 1816, 94, 0, 0],     # Talaptan
        [1200, 860, 0, 0, 732, 82, 46, 0],       # Ülken
        [1175, 768, 48, 4, 473, 234, 6, 3],      # Berşügır
    ]
    return (PrecinctTable(race=np.arange(4), counts=np.array(rows, np.int64), n_races=4),
            np.array([4, 2, 3, 4]))


def test_the_by_elections_replay_to_their_published_figures():
    """Turnout and winner shares of the 2021 by-elections come out as seed 003 printed them."""
    table, n = _by_elections()
    res = race_results(race_totals(table, n), RURAL)
    assert res.totals.valid.tolist() == [893, 1910, 860, 720]
    assert np.round(res.turnout, 2).tolist() == [72.33, 85.70, 71.67, 65.36]
    assert res.winner.tolist() == [0, 0, 0, 0]
    assert res.margin_votes.tolist() == [578, 1722, 650, 239]
    assert (res.outcome == Outcome.ELECTED).all()


def test_race_totals_are_integer_and_exact():
    """Counts stay int64 whatever the size of the numbers."""
    big = 3 * 10**12
    table = PrecinctTable(race=np.array([0, 0]), n_races=1,
                          counts=np.array([[big, big, 0, 0, big - 1, 1]] * 2, np.int64))
    t = race_totals(table, np.array([2]))
    assert t.cast.dtype == np.int64
    assert t.cast.tolist() == [2 * big]
    assert t.votes.tolist() == [[2 * big - 2, 2]]


def test_an_unknown_part_makes_the_whole_unknown():
    """One precinct with no registered count leaves the race's registered unknown (-1)."""
    table = PrecinctTable(race=np.array([0, 0]), n_races=1,
                          counts=np.array([[100, 50, 0, 0, 50], [-1, 40, 0, 0, 40]], np.int64))
    t = race_totals(table, np.array([1]))
    assert t.registered.tolist() == [-1]
    assert t.cast.tolist() == [90]


def test_cast_valid_invalid_complete_each_other():
    """Given cast and the votes, the invalid ballots are cast minus valid."""
    table = PrecinctTable(race=np.array([0]), n_races=1,
                          counts=np.array([[-1, 100, -1, 5, 60, 30]], np.int64))
    t = race_totals(table, np.array([2]))
    assert (t.valid.tolist(), t.invalid.tolist()) == ([95], [5])


@given(elections())
def test_precinct_rows_sum_to_race_totals_and_races_to_areas(data):
    """Conservation: precincts sum to races, races to regions, regions to the nation."""
    table, n = data
    totals = race_totals(table, n)
    for col, name in enumerate(("registered", "cast", "invalid", "against_all")):
        assert getattr(totals, name).sum() == table.counts[:, col].sum()
    assert totals.votes.sum() == table.counts[:, 4:].sum()
    res = race_results(totals, RURAL)
    r = table.n_races
    areas = [("North",) if i % 2 else ("South", f"D{i % 3}") for i in range(r)]
    party = np.where(np.arange(totals.votes.shape[1]) < n[:, None],
                     np.arange(totals.votes.shape[1]) % 2, -1)
    a = area_results(res, areas, party, ("P0", "P1"))
    nation = a.index(())
    regions = [i for i, p in enumerate(a.paths) if len(p) == 1]
    districts = [i for i, p in enumerate(a.paths) if len(p) == 2]
    for field in ("cast", "registered", "valid", "invalid", "races", "decided"):
        arr = getattr(a, field)
        assert arr[nation] == arr[regions].sum()
        south = a.index(("South",)) if ("South",) in a.paths else None
        if south is not None:
            assert arr[south] == arr[districts].sum()
    assert a.cast[nation] == totals.cast.sum()
    assert a.seats[nation].sum() == a.decided[nation] == (res.winner >= 0).sum()
    assert a.party_votes[nation].sum() == totals.votes.sum()


@given(elections(), st.randoms(use_true_random=False))
def test_the_tally_does_not_depend_on_precinct_order(data, rnd):
    """Shuffling precinct rows changes no race total."""
    table, n = data
    order = list(range(table.race.size))
    rnd.shuffle(order)
    shuffled = PrecinctTable(race=table.race[order], counts=table.counts[order],
                             n_races=table.n_races)
    a, b = race_totals(table, n), race_totals(shuffled, n)
    assert a.cast.tolist() == b.cast.tolist()
    assert a.votes.tolist() == b.votes.tolist()


@given(elections(), elections())
def test_the_tally_of_a_concatenation_is_the_sum_of_the_tallies(first, second):
    """Counting two batches of precincts of the same races together equals adding their counts."""
    (t1, n1), (t2, _) = first, second
    r = t1.n_races
    k = t1.counts.shape[1]
    c2 = np.zeros((t2.counts.shape[0], k), np.int64)
    w = min(k, t2.counts.shape[1])
    c2[:, :w] = t2.counts[:, :w]
    c2[:, 4:] *= np.arange(k - 4) < n1[t2.race % r][:, None]
    t2 = PrecinctTable(race=t2.race % r, counts=c2, n_races=r)
    both = PrecinctTable(race=np.concatenate([t1.race, t2.race]),
                         counts=np.concatenate([t1.counts, t2.counts]), n_races=r)
    s1, s2, s = (sum_by_group(t.counts, t.race, r) for t in (t1, t2, both))
    assert (s == s1 + s2).all()


@given(elections(max_precincts=12))
def test_ballot_level_and_precinct_level_tallies_agree(data):
    """Expanding every precinct into ballots and counting them gives the same race totals."""
    table, n = data
    k = table.counts.shape[1] - 4
    order = np.argsort(table.race, kind="stable")
    codes, lengths = [], np.zeros(table.n_races, np.int64)
    for p in order:
        row = table.counts[p]
        ballots = np.repeat(np.arange(k + 2, dtype=np.uint8), [row[2], row[3], *row[4:]])
        codes.append(np.random.default_rng(int(p)).permutation(ballots))
        lengths[table.race[p]] += ballots.size
    offsets = np.concatenate([[0], np.cumsum(lengths)])
    ballots = tally_ballots(np.concatenate(codes).astype(np.uint8), offsets, n)
    precincts = race_totals(table, n)
    via_ballots = race_totals(ballots, n)
    assert via_ballots.cast.tolist() == precincts.cast.tolist()
    assert via_ballots.invalid.tolist() == precincts.invalid.tolist()
    assert via_ballots.against_all.tolist() == precincts.against_all.tolist()
    w = via_ballots.votes.shape[1]  # the widest ballot; the table may carry zero padding
    assert via_ballots.votes.tolist() == precincts.votes[:, :w].tolist()
    assert not precincts.votes[:, w:].any()


def test_sum_by_group_handles_a_leading_run_axis():
    """(runs, P, C) sums in one product equal summing each run alone."""
    rng = np.random.default_rng(1)
    values = rng.integers(0, 1000, (5, 30, 3))
    group = rng.integers(0, 4, 30)
    together = sum_by_group(values, group, 4)
    assert all((together[i] == sum_by_group(values[i], group, 4)).all() for i in range(5))


@pytest.mark.parametrize(("n_rows", "n_groups"), [(1000, 7), (5000, 40_000), (3, 1)])
@pytest.mark.parametrize("threaded", [False, True])
def test_every_group_sum_path_agrees_with_the_sparse_product(monkeypatch, n_rows, n_groups,
                                                             threaded):
    """Compiled kernel (one thread, rows split, groups split) == scipy CSR == np.add.at."""
    if tally._group_sum_c is None:
        pytest.skip("engine.tally._kernels is not built (installed without a compiler)")
    rng = np.random.default_rng([n_rows, n_groups])
    values = rng.integers(0, 5000, size=(n_rows, 9), dtype=np.int64)
    group = rng.integers(0, n_groups, size=n_rows)
    if threaded:
        monkeypatch.setattr(tally, "_THREADED_ROWS", 1)
        monkeypatch.setattr(tally, "cores", lambda: 2)
    expected = np.zeros((n_groups, 9), dtype=np.int64)
    np.add.at(expected, group, values)
    assert (sum_by_group(values, group, n_groups) == expected).all()
    assert (sum_by_group(values, tally.group_matrix(group, n_groups), n_groups) == expected).all()
    assert (sum_by_group(values[:, 0], group, n_groups) == expected[:, 0]).all()


def test_a_group_out_of_range_is_named():
    """A group index outside [0, n_groups) is refused, naming its row and its value."""
    with pytest.raises(ValueError, match=r"group\[2\] = 5 is not in \[0, 3\)"):
        sum_by_group(np.ones((4, 2), dtype=np.int64), np.array([0, 1, 5, 2]), 3)


@pytest.mark.parametrize("shape", [(0,), (0, 3), (4, 0)])
def test_sums_over_empty_tables_are_zero(shape):
    """No rows, or rows without columns, sum to zeros of the right shape."""
    values = np.zeros(shape, dtype=np.int64)
    out = sum_by_group(values, np.zeros(shape[0], dtype=np.int64), 2)
    assert out.shape == (2, *shape[1:])
    assert not out.any()


def test_without_the_compiled_kernel_the_sparse_product_gives_the_same_sums(monkeypatch):
    """Without the compiled kernel the scipy sparse product gives the same sums, for a table
    and for one column."""
    rng = np.random.default_rng(7)
    values = rng.integers(0, 100, size=(500, 4), dtype=np.int64)
    group = rng.integers(0, 9, size=500)
    with_kernel = sum_by_group(values, group, 9)
    monkeypatch.setattr(tally, "_group_sum_c", None)
    assert (sum_by_group(values, group, 9) == with_kernel).all()
    assert (sum_by_group(values[:, 1], group, 9) == with_kernel[:, 1]).all()


def _unaligned(a: np.ndarray) -> np.ndarray:
    """``a``'s values in a buffer one byte off alignment, as an array unpickled from a Dask
    message can be."""
    raw = np.zeros(a.nbytes + 1, np.uint8)
    out = np.frombuffer(raw.data[1:], dtype=a.dtype).reshape(a.shape)
    out[...] = a
    return out


def test_unaligned_arrays_sum_as_aligned_ones():
    """The compiled kernel takes aligned buffers: unaligned rows and groups are copied, never
    refused (a model shipped to a Dask worker arrived so)."""
    rng = np.random.default_rng(5)
    values = rng.integers(0, 1000, (500, 3))
    group = rng.integers(0, 7, 500)
    bad_values, bad_group = _unaligned(values), _unaligned(group)
    assert not bad_values.flags.aligned
    assert not bad_group.flags.aligned
    expected = sum_by_group(values, group, 7)
    assert sum_by_group(bad_values, bad_group, 7).tolist() == expected.tolist()
    assert expected.sum() == values.sum()
