"""What every race of a table is built from: the table's rows and grid layout, each unit's
names as the file mostly spells them, each race's id and name, and indexes of the counted rows
(built on first use) for the warnings that name rows."""

from __future__ import annotations

from typing import TYPE_CHECKING

import attrs
import numpy as np

from engine.formats.openelections import levels
from engine.formats.openelections.grid import Layout
from engine.formats.openelections.rows import Rows
from engine.formats.openelections.vocabulary import slug

if TYPE_CHECKING:
    from engine.formats.openelections.build import Table

__all__ = ["Parts", "UnitNames", "race_id", "unit_names"]


@attrs.frozen(eq=False)
class UnitNames:
    """Per unit code (str arrays, indexed by a race's units at C speed): the precinct as shown,
    its county as shown, both ("county / precinct", or the precinct without a county), and the
    county's key code."""

    place: np.ndarray
    county: np.ndarray
    both: np.ndarray
    county_key: np.ndarray


def unit_names(rows: Rows, place: dict[int, int], county: dict[int, int],
               county_wide: np.ndarray) -> UnitNames:
    """Each unit's names, spelled as the file mostly spells them."""
    n = len(rows.words["unit"])
    codes, first = np.unique(rows.unit, return_index=True)
    key = np.zeros(n, np.int64)
    key[codes] = rows.county[first]
    place_words = [""] * n
    county_words = [""] * n
    for u, i in zip(codes.tolist(), first.tolist(), strict=True):
        c = int(rows.county[i])
        county_words[u] = rows.words["county_shown"][county.get(c, rows.county_shown[i])]
        place_words[u] = (levels.COUNTY_WIDE if county_wide[u] else
                          rows.words["place"][place[u]] if u in place else "")
    both = [f"{a} / {b}" if a and b else a or b for a, b in zip(county_words, place_words,
                                                                 strict=True)]
    return UnitNames(place=np.array(place_words, dtype=str), county=np.array(county_words,
                                                                             dtype=str),
                     both=np.array(both, dtype=str), county_key=key)


@attrs.frozen(eq=False)
class Parts:
    """What every race of a table is built from (see ``build.races_of``)."""

    t: Table
    rows: Rows
    names: list[str]
    county_wide: np.ndarray
    units: UnitNames
    cand_text: dict[int, int]
    parties: dict[int, str]
    office_name: dict[int, int]
    district_name: dict[int, int]
    count_rows: Rows            # the counted rows, as summed
    cell: np.ndarray            # their cells, precincts and columns in the layout
    grid_row: np.ndarray
    column: np.ndarray
    lay: Layout
    against_all: bool
    blank_unit: int             # the unit of a race's own totals (no county, no precinct)
    county_names: dict[int, str]  # county key -> the county as the file mostly spells it

    _index: list[np.ndarray] = attrs.field(factory=list)  # count_rows by (race, option)
    _by_row: list[np.ndarray] = attrs.field(factory=list)  # count_rows by precinct

    @property
    def listed(self) -> str:
        """The table's files, as a warning of one of its races names them."""
        return ", ".join(dict.fromkeys(self.names))

    def label(self, option: int) -> str:
        return self.rows.words["text"][self.cand_text[option]]

    def rows_of(self, race: int, option: int) -> np.ndarray:
        """The refs of the counted rows of one race's line (an index built on first use)."""
        rows = self.count_rows
        if not self._index:
            key = rows.race.astype(np.int64) * len(rows.words["option"]) + rows.option
            order = np.argsort(key, kind="stable")
            self._index.extend((order, key[order]))
        order, sorted_keys = self._index
        k = race * len(rows.words["option"]) + option
        lo, hi = np.searchsorted(sorted_keys, [k, k + 1])
        return rows.ref[order[lo:hi]]

    def rows_at(self, grid_row: int) -> np.ndarray:
        """The refs of the counted rows of one precinct of a race (its row among all races'
        precincts; an index built on first use)."""
        if not self._by_row:
            order = np.argsort(self.grid_row, kind="stable")
            self._by_row.extend((order, self.grid_row[order]))
        order, sorted_rows = self._by_row
        lo, hi = np.searchsorted(sorted_rows, [grid_row, grid_row + 1])
        return self.count_rows.ref[order[lo:hi]]


def race_id(c: Parts, r: int) -> tuple[str, str, str, str | None]:
    """Race r's id, name, office and district as the file spells them."""
    w = c.rows.words
    office = w["office"][c.office_name[r]] if r in c.office_name else ""
    district = w["district"][c.district_name[r]] if r in c.district_name else ""
    key = c.rows.races[r]
    if not c.t.multi:
        return c.t.race, c.t.name or office or c.t.race, office, district or None
    state = f"{slug(key[2])}." if len(key) > 2 else ""
    rid = f"{c.t.race}.{state}{slug(key[0])}" + (f".{slug(key[1])}" if key[1] else "")
    name = " ".join(x for x in (office, district) if x)
    return rid, name, office, district or None
