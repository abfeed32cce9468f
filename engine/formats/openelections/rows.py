"""OpenElections CSV files read once per load, and the rows each ``[[openelections]]`` table takes.

One load may make thousands of races from one file of a million rows, so no table walks the
file: :func:`parse` reads a file once (by path), :func:`index` codes its columns once per column
mapping (each cell a code into the column's distinct cells, names folded once per distinct
cell) and groups its rows by folded office, district and county; :func:`select` gives a table
its groups' rows as :class:`Rows`, arrays of codes the race is built from.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from itertools import pairwise
from typing import Any

import attrs
import numpy as np

from engine.errors import ScenarioError
from engine.formats.openelections.csvfile import (
    BAD,
    COLUMNS,
    Column,
    Parsed,
    factorize,
    fold,
    name_key,
    parse,
)
from engine.formats.precinct_csv import _TOO_LARGE

__all__ = ["BAD", "COLUMNS", "File", "Parsed", "Rows", "Selection", "first_index",
           "fold", "index", "name_key", "name_rows", "parse", "select"]

_MAX_SPANS = 10     # row spans listed in one warning


# A group of rows: office, district and county (folded), and whether the rows name a candidate.
Key = tuple[str, str, str, bool]
_FILTERS = {"office": 0, "district": 1, "county": 2}   # where each filter is in a Key


@attrs.frozen(eq=False)
class File:
    """One file as a column mapping reads it: the standard columns (an absent one is "" in every
    row), each row's unit (its folded county and precinct, "" for a race-level row) and place
    (its precinct as written, or its county without a precinct column), the votes as counts,
    and the rows of each group in file order."""

    name: str
    header: tuple[str, ...]
    at: dict[str, int]                  # standard column -> its index in the header, -1: absent
    numbers: np.ndarray                 # (N,) int64 row numbers
    col: dict[str, Column]
    unit: Column
    place: Column
    votes: np.ndarray                   # (N,) int64 counts, -1 blank, BAD not a count
    named: np.ndarray                   # (N,) bool: the row names a candidate
    groups: dict[Key, np.ndarray]
    by_office: dict[str, list[Key]]
    by_district: dict[str, list[Key]]
    scopes: dict[tuple, dict[str, int]] = attrs.field(factory=dict)  # _scope()'s, cached

    def votes_cell(self, row: int) -> str:
        """The votes cell of row ``row`` (from 0), as written."""
        return self.col["votes"].words[self.col["votes"].codes[row]]

    def count_error(self, row: int) -> ScenarioError:
        """The error of a votes cell that is not a count, naming file, row and column."""
        cell = self.votes_cell(row)
        where = f"row {self.numbers[row]}, column {self.header[self.at['votes']]!r}"
        digits = cell.removeprefix("-")
        problem = ("must be a whole number, got " + repr(cell)
                   if not (digits.isascii() and digits.isdigit()) else
                   f"must be >= 0, got {cell}" if cell.startswith("-") else
                   f"is too large for a count, got {cell}")
        return ScenarioError(self.name, where, problem)


def _count(cell: str) -> int:
    if cell == "":
        return -1
    if cell.isascii() and cell.isdigit() and int(cell) < _TOO_LARGE:
        return int(cell)
    return BAD


def index(parsed: Parsed, columns: dict[str, str], fail: Callable) -> File:
    header, shown = parsed.header, parsed.name
    folded: dict[str, int] = {}
    for i, h in enumerate(header):
        folded.setdefault(h.casefold(), i)
    at = {c: folded.get(columns.get(c, c).casefold(), -1) for c in COLUMNS}
    for c, name in columns.items():
        if at[c] < 0:
            fail(f"column {name!r} is not in the header of {shown} ({', '.join(header)})",
                 f"columns.{c}")
    missing = [c for c in ("candidate", "votes") if at[c] < 0]
    if at["precinct"] < 0 and at["county"] < 0:
        missing.append("precinct")
    if missing:
        raise ScenarioError(shown, "row 1", f"has no {missing[0]!r} column (header: "
                            f"{', '.join(header)}); name it in columns.{missing[0]}")
    n = len(parsed.numbers)
    col = {c: parsed.columns[at[c]] if at[c] >= 0 else Column(np.zeros(n, np.int64), [""])
           for c in COLUMNS}
    key = {c: col[c].folded() for c in ("office", "district", "county")}
    place = col["precinct"] if at["precinct"] >= 0 else col["county"]
    unit = _units(key["county"], place.folded())
    votes = np.array([_count(w) for w in col["votes"].words], np.int64)[col["votes"].codes]
    named = np.array([w != "" for w in col["candidate"].words], bool)[col["candidate"].codes]
    groups = _group(key["office"], key["district"], key["county"], named)
    by_office: dict[str, list[Key]] = {}
    by_district: dict[str, list[Key]] = {}
    for k in groups:
        by_office.setdefault(k[0], []).append(k)
        by_district.setdefault(k[1], []).append(k)
    return File(name=shown, header=header, at=at, numbers=parsed.numbers, col=col,
                unit=unit, place=place, votes=votes, named=named, groups=groups,
                by_office=by_office, by_district=by_district)


def _units(county: Column, place: Column) -> Column:
    """Each row's folded "county\\x1fprecinct"; "" where the precinct (place) is blank."""
    blank = np.array([w == "" for w in place.words])[place.codes]
    pair = np.where(blank, -1, county.codes * len(place.words) + place.codes)
    _, first, codes = np.unique(pair, return_index=True, return_inverse=True)
    words = ["" if blank[i] else f"{county.words[county.codes[i]]}\x1f{place.words[place.codes[i]]}"
             for i in first]
    return Column(codes.reshape(-1), words)


