"""OpenElections CSV files read once per load, and the rows each ``[[openelections]]`` table takes.

One load may make thousands of races from one file of millions of rows, so nothing walks the
rows in Python: :func:`parse` reads a file once (by path), :func:`index` codes its columns once
per column mapping (offices, districts, counties and precincts compared by key, each key worked
out once per distinct cell), and :func:`select` gives a table its rows as :class:`Rows`, arrays
of codes with each row's race, that the races are built from.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import attrs
import numpy as np

from engine.formats.openelections import vocabulary as vocab
from engine.formats.openelections.codes import first_index, name_rows, runs_codes
from engine.formats.openelections.csvfile import Column, Parsed, factorize, parse
from engine.formats.openelections.file_index import (
    BAD,
    BLANK,
    COLUMNS,
    OPTIONAL,
    REAL,
    TOTAL,
    File,
    count,
    index,
    pair_column,
)

__all__ = ["BAD", "BLANK", "COLUMNS", "OPTIONAL", "REAL", "TOTAL", "File", "Parsed", "Rows",
           "Want", "first_index", "index", "name_rows", "parse", "select"]

# -- a table's rows -------------------------------------------------------------------------------
@attrs.frozen
class Want:
    """What a table takes: offices (keys; None: every office), district and county (keys),
    row ranges (inclusive, of every file), the lines (folded name -> role or "skip") and
    candidates read as another name (name key -> name)."""

    offices: frozenset[str] | None = None
    district: str | None = None
    county: str | None = None
    ranges: tuple[tuple[int, int], ...] = ()
    lines: dict[str, str] = attrs.Factory(dict)
    aliases: dict[str, str] = attrs.Factory(dict)
    quiet: frozenset[str] = frozenset()  # lines the table itself leaves out: no note


@attrs.frozen(eq=False)
class Rows:
    """The rows of a table, in file order: (M,) arrays, codes into the word lists.

    ``race`` indexes ``races`` (a race: its office key and district key, and the state's in a
    national file); ``option`` is a role ("against_all", "registered", ...) or "c:" + a
    candidate's name key; ``text`` the line as written (after ``aliases``; the office of a
    precinct-wide line). ``ref`` is file index << 32 | row number. ``wide`` rows are
    precinct-wide lines (an office named as a line, no candidate): they belong to no race.
    """

    ref: np.ndarray
    race: np.ndarray                 # -1 for precinct-wide lines
    unit: np.ndarray
    county: np.ndarray               # county keys
    county_shown: np.ndarray
    place: np.ndarray
    level: np.ndarray
    county_real: np.ndarray          # bool: the row's county has precinct rows in its file
    office: np.ndarray               # the office as written
    district: np.ndarray             # the district as written
    option: np.ndarray
    text: np.ndarray
    party: np.ndarray
    party_key: np.ndarray
    votes: np.ndarray
    wide: np.ndarray
    methods: np.ndarray              # (M, len(method_names)) int64, -1 blank
    words: dict[str, list[str]]
    races: list[tuple[str, ...]]     # (office key, district key[, state key]) per race
    method_names: tuple[str, ...]

    def __len__(self) -> int:
        return len(self.ref)

    @property
    def file(self) -> np.ndarray:
        """Each row's file (its index in the table's files)."""
        return self.ref >> 32

    def row(self, i: int, files: list[File]) -> int:
        """Row i's place in its file (from 0), for reading its cells."""
        f = files[int(self.ref[i] >> 32)]
        return int(np.searchsorted(f.numbers, self.ref[i] & 0xFFFFFFFF))

    def take(self, which: np.ndarray) -> Rows:
        """These rows only (an index or a mask)."""
        return attrs.evolve(self, **{f.name: getattr(self, f.name)[which]
                                     for f in attrs.fields(Rows)
                                     if f.name not in ("words", "races", "method_names")})

    def word(self, column: str, i: int) -> str:
        return self.words[column][getattr(self, column)[i]]

    def place_of(self, i: int) -> str:
        """Row i's place as a message names it: "county / precinct" (or the one given)."""
        return " / ".join(x for x in (self.word("county_shown", i), self.word("place", i)) if x)


def _gather(parts: list[tuple[np.ndarray, list[Any]]]) -> tuple[np.ndarray, list[Any]]:
    """Codes of several files' rows into their own words -> codes into one list of words."""
    if len(parts) == 1:
        return parts[0][0].astype(np.int32, copy=False), list(parts[0][1])
    words: dict[Any, int] = {}
    out = [np.zeros(0, np.int32)]
    for codes, own in parts:
        distinct, inverse = np.unique(codes, return_inverse=True)
        mapped = np.array([words.setdefault(own[c], len(words)) for c in distinct], np.int32)
        out.append(mapped[inverse.reshape(-1)])
    return np.concatenate(out), list(words)


