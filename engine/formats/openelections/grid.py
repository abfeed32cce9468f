"""The rows of every race of a table summed into one flat array of grids, race by race: each
race's precincts (in the order its rows name them) by its lines (candidates in the order its
rows name them, then against all, registered, cast, invalid).

Nothing here loops over rows, precincts or races in Python: a race's precincts and candidates
are ranked among the distinct (race, precinct) and (race, candidate) pairs, each row's cell is
computed from its race's offset, and the cells are summed in one pass (int64, exact).
"""

from __future__ import annotations

import attrs
import numpy as np

from engine.formats.openelections.codes import runs_codes
from engine.formats.openelections.vocabulary import ROLES
from engine.tally.sums import sum_by_group

__all__ = ["MISSING", "Layout", "layout", "summed"]

MISSING = -2       # no row at all (a blank cell is -1, unknown)


def _ranks(group: np.ndarray, n_groups: int) -> tuple[np.ndarray, np.ndarray]:
    """For items (in order) of groups ``group`` (G,): each item's rank within its group, and
    the number of items per group."""
    order = np.argsort(group, kind="stable")
    sizes = np.bincount(group, minlength=n_groups)
    starts = np.concatenate([[0], np.cumsum(sizes)[:-1]])
    rank = np.empty(group.size, np.int64)
    rank[order] = np.arange(group.size) - np.repeat(starts, sizes)
    return rank, sizes


@attrs.frozen(eq=False)
class Layout:
    """Where each row of a table falls in its race's grid. The races' blocks lie in the flat
    array grouped by width (candidates + 4 lines), so the races of one width make one 2-D
    array that whole-table checks read at once (:meth:`groups`).

    units : per race, the unit codes of its precincts (P_r,) in order
    options : per race, the option codes of its candidates (K_r,) in order
    offset : (R,) int64, where each race's (P_r, K_r + 4) block starts in the flat array
    first_row : (R,) int64, each race's first precinct among all races' precincts (the rows of
        those 2-D arrays, end to end)
    placed : (R,) the races in the order their blocks lie
    cell, grid_row, column : (M,) int64, each row's cell in the flat array, its precinct among
        all races' precincts, its column in its race's grid
    """

    units: list[np.ndarray]
    options: list[np.ndarray]
    offset: np.ndarray
    first_row: np.ndarray
    placed: np.ndarray
    size: int
    rows: int
    cell: np.ndarray
    grid_row: np.ndarray
    column: np.ndarray

    def width(self, r: int) -> int:
        return len(self.options[r]) + len(ROLES)

    def block(self, flat: np.ndarray, r: int) -> np.ndarray:
        """Race r's grid (P_r, K_r + 4) as a view of ``flat`` (or (P_r, K_r + 4, ...))."""
        shape = (len(self.units[r]), self.width(r))
        start = int(self.offset[r])
        return flat[start:start + shape[0] * shape[1]].reshape(shape + flat.shape[1:])

    def groups(self) -> list[tuple[int, np.ndarray]]:
        """(width, its races in the order their blocks lie), one per width."""
        widths = np.array([self.width(int(r)) for r in self.placed], np.int64)
        cuts = np.flatnonzero(np.diff(widths)) + 1
        return [(int(widths[part[0]]), self.placed[part[0]:part[0] + part.size])
                for part in np.split(np.arange(widths.size), cuts) if part.size]

    def group_view(self, flat: np.ndarray, races: np.ndarray) -> tuple[np.ndarray, int]:
        """The blocks of ``races`` (one width, consecutive in :meth:`groups`) as one 2-D view
        (their precincts end to end, the lines), and the first of those precincts' rows."""
        first, last = int(races[0]), int(races[-1])
        w = self.width(first)
        start = int(self.offset[first])
        stop = int(self.offset[last]) + len(self.units[last]) * w
        return flat[start:stop].reshape((-1, w, *flat.shape[1:])), int(self.first_row[first])


def layout(race: np.ndarray, unit: np.ndarray, option: np.ndarray, role: np.ndarray,
           n_races: int, n_units: int, n_options: int) -> Layout:
    """The grids of the races of rows (race, unit, option); ``role`` (M,) is -1 for a
    candidate's row, else the line's place in ROLES."""
    race64 = race.astype(np.int64)
    ru, ru_values, _ = runs_codes(race64 * n_units + unit)
    ru_race = (ru_values // n_units).astype(np.int64)
    p_rank, p_count = _ranks(ru_race, n_races)
    cand = role < 0
    ro, ro_values, _ = runs_codes(race64[cand] * n_options + option[cand])
    ro_race = (ro_values // n_options).astype(np.int64)
    k_rank, k_count = _ranks(ro_race, n_races)
    width = k_count + len(ROLES)
    placed = np.argsort(width, kind="stable")  # the blocks of one width end to end
    offset = np.empty(n_races, np.int64)
    offset[placed] = np.concatenate([[0], np.cumsum((p_count * width)[placed])[:-1]])
    first_row = np.empty(n_races, np.int64)
    first_row[placed] = np.concatenate([[0], np.cumsum(p_count[placed])[:-1]])
    column = np.empty(len(race), np.int64)
    column[cand] = k_rank[ro]
    column[~cand] = k_count[race[~cand]] + role[~cand]
    cell = offset[race] + p_rank[ru] * width[race] + column
    units_of = np.split((ru_values % n_units)[np.argsort(ru_race, kind="stable")],
                        np.cumsum(p_count)[:-1])
    options_of = np.split((ro_values % n_options)[np.argsort(ro_race, kind="stable")],
                          np.cumsum(k_count)[:-1])
    return Layout(units=units_of, options=options_of, offset=offset, first_row=first_row,
                  placed=placed, size=int((p_count * width).sum()), rows=int(p_count.sum()),
                  cell=cell, grid_row=first_row[race] + p_rank[ru], column=column)


def summed(votes: np.ndarray, cell: np.ndarray, size: int) -> np.ndarray:
    """Rows summed into cells (size,) int64: a cell is the sum of its rows (a candidate's party
    lines add up), -1 when one of them is blank, MISSING without a row.

    votes : (N,) int64 (-1 blank) or (N, C) for several columns at once; cell : (N,) int64
    """
    total = sum_by_group(np.maximum(votes, 0), cell, size)
    present = np.zeros(size, bool)
    present[cell] = True
    if votes.ndim == 1:
        total[cell[votes < 0]] = -1
    else:
        rows, cols = np.nonzero(votes < 0)
        total[cell[rows], cols] = -1
    total[~present] = MISSING  # in place: the grid is the table's largest array
    return total
