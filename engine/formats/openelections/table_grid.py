"""The summed grids of a table's races made ready at once, width by width (the races of one width
are one 2-D array): precinct-wide lines filled in, precincts without any count found, lines
missing in some precincts and counts that cannot be true together flagged per race, missing
cells read (no row for a candidate: 0 votes; no count line: unknown). What is left for each race
is to slice its block and build its records; only the races flagged here do more work.
"""

from __future__ import annotations

from typing import Any

import attrs
import numpy as np

from engine.formats.openelections.figures import WideLines
from engine.formats.openelections.grid import MISSING, Layout
from engine.formats.openelections.vocabulary import ROLES

__all__ = ["Ready", "ready"]

_REG, _CAST, _INVALID = 1, 2, 3  # the count lines' places after the candidates and against all


@attrs.frozen(eq=False)
class Ready:
    """The table's grid as its races read it (see the module), and what each race must look at.

    grid : the flat grid, missing cells read; raw : the precincts of counties' county-wide rows
        as summed (MISSING kept), by their row among all precincts: the rare races that have
        them compare them with their counties' precincts
    missing : flat bool, the cells without a row
    silent : (all precincts,) bool, a precinct whose every cell is blank or missing
    has_silent, has_missing, has_impossible, has_against_all, has_counts, has_county_wide :
        (R,) bool per race
    kept_methods : (R, M) bool, a method with a count in some precinct of the race
    """

    grid: np.ndarray
    raw: dict[int, np.ndarray]
    missing: np.ndarray
    silent: np.ndarray
    has_silent: np.ndarray
    has_missing: np.ndarray
    has_impossible: np.ndarray
    has_against_all: np.ndarray
    has_counts: np.ndarray
    has_county_wide: np.ndarray
    kept_methods: np.ndarray


def _per_race(values: Any, starts: np.ndarray, op: np.ufunc) -> np.ndarray:
    """``op`` reduced over each race's rows of a group (rows of one race start at ``starts``)."""
    if not values.shape[0]:
        return np.zeros((0, *values.shape[1:]), values.dtype)
    return op.reduceat(values, starts, axis=0)


def ready(lay: Layout, grid: np.ndarray, methods: np.ndarray | None, wide: WideLines,
          county_wide: np.ndarray, *, against_all: bool, against_all_named: bool) -> Ready:
    """Every race's grid made ready (see the module); ``county_wide`` (units,) marks the units
    of counties' county-wide rows. A race has missing cells to warn about when a candidate
    lacks a row in some precinct, or a count line in some but not all (a line no precinct
    has is unpublished), or against all (where the rules have it) in some, or in all when the
    table names the line."""
    n_races = len(lay.units)
    units_of_rows = np.empty(lay.rows, np.int64)  # each precinct's unit, for its wide lines
    for r, units in enumerate(lay.units):
        units_of_rows[lay.first_row[r]:lay.first_row[r] + len(units)] = units
    wide_rows = np.flatnonzero(county_wide[units_of_rows])
    raw: dict[int, np.ndarray] = {}
    missing = grid == MISSING
    silent = np.zeros(lay.rows, bool)
    has = {name: np.zeros(n_races, bool) for name in ("silent", "missing", "impossible",
                                                       "against_all", "counts", "county_wide")}
    n_methods = 0 if methods is None else methods.shape[1]
    kept = np.zeros((n_races, n_methods), bool)
    for width, races in lay.groups():
        k = width - len(ROLES)
        view, first = lay.group_view(grid, races)
        if not view.shape[0]:
            continue
        sizes = np.array([len(lay.units[r]) for r in races], np.int64)
        starts = np.concatenate([[0], np.cumsum(sizes)[:-1]])
        rows = slice(first, first + view.shape[0])
        here = wide_rows[(wide_rows >= first) & (wide_rows < rows.stop)]
        raw.update((int(q), view[q - first].copy()) for q in here)
        has["county_wide"][races] = _per_race(county_wide[units_of_rows[rows]], starts,
                                              np.logical_or)
        for j in (_REG, _CAST, _INVALID):  # precinct-wide lines where the race has none
            gone = view[:, k + j] == MISSING
            view[gone, k + j] = wide.values[units_of_rows[rows][gone], j]
        mview, _ = lay.group_view(missing, races)
        mview[:, k + 1:] = view[:, k + 1:] == MISSING
        quiet = np.logical_not((view >= 0).any(axis=1))
        silent[rows] = quiet
        has["silent"][races] = _per_race(quiet, starts, np.logical_or)
        counted = mview & ~quiet[:, None]
        some = _per_race(counted, starts, np.logical_or)          # (races, width)
        every = _per_race(counted | quiet[:, None], starts, np.logical_and)
        lines = np.zeros(width, bool)
        lines[k:] = True  # against all and the count lines: missing everywhere is unpublished
        if against_all_named:
            lines[k] = False
        worth = some & ~(every & lines)
        if not against_all:
            worth[:, k] = False
        has["missing"][races] = worth.any(axis=1)
        has["against_all"][races] = _per_race(view[:, k] != MISSING, starts, np.logical_or)
        view[:, :k + 1][view[:, :k + 1] == MISSING] = 0   # no row for a candidate: no votes
        view[view == MISSING] = -1                          # no count line: unknown
        counts = (view[:, k + 1:] >= 0).any(axis=1)
        has["counts"][races] = _per_race(counts, starts, np.logical_or)
        if counts.any():
            reg, cast, invalid = view[:, k + _REG], view[:, k + _CAST], view[:, k + _INVALID]
            votes = np.maximum(view[:, :k + 1], 0).sum(axis=1)
            bad = ((cast >= 0) & (((reg >= 0) & (cast > reg)) | (invalid > cast)
                                  | (votes > cast))) & ~quiet
            has["impossible"][races] = _per_race(bad, starts, np.logical_or)
        if methods is not None:
            mv, _ = lay.group_view(methods, races)
            kept[races] = _per_race((mv[:, :k] >= 0).any(axis=1), starts, np.logical_or)
    if methods is not None:
        methods[methods == MISSING] = -1
    return Ready(grid=grid, raw=raw, missing=missing, silent=silent,
                 has_silent=has["silent"], has_missing=has["missing"],
                 has_impossible=has["impossible"], has_against_all=has["against_all"],
                 has_counts=has["counts"], has_county_wide=has["county_wide"],
                 kept_methods=kept)