def _taken(f: File, want: Want) -> np.ndarray:
    """The rows of ``f`` the table reads: its offices, district, county and row ranges (every
    precinct-wide line of its county and ranges). A table of some offices looks only at their
    rows and at the offices named as lines."""
    lines = want.lines
    if want.offices is None:
        at = np.arange(len(f.numbers))
    else:
        at = f.rows_of_offices(want.offices, lines)
    keep = np.ones(at.size, bool)
    if want.ranges:
        numbers = f.numbers[at]
        keep &= np.logical_or.reduce([(numbers >= a) & (numbers <= b) for a, b in want.ranges])
    if want.county is not None:
        keep &= f.county.take(at).compact().test(lambda w: w == want.county)
    wide = (f.col["office"].take(at).compact().test(lambda w: vocab.fold(w) in lines)
            & ~f.named[at])
    own = ~wide
    if want.offices is not None:
        offices = want.offices
        own &= f.office.take(at).compact().test(lambda w: w in offices)
    if want.district is not None:
        own &= f.district.take(at).compact().test(lambda w: w == want.district)
    return at[keep & (own | wide)]


def select(files: list[File], want: Want) -> Rows:
    """The rows a table takes from ``files`` (see :func:`_taken`), with each row's race, option
    (lines named by ``want.lines``, candidates by name key after ``want.aliases``; "skip" for
    a line to leave out) and votes."""
    taken = [_taken(f, want) for f in files]
    take: list[Any] = [slice(None) if t.size == len(f.numbers) else t  # every row: no copy
                       for f, t in zip(files, taken, strict=True)]
    lines, aliases = want.lines, want.aliases
    # Each column of the taken rows with only the words they hold: the rest of the work is on
    # the table's own offices, candidates and precincts, not the file's.
    getters: dict[str, Callable[[File], Column]] = {
        "unit": lambda f: f.unit, "county": lambda f: f.county,
        "county_shown": lambda f: f.county_shown, "place": lambda f: f.place,
        "office": lambda f: f.col["office"], "district": lambda f: f.col["district"],
        "party": lambda f: f.col["party"], "candidate": lambda f: f.col["candidate"],
        "office_key": lambda f: f.office, "district_key": lambda f: f.district,
        "state": lambda f: f.col["state"]}
    mine = [{name: get(f).take(rows).compact() for name, get in getters.items()}
            for f, rows in zip(files, take, strict=True)]

    def gather(name: str) -> tuple[np.ndarray, list[str]]:
        return _gather([(m[name].codes, m[name].words) for m in mine])

    def joined(per_file: Callable[[int, File, np.ndarray], np.ndarray], dtype: Any
               ) -> np.ndarray:
        return np.concatenate([np.zeros(0, dtype)] + [
            per_file(n, f, rows) for n, (f, rows) in enumerate(zip(files, take, strict=True))])

    wide = joined(lambda n, f, rows: ~f.named[rows] & mine[n]["office"].test(
        lambda w: vocab.fold(w) in lines), bool)
    # The line of a row: its candidate cell (a role, "skip", or a name), or the office of a
    # precinct-wide line. Each distinct cell is read once.
    line_parts = []
    for m, f, rows in zip(mine, files, take, strict=True):
        candidate, office = m["candidate"], m["office"]
        is_wide = ~f.named[rows] & office.test(lambda w: vocab.fold(w) in lines)
        pairs: list[tuple[str, str]] = []
        for w in candidate.words:
            role = lines.get(vocab.fold(w))
            name = aliases.get(vocab.name_key(w), w) if role is None else w
            pairs.append((role or ("c:" + vocab.name_key(name) if name else ""), name))
        wide_pairs = [(lines.get(vocab.fold(w), ""), w) for w in office.words]
        codes = np.where(is_wide, len(pairs) + office.codes, candidate.codes)
        line_parts.append((codes, pairs + wide_pairs))
    line, pairs = _gather(line_parts)
    columns = {name: gather(name) for name in ("unit", "county", "county_shown", "place",
                                                "office", "district", "party")}
    for name, values in (("option", [o for o, _ in pairs]), ("text", [x for _, x in pairs])):
        codes, words = factorize(values)
        columns[name] = (codes.astype(np.int32)[line], words)
    codes, words = factorize([vocab.fold(w) for w in columns["party"][1]])
    columns["party_key"] = (codes.astype(np.int32)[columns["party"][0]], words)
    if aliases:
        _county_aliases(columns, aliases)
    # Races: (office key, district key[, state key]) of each row, coded; -1 for wide lines.
    race_parts = []
    for m, f in zip(mine, files, strict=True):
        state, office_key, district_key = m["state"], m["office_key"], m["district_key"]
        pair = (office_key.codes.astype(np.int64) * len(district_key.words)
                + district_key.codes) * len(state.words) + state.codes
        codes, distinct, _ = runs_codes(pair)
        keys = []
        for p in distinct.tolist():
            p, s = divmod(p, len(state.words))
            o, d = divmod(p, len(district_key.words))
            keys.append((office_key.words[o], district_key.words[d],
                         *((vocab.fold(state.words[s]),) if f.at["state"] >= 0 else ())))
        race_parts.append((codes, keys))
    race, races = _gather(race_parts)
    # Precinct-wide lines and rows without an office belong to no race (race -1).
    no_office = np.array([k[0] == "" for k in races] + [True], bool)
    race = np.where(wide | no_office[race], -1, race)
    used, _ = first_index(race[race >= 0])
    renumber = np.full(len(races) + 1, -1, np.int32)
    renumber[used] = np.arange(used.size, dtype=np.int32)
    race = renumber[race]
    races = [races[i] for i in used.tolist()]
    votes = joined(lambda n, f, rows: f.votes[rows], np.int64)
    method_names, methods = _methods(files, take)
    file = joined(lambda n, f, rows: np.full(f.numbers[rows].size, n, np.int64), np.int64)
    number = joined(lambda n, f, rows: f.numbers[rows], np.int64)
    if not any(f.at["votes"] >= 0 for f in files) and methods.size:  # votes: the methods' sum
        votes = np.where((methods >= 0).any(axis=1), np.maximum(methods, 0).sum(axis=1), -1)
    out = Rows(ref=(file << 32) | number,
               race=race, level=joined(lambda n, f, rows: f.level[rows], np.int8),
               county_real=joined(lambda n, f, rows: f.county_real[f.county.codes[rows]], bool),
               votes=votes, wide=wide, methods=methods,
               words={name: words for name, (_, words) in columns.items()},
               races=races, method_names=method_names,
               **{name: codes for name, (codes, _) in columns.items()})
    return out