def _group(office: Column, district: Column, county: Column, named: np.ndarray
           ) -> dict[Key, np.ndarray]:
    """The rows of each (office, district, county, named) in file order."""
    code = office.codes
    for c in (district, county):
        code = code * len(c.words) + c.codes
        if code.size and int(code.max()) >= 2**40:  # keep the products inside int64
            code = np.unique(code, return_inverse=True)[1].reshape(-1)
    code = code * 2 + named
    order = np.argsort(code, kind="stable")
    bounds = np.append(np.flatnonzero(np.diff(code[order], prepend=-1)), len(order))
    groups = {}
    for a, b in pairwise(bounds):
        i = order[a]
        groups[(office.words[office.codes[i]], district.words[district.codes[i]],
                county.words[county.codes[i]], bool(named[i]))] = order[a:b]
    return groups


# -- a table's rows -------------------------------------------------------------------------------
def _groups(f: File, lines: dict[str, str], want: dict[str, str]) -> tuple[list[Key], list[Key]]:
    """The groups of rows of ``f`` a table reads: the rows of its office, district and county,
    and its precinct-wide lines (an office named as one of its ``lines``, no candidate: these
    match the county alone)."""
    def match(key: Key, *filters: str) -> bool:
        return all(key[_FILTERS[x]] == want[x] for x in filters if x in want)

    if "office" in want:
        keys = f.by_office.get(want["office"], [])
    elif "district" in want:
        keys = f.by_district.get(want["district"], [])
    else:
        keys = list(f.groups)
    rows = [k for k in keys if match(k, *_FILTERS) and (k[3] or k[0] not in lines)]
    wide = [k for line in lines for k in f.by_office.get(line, [])
            if not k[3] and match(k, "county")]
    return rows, wide


def _scope(f: File, lines: dict[str, str], want: dict[str, str]) -> dict[str, int]:
    """The units of ``f`` in the table's district and county, whatever their office (but for
    its precinct-wide lines), each with its first row, in file order; shared by the tables of
    one district, county and lines."""
    key = (want.get("district"), want.get("county"), frozenset(lines))
    if key not in f.scopes:
        keys = f.by_district.get(want["district"], []) if "district" in want else f.groups
        rows = np.sort(np.concatenate([np.zeros(0, np.int64), *(
            f.groups[k] for k in keys if ("county" not in want or k[2] == want["county"])
            and (k[3] or k[0] not in lines))]))
        codes, first = np.unique(f.unit.codes[rows], return_index=True)
        f.scopes[key] = {f.unit.words[c]: int(rows[i]) for c, i in
                         sorted(zip(codes, first, strict=True), key=lambda x: x[1])
                         if f.unit.words[c]}
    return f.scopes[key]


