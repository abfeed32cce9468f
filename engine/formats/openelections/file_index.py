"""An OpenElections file as a column mapping reads it (:func:`index`): its standard columns, its
vote-method columns, and each row's keys (office, district, county, its unit: county and
precinct folded), level and votes, each key worked out once per distinct cell. A file is
indexed once per mapping, whatever the tables that read it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import attrs
import numpy as np

from engine.errors import ScenarioError
from engine.formats.counts import cell_problem
from engine.formats.openelections import vocabulary as vocab
from engine.formats.openelections.codes import runs_codes
from engine.formats.openelections.csvfile import Column, Parsed

__all__ = [
    "BAD",
    "BLANK",
    "COLUMNS",
    "OPTIONAL",
    "REAL",
    "TOTAL",
    "File",
    "count",
    "count_problem",
    "index",
    "pair_column",
]

COLUMNS = ("county", "precinct", "office", "district", "party", "candidate", "votes")
OPTIONAL = ("state",)   # a national file's state: part of each race's and precinct's key

BAD = -3            # a votes cell that is not a count (blank is -1); named when a race reads it

# A row's level, from its precinct cell: a precinct, a precinct named as a total, or blank.
REAL, TOTAL, BLANK = 0, 1, 2


def count(cell: str) -> int:
    """A votes cell as a count (the one rule of engine.formats.counts): -1 blank, BAD when it
    is not one."""
    if cell == "":
        return -1
    if cell.isascii() and cell.isdigit() and len(cell) <= 18:  # always < 2**62
        return int(cell)
    if cell_problem(cell) is not None:
        return BAD
    return int(cell.strip(" \t"))


def count_problem(cell: str) -> str:
    """Why ``cell`` is not a count (worded as every reader words it)."""
    return cell_problem(cell) or f"must be a whole number, got {cell!r}"


@attrs.frozen(eq=False)
class File:
    """One file as a column mapping reads it: the standard columns as written (an absent one is
    "" in every row), the vote-method columns, each row's keys (office, district, county, its
    unit: county and precinct folded, "" without a precinct) and level, its votes as counts."""

    name: str
    header: tuple[str, ...]
    at: dict[str, int]                  # standard column -> its index in the header, -1: absent
    numbers: np.ndarray                 # (N,) int64 row numbers
    col: dict[str, Column]
    methods: tuple[tuple[str, Column], ...]
    office: Column                      # office keys
    district: Column                    # district keys
    county: Column                      # county keys (the state's too, in a national file)
    county_shown: Column                # the county as written (with the state: "KY / Scott")
    place: Column                       # the precinct as written (the county without one)
    unit: Column                        # "county\x1fprecinct" keys; "" where the place is blank
    level: np.ndarray                   # (N,) int8: REAL, TOTAL, BLANK
    county_real: np.ndarray             # by county key code: the county has precinct rows
    votes: np.ndarray                   # (N,) int64 counts, -1 blank, BAD not a count
    named: np.ndarray                   # (N,) bool: the row names a candidate
    by_office: dict[int, np.ndarray] = attrs.field(factory=dict)  # rows per office spelling
    # the spellings of each office key, and ("\x1f" + folded name) of each name
    by_name: dict[str, list[int]] = attrs.field(factory=dict)
    scopes: dict[tuple, dict[str, dict[str, str]]] = attrs.field(factory=dict)  # scope()'s

    def rows_of_offices(self, keys: frozenset[str], lines: dict[str, str]) -> np.ndarray:
        """The rows (sorted) whose office has one of ``keys`` (office keys) or is named as one
        of ``lines`` (folded): each spelling's rows and key are found once per file (a load
        with thousands of tables must not scan the file for each)."""
        office = self.col["office"]
        if not self.by_office:
            order = np.argsort(office.codes, kind="stable")
            bounds = np.searchsorted(office.codes[order], np.arange(len(office.words) + 1))
            self.by_office.update((c, order[bounds[c]:bounds[c + 1]])
                                  for c in range(len(office.words)))
            for c, w in enumerate(office.words):
                self.by_name.setdefault(vocab.office_key(w), []).append(c)
                self.by_name.setdefault("\x1f" + vocab.fold(w), []).append(c)
        codes = {c for k in keys for c in self.by_name.get(k, ())}
        codes |= {c for line in lines for c in self.by_name.get("\x1f" + line, ())}
        parts = [self.by_office[c] for c in sorted(codes)]
        return np.sort(np.concatenate(parts)) if parts else np.zeros(0, np.int64)

    def cell(self, column: str, row: int) -> str:
        """The cell of ``column`` (a standard one, or a header name) in row ``row`` (from 0)."""
        c = self.col[column] if column in self.col else dict(self.methods)[column]
        return c.words[c.codes[row]]

    def where(self, row: int, column: str | None = None) -> str:
        """'row 12, column 'votes' (Scott / A101)': a row named with its column and place."""
        header = None if column is None else (self.header[self.at[column]]
                                              if column in self.at else column)
        place = self.place.words[self.place.codes[row]]
        county = self.county_shown.words[self.county_shown.codes[row]]
        at = " / ".join(x for x in (county, place) if x) if self.at["precinct"] >= 0 else county
        return (f"row {self.numbers[row]}" + (f", column {header!r}" if header else "")
                + (f" ({at})" if at else ""))

    def count_error(self, row: int, column: str = "votes") -> ScenarioError:
        """The error of a count cell that is not a count, naming file, row, column and place."""
        return ScenarioError(self.name, self.where(row, column),
                             count_problem(self.cell(column, row)))


def index(parsed: Parsed, columns: dict[str, str], methods: Sequence[str] | None,
          fail: Callable) -> File:
    """``parsed`` as a table's column mapping (``columns``: standard name -> header) reads it;
    ``methods`` names the vote-method columns (None: the headers that name a method)."""
    header, shown = parsed.header, parsed.name
    folded: dict[str, int] = {}
    for i, h in enumerate(header):
        folded.setdefault(h.casefold(), i)
    at = {c: folded.get(columns.get(c, c).casefold(), -1) for c in COLUMNS + OPTIONAL}
    for c, name in columns.items():
        if at[c] < 0:
            fail(f"column {name!r} is not in the header of {shown} ({', '.join(header)})",
                 f"columns.{c}")
    taken = {i for i in at.values() if i >= 0}
    if methods is None:
        method_at = [i for i, h in enumerate(header) if i not in taken
                     and vocab.is_method_column(h)]
    else:
        method_at = []
        for m in methods:
            if m.casefold() not in folded:
                fail(f"column {m!r} is not in the header of {shown} ({', '.join(header)})",
                     "methods")
            method_at.append(folded[m.casefold()])
    missing = [c for c in ("candidate",) if at[c] < 0]
    if at["votes"] < 0 and not method_at:
        missing.append("votes")
    if at["precinct"] < 0 and at["county"] < 0:
        missing.append("precinct")
    if missing:
        raise ScenarioError(shown, "row 1", f"has no {missing[0]!r} column (header: "
                            f"{', '.join(header)}); name it in columns.{missing[0]}")
    n = len(parsed.numbers)
    blank = Column(np.zeros(n, np.int32), [""])
    col = {c: parsed.columns[at[c]] if at[c] >= 0 else blank for c in COLUMNS + OPTIONAL}
    state = col["state"]
    if at["state"] >= 0:  # the county is the state's: its key and name carry the state
        pair = state.codes.astype(np.int64) * len(col["county"].words) + col["county"].codes
        county_shown = pair_column(pair, np.zeros(n, bool), lambda i: " / ".join(
            x for x in (state.words[state.codes[i]],
                        col["county"].words[col["county"].codes[i]]) if x))
    else:
        county_shown = col["county"]
    county = county_shown.mapped([vocab.fold(w) for w in county_shown.words])
    place = col["precinct"] if at["precinct"] >= 0 else col["county"]
    level_of = np.array([BLANK if not w else TOTAL if vocab.is_total_precinct(w) else REAL
                         for w in place.words], np.int8)
    if at["precinct"] < 0:  # a file of counties: each county is a unit
        level_of[:] = np.where(np.array([bool(w) for w in place.words]), REAL, BLANK)
    level = level_of[place.codes]
    place_key = place.mapped([vocab.fold(w) for w in place.words])
    pair = county.codes.astype(np.int64) * len(place_key.words) + place_key.codes
    unit = pair_column(pair, level == BLANK, lambda i: (
        f"{county.words[county.codes[i]]}\x1f{place_key.words[place_key.codes[i]]}"))
    if at["votes"] >= 0:
        values = np.array([count(w) for w in col["votes"].words], np.int64)
        votes = values[col["votes"].codes]
    else:  # the methods' sum: blank when every method is blank
        votes = np.full(n, -1, np.int64)
    return File(name=shown, header=header, at=at, numbers=parsed.numbers, col=col,
                methods=tuple((header[i], parsed.columns[i]) for i in method_at),
                office=col["office"].mapped([vocab.office_key(w) for w in col["office"].words]),
                district=col["district"].mapped([vocab.district_key(w)
                                                 for w in col["district"].words]),
                county=county, county_shown=county_shown, place=place, unit=unit, level=level,
                county_real=np.bincount(county.codes[level == REAL],
                                        minlength=len(county.words)) > 0,
                votes=votes, named=col["candidate"].test(bool))


def pair_column(pair: np.ndarray, blank: np.ndarray, word: Callable[[int], str]) -> Column:
    """Codes of ``pair`` (N,) int64 values, "" where ``blank``; each distinct value's word is
    ``word(i)`` of the first row i holding it."""
    codes, distinct, first = runs_codes(np.where(blank, -1, pair))
    return Column(codes, ["" if d < 0 else word(int(i))
                          for d, i in zip(distinct.tolist(), first.tolist(), strict=True)])