def _county_aliases(columns: dict[str, tuple[np.ndarray, list[str]]],
                    aliases: dict[str, str]) -> None:
    """Counties named by ``aliases`` (a spelling -> a name) read as that name: their keys and
    their precincts' units follow (in place)."""
    codes, shown = columns["county_shown"]
    renamed = [aliases.get(vocab.name_key(w), w) for w in shown]
    if renamed == shown:
        return
    new_codes, new_shown = factorize(renamed)
    columns["county_shown"] = (new_codes.astype(np.int32)[codes], new_shown)
    key_codes, keys = factorize([vocab.fold(w) for w in new_shown])
    county = key_codes.astype(np.int32)[columns["county_shown"][0]]
    columns["county"] = (county, keys)
    unit_codes, units = columns["unit"]
    place = [u.partition("\x1f")[2] for u in units]
    blank = np.array([u == "" for u in units], bool)[unit_codes]
    place_codes, places = factorize(place)
    pair = county.astype(np.int64) * len(places) + place_codes[unit_codes]
    column = pair_column(pair, blank, lambda i: (
        f"{keys[county[i]]}\x1f{places[place_codes[unit_codes[i]]]}"))
    columns["unit"] = (column.codes, column.words)


def _methods(files: list[File], take: list[Any]) -> tuple[tuple[str, ...], np.ndarray]:
    """The vote-method columns of the files (by header name, in order of first sight) and each
    taken row's counts in them (M, methods) int64: -1 blank or absent from its file, BAD not a
    count."""
    names = tuple(dict.fromkeys(name for f in files for name, _ in f.methods))
    out = np.full((sum(f.numbers[t].size for f, t in zip(files, take, strict=True)),
                   len(names)), -1, np.int64)
    start = 0
    for f, rows in zip(files, take, strict=True):
        for name, whole in f.methods:
            column = whole.take(rows).compact()
            values = np.array([count(w) for w in column.words], np.int64)
            out[start:start + f.numbers[rows].size, names.index(name)] = values[column.codes]
        start += f.numbers[rows].size
    return names, out
