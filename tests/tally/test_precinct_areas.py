"""A race's precincts summed to every area they lie in: every line conserved at every level,
whatever the area tree; unknown counts stay unknown."""

from __future__ import annotations

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from engine.tally.precinct_areas import precinct_area_results
from engine.tally.races import PrecinctTable
from engine.tally.sums import sum_by_group
from tests.strategies import elections


@st.composite
def area_trees(draw: st.DrawFn) -> tuple[PrecinctTable, np.ndarray]:
    """An election whose precincts name random paths (1 to 3 levels) with protocol lines, and
    each race's own depth (0, or 1 when all its precincts share a first level)."""
    table, _ = draw(elections())
    p = table.race.shape[0]
    names = [f"a{i}" for i in range(draw(st.integers(1, 4)))]
    depth = draw(st.integers(1, 3))
    paths = sorted({tuple(draw(st.lists(st.sampled_from(names), min_size=depth,
                                        max_size=depth))) for _ in range(draw(st.integers(1, 6)))})
    area = np.array(draw(st.lists(st.integers(0, len(paths) - 1), min_size=p, max_size=p)))
    lines = np.array(draw(st.lists(st.integers(0, 500), min_size=2 * p, max_size=2 * p)),
                     np.int64).reshape(p, 2)
    t = PrecinctTable(race=table.race, counts=table.counts, n_races=table.n_races,
                      line_names=("issued", "received"), line_counts=lines, area=area,
                      area_paths=tuple(paths))
    return t, np.zeros(table.n_races, np.int64)


@given(area_trees())
def test_every_level_of_every_race_sums_to_the_race(case):
    """At each depth, a race's areas together hold exactly its precincts' counts and lines."""
    table, race_depth = case
    pa = precinct_area_results(table, race_depth)
    r = table.n_races
    race_counts = sum_by_group(table.counts, table.race, r)
    race_lines = sum_by_group(table.line_counts, table.race, r)
    depth = pa.depth
    for d in np.unique(depth):
        at = depth == d
        # areas at depth d hold the precincts whose path reaches that deep: here, all of them
        assert (sum_by_group(pa.counts[at], pa.race[at], r) == race_counts).all()
        lines = np.column_stack([pa.lines["issued"], pa.lines["received"]])
        assert (sum_by_group(lines[at], pa.race[at], r) == race_lines).all()
        assert sum_by_group(pa.precincts[at], pa.race[at], r).tolist() == np.bincount(
            table.race, minlength=r).tolist()


@given(area_trees())
def test_an_area_is_the_sum_of_its_children(case):
    """Each area's counts equal the sum of the areas one level below it in the same race."""
    table, race_depth = case
    pa = precinct_area_results(table, race_depth)
    index = {(int(r), p): i for i, (r, p) in enumerate(zip(pa.race, pa.paths, strict=True))}
    children: dict[int, list[int]] = {}
    for i, (r, p) in enumerate(zip(pa.race, pa.paths, strict=True)):
        if len(p) > 1:
            children.setdefault(index[(int(r), p[:-1])], []).append(i)
    for parent, kids in children.items():
        assert (pa.counts[kids].sum(axis=0) == pa.counts[parent]).all()


def test_an_unknown_count_makes_its_areas_unknown():
    """A precinct with unknown registered voters leaves its areas' registered unknown."""
    counts = np.array([[100, 50, 0, 0, 50], [-1, 40, 0, 0, 40], [80, 30, 0, 0, 30]])
    table = PrecinctTable(race=np.zeros(3, np.int64), counts=counts, n_races=1,
                          area=np.array([0, 1, 1]), area_paths=(("N", "x"), ("S", "y")))
    pa = precinct_area_results(table, np.zeros(1, np.int64))
    registered = dict(zip(pa.paths, pa.counts[:, 0].tolist(), strict=True))
    assert registered == {("N",): 100, ("N", "x"): 100, ("S",): -1, ("S", "y"): -1}


def test_areas_start_below_the_race_own_area():
    """A race whose own area is the region gets its districts, not the region again."""
    counts = np.array([[10, 5, 0, 0, 5], [20, 8, 0, 0, 8]])
    table = PrecinctTable(race=np.zeros(2, np.int64), counts=counts, n_races=1,
                          area=np.array([0, 1]), area_paths=(("R", "d1"), ("R", "d2")))
    pa = precinct_area_results(table, np.array([1]))
    assert pa.paths == (("R", "d1"), ("R", "d2"))