@attrs.frozen(eq=False)
class Rows:
    """The rows of one race, in file order: (M,) arrays, codes into the word lists.

    ``option`` is a role ("against_all", "registered", ...) or "c:" + a candidate's name key;
    ``text`` the line as written (the candidate's name after ``aliases``; the office of a
    precinct-wide line). ``ref`` is file index << 32 | row number.
    """

    ref: np.ndarray
    file: np.ndarray
    row: np.ndarray                  # the row in its file, from 0
    unit: np.ndarray
    place: np.ndarray
    county: np.ndarray
    office: np.ndarray
    option: np.ndarray
    text: np.ndarray
    party: np.ndarray
    party_key: np.ndarray
    votes: np.ndarray
    wide: np.ndarray                 # bool: a precinct-wide line
    words: dict[str, list[str]]      # unit, place, county, office, option, text, party,
                                     # party_key -> the words their codes index

    def __len__(self) -> int:
        return len(self.ref)

    def take(self, which: np.ndarray) -> Rows:
        """These rows only (an index or a mask)."""
        return attrs.evolve(self, **{f.name: getattr(self, f.name)[which]
                                     for f in attrs.fields(Rows) if f.name != "words"})

    def word(self, column: str, i: int) -> str:
        return self.words[column][getattr(self, column)[i]]


def _gather(parts: list[tuple[np.ndarray, list[Any]]]) -> tuple[np.ndarray, list[Any]]:
    """Codes of several files' rows into their own words -> codes into one list of words."""
    words: dict[Any, int] = {}
    out = [np.zeros(0, np.int64)]
    for codes, own in parts:
        distinct, inverse = np.unique(codes, return_inverse=True)
        mapped = np.array([words.setdefault(own[c], len(words)) for c in distinct], np.int64)
        out.append(mapped[inverse.reshape(-1)])
    return np.concatenate(out), list(words)


@attrs.frozen
class Selection:
    """What :func:`select` found for one table."""

    rows: Rows
    scope: dict[str, str]                    # unit -> as spelled, of every office
    offices: Counter                         # folded office -> rows
    unnamed: np.ndarray                      # refs of rows of the office without a candidate


def select(files: list[File], want: dict[str, str], lines: dict[str, str],
           aliases: dict[str, str]) -> Selection:
    """The rows a table takes from ``files``: those of its office, district and county (the
    folded filters ``want``), and the precinct-wide ``lines`` of its county; lines mapped
    "skip" left out; candidates named by ``aliases`` (name key -> name)."""
    scope: dict[str, str] = {}
    offices: Counter = Counter()
    unnamed: list[np.ndarray] = [np.zeros(0, np.int64)]
    take: list[np.ndarray] = []
    for n, f in enumerate(files):
        for unit, i in _scope(f, lines, want).items():
            scope.setdefault(unit, f.place.words[f.place.codes[i]])
        keys, wide = _groups(f, lines, want)
        for k in keys:
            offices[k[0]] += len(f.groups[k])
            if not k[3]:
                unnamed.append((n << 32) | f.numbers[f.groups[k]])
        take.append(np.sort(np.concatenate([np.zeros(0, np.int64)] + [
            f.groups[k] for k in keys if k[3]] + [f.groups[k] for k in wide])))
    return Selection(rows=_rows_of(files, take, lines, aliases), scope=scope, offices=offices,
                     unnamed=np.concatenate(unnamed))


