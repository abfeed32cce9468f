"""A race's precincts summed to every area they lie in: one national race read region by region
and district by district, by candidate.

Each precinct names its area path from the nation down (region > district); the race covers
the part of the path all its precincts share (its own area), and every deeper prefix of a
precinct's path is an area of the race's results. Paths are interned once (codes, not strings
per row), and every area of every race is summed in one pass of the tally core. An area's count
is unknown (-1) when any of its precincts' is, as for races.
"""

from __future__ import annotations

import attrs
import numpy as np

from engine.tally.races import PrecinctTable
from engine.tally.sums import sum_by_group, sum_known

__all__ = ["PrecinctAreaResults", "areas_from_leaves", "precinct_area_results"]


@attrs.frozen(eq=False)
class PrecinctAreaResults:
    """N areas below races, each race's in path order (a region before its districts).

    race : (N,) int64, the race the area's results belong to
    paths : the areas' paths, from the nation down
    precincts : (N,) int64, the precincts summed into each
    counts : (N, 4 + K) int64, the columns of :class:`PrecinctTable` summed; -1 unknown
    lines : the protocol's other lines summed, (N,) int64 each
    """

    race: np.ndarray
    paths: tuple[tuple[str, ...], ...]
    precincts: np.ndarray
    counts: np.ndarray
    lines: dict[str, np.ndarray]

    @property
    def depth(self) -> np.ndarray:
        return np.array([len(p) for p in self.paths], np.int64)

    def of_race(self, race: int) -> np.ndarray:
        """The rows of ``race``'s areas."""
        return np.flatnonzero(self.race == race)


def precinct_area_results(table: PrecinctTable, race_depth: np.ndarray) -> PrecinctAreaResults:
    """Every area below each race's own (``race_depth`` : (R,) its path's length) that its
    precincts name, summed; empty when no precinct names an area."""
    k = table.counts.shape[1]
    names = table.line_names if table.line_counts is not None else ()
    if table.area is None or not table.area_paths:
        return _empty(k, names)
    paths = table.area_paths
    # First every precinct into its own area (one pass over the precincts), then each of those
    # into the areas above it (areas_from_leaves: a pass over a few thousand rows).
    named = np.flatnonzero(table.area >= 0)
    leaf_key = table.race[named] * len(paths) + table.area[named]
    leaves, leaf = np.unique(leaf_key, return_inverse=True)
    leaf = leaf.ravel()
    n_leaves = leaves.size
    every = named.size == table.race.size  # no copy of the rows when every one names an area

    def leaf_sum(values: np.ndarray) -> np.ndarray:
        return sum_known(values if every else values[named], leaf, n_leaves)

    leaf_sums = leaf_sum(table.counts)
    if names:
        assert table.line_counts is not None
        leaf_sums = np.concatenate([leaf_sums, leaf_sum(table.line_counts)], axis=1)
    leaf_precincts = np.bincount(leaf, minlength=n_leaves).astype(np.int64)
    return areas_from_leaves(leaves // len(paths), leaves % len(paths), paths, leaf_sums,
                             leaf_precincts, race_depth, k, names)


def _empty(k: int, names: tuple[str, ...]) -> PrecinctAreaResults:
    return PrecinctAreaResults(race=np.zeros(0, np.int64), paths=(),
                               precincts=np.zeros(0, np.int64),
                               counts=np.zeros((0, k), np.int64),
                               lines={n: np.zeros(0, np.int64) for n in names})


def areas_from_leaves(leaf_race: np.ndarray, leaf_code: np.ndarray,
                      paths: tuple[tuple[str, ...], ...], leaf_sums: np.ndarray,
                      leaf_precincts: np.ndarray, race_depth: np.ndarray, k: int,
                      names: tuple[str, ...]) -> PrecinctAreaResults:
    """The areas of races from their leaves: each leaf is one race's precincts in one area
    path (``leaf_race``, ``leaf_code`` into ``paths``), ``leaf_sums`` (n, k + len(names))
    their columns summed (-1 unknown), ``leaf_precincts`` how many. Every prefix of a leaf's
    path deeper than its race's own area is an area of the race's results."""
    if not paths:
        return _empty(k, names)
    depth_of = np.array([len(p) for p in paths], np.int64)
    deepest = int(depth_of.max(initial=0))
    # prefix[c, d - 1]: the code of path c's first d names (-1 when the path is shorter)
    prefixes: dict[tuple[str, ...], int] = {}
    prefix = np.full((len(paths), max(deepest, 1)), -1, np.int64)
    for c, path in enumerate(paths):
        for d in range(1, len(path) + 1):
            prefix[c, d - 1] = prefixes.setdefault(path[:d], len(prefixes))
    rdepth = np.asarray(race_depth, np.int64)[leaf_race]
    rows, keys = [], []
    for d in range(1, deepest + 1):
        at = (rdepth < d) & (depth_of[leaf_code] >= d)
        rows.append(np.flatnonzero(at))
        keys.append(leaf_race[at] * len(prefixes) + prefix[leaf_code[at], d - 1])
    row, key = np.concatenate(rows), np.concatenate(keys)
    if key.size == 0:
        return _empty(k, names)
    distinct, node = np.unique(key, return_inverse=True)
    by_code = {v: p for p, v in prefixes.items()}
    node_race = distinct // len(prefixes)
    node_path = [by_code[int(x)] for x in distinct % len(prefixes)]
    order = sorted(range(distinct.size), key=lambda i: (int(node_race[i]), node_path[i]))
    rank = np.empty(distinct.size, np.int64)
    rank[order] = np.arange(distinct.size)
    node = rank[node.ravel()]
    n = distinct.size
    sums = sum_known(leaf_sums[row], node, n)
    return PrecinctAreaResults(race=node_race[order].astype(np.int64),
                               paths=tuple(node_path[i] for i in order),
                               precincts=sum_by_group(leaf_precincts[row], node, n),
                               counts=sums[:, :k].copy(),
                               lines={x: sums[:, k + i].copy() for i, x in enumerate(names)})