def _rows_of(files: list[File], take: list[np.ndarray], lines: dict[str, str],
             aliases: dict[str, str]) -> Rows:
    """The rows ``take`` (per file, rows from 0) as one :class:`Rows`, less the lines mapped
    "skip"; each distinct cell's option and text are worked out once."""
    def gather(column: Callable[[File], Column]) -> tuple[np.ndarray, list[str]]:
        return _gather([(column(f).codes[rows], column(f).words)
                        for f, rows in zip(files, take, strict=True)])

    lines_of = []
    for f, rows in zip(files, take, strict=True):
        candidate, office = f.col["candidate"], f.col["office"]
        # A candidate cell is a line of the table (a role, or "skip") or a candidate's name
        # (after aliases); a row without one is a precinct-wide line, its office the line.
        # Each distinct cell of these rows is read once.
        named = f.named[rows]
        cells, cell_codes = np.unique(candidate.codes[rows[named]], return_inverse=True)
        offices, office_codes = np.unique(office.codes[rows[~named]], return_inverse=True)
        option, text = [], []
        for w in (candidate.words[c] for c in cells.tolist()):
            role = lines.get(fold(w))
            name = aliases.get(name_key(w), w) if role is None else w
            option.append(role or "c:" + name_key(name))
            text.append(name)
        option += [lines[fold(office.words[c])] for c in offices.tolist()]
        text += [office.words[c] for c in offices.tolist()]
        codes = np.empty(len(rows), np.int64)
        codes[named] = cell_codes.reshape(-1)
        codes[~named] = len(cells) + office_codes.reshape(-1)
        lines_of.append((codes, list(zip(option, text, strict=True))))
    line, pairs = _gather(lines_of)
    party, parties = gather(lambda f: f.col["party"])
    columns = {"unit": gather(lambda f: f.unit), "place": gather(lambda f: f.place),
               "county": gather(lambda f: f.col["county"]),
               "office": gather(lambda f: f.col["office"]), "party": (party, parties)}
    # What is worked out from the distinct values: options and texts of the lines, folded parties
    for name, values in (("option", [o for o, _ in pairs]), ("text", [x for _, x in pairs])):
        codes, words = factorize(values)
        columns[name] = (codes[line], words)
    codes, words = factorize([fold(w) for w in parties])
    columns["party_key"] = (codes[party], words)

    def joined(per_file: Callable[[int, File, np.ndarray], np.ndarray], dtype: type) -> np.ndarray:
        return np.concatenate([np.zeros(0, dtype)] + [
            per_file(n, f, rows) for n, (f, rows) in enumerate(zip(files, take, strict=True))])

    file = joined(lambda n, f, rows: np.full(len(rows), n, np.int64), np.int64)
    number = joined(lambda n, f, rows: f.numbers[rows], np.int64)
    out = Rows(ref=(file << 32) | number, file=file, row=joined(lambda n, f, rows: rows, np.int64),
               votes=joined(lambda n, f, rows: f.votes[rows], np.int64),
               wide=joined(lambda n, f, rows: ~f.named[rows], bool),
               words={name: words for name, (_, words) in columns.items()},
               **{name: codes for name, (codes, _) in columns.items()})
    skip = np.array([w == "skip" for w in out.words["option"]], bool)
    return out.take(~skip[out.option]) if skip.any() else out


# -- naming rows ----------------------------------------------------------------------------------
def name_rows(names: Sequence[str], refs: np.ndarray) -> str:
    """'a.csv: rows 2-4, 9' (one file) or 'a.csv rows 2-4; b.csv row 7' (several).

    refs : (N,) int64, file index << 32 | row number
    """
    refs = np.unique(refs)
    parts = []
    for n in np.unique(refs >> 32):
        numbers = refs[(refs >> 32) == n] & 0xFFFFFFFF
        starts = np.flatnonzero(np.diff(numbers, prepend=-2) != 1)
        ends = np.append(starts[1:], len(numbers)) - 1
        spans = [(int(numbers[a]), int(numbers[b])) for a, b in
                 zip(starts[:_MAX_SPANS], ends[:_MAX_SPANS], strict=True)]
        text = ", ".join(f"{a}-{b}" if b > a else str(a) for a, b in spans)
        if len(starts) > _MAX_SPANS:
            text += f" and {len(numbers) - int(starts[_MAX_SPANS])} more"
        parts.append((names[n], f"{'row' if len(numbers) == 1 else 'rows'} {text}"))
    if len(parts) == 1:
        return f"{parts[0][0]}: {parts[0][1]}"
    return "; ".join(f"{f} {t}" for f, t in parts)


def first_index(codes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The distinct codes in order of first appearance, and where each first appears."""
    distinct, first = np.unique(codes, return_index=True)
    order = np.argsort(first, kind="stable")
    return distinct[order], first[order]

