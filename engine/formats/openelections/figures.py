"""What a table's rows publish beside the precincts' votes: total and subtotal rows as figures to
check, precinct-wide lines (registered voters, ballots cast), the precincts the files hold for
other offices, and the vote-method columns checked against the votes.
"""

from __future__ import annotations

import attrs
import numpy as np

from engine.formats.openelections import levels, mend
from engine.formats.openelections import rows as files_
from engine.formats.openelections import vocabulary as vocab
from engine.formats.openelections.grid import MISSING, Layout, summed
from engine.formats.openelections.rows import REAL, Rows, Want
from engine.formats.openelections.vocabulary import ROLES

__all__ = ["Figure", "WideLines", "method_check", "of_table", "scope", "wide_lines"]


@attrs.frozen(eq=False)
class Figure:
    """A published count: of race ``race``'s line ``column`` (its grid's), for county
    ``county`` (a county key code) or the whole race (-1), the unit of the total row that gives
    it (its county and precinct name: the figures of one total row are read together) and the
    rows."""

    race: int
    county: int
    column: int
    value: int
    refs: np.ndarray
    unit: int = -1


def of_table(rows: Rows, kind: np.ndarray, lay: Layout, is_cand: np.ndarray,
             role_of: np.ndarray, files: list[files_.File], notes: list[mend.Note]
             ) -> dict[int, list[Figure]]:
    """The figures of the total and subtotal rows ``rows`` (their ``kind``), by race. A
    candidate's party lines add up; a row without a party beside them is the candidate's total
    (checked as the figure); a line given twice is two figures, each checked."""
    out: dict[int, list[Figure]] = {}
    if not len(rows):
        return out
    bad = np.flatnonzero(rows.votes == files_.BAD)
    if bad.size:
        i = int(bad[0])
        raise files[rows.file[i]].count_error(rows.row(i, files))
    column = np.full(len(rows), -1, np.int64)
    where = {(r, int(o)): j for r, opts in enumerate(lay.options) for j, o in enumerate(opts)}
    k = np.array([len(o) for o in lay.options] + [0], np.int64)
    for i in range(len(rows)):
        o = int(rows.option[i])
        r = int(rows.race[i])
        column[i] = where.get((r, o), -1) if is_cand[o] else k[r] + role_of[o]
    unknown = column < 0
    if unknown.any():
        notes.append((rows.ref[unknown], "a total or subtotal of a line with no precinct row in "
                                         "its race: left out (nothing to check it against)"))
    county = np.where(kind == levels.FIGURE_COUNTY, rows.county, -1)
    blank_party = mend.is_in(rows.words["party_key"], lambda p: p == "")[rows.party_key]
    groups: dict[tuple[int, int, int, int], dict[int, list[int]]] = {}
    for i in np.flatnonzero(~unknown).tolist():
        key = (int(rows.race[i]), int(county[i]), int(rows.unit[i]), int(column[i]))
        by_party = groups.setdefault(key, {})
        by_party.setdefault(int(rows.party_key[i]), []).append(i)
    for (r, c, u, j), by_party in groups.items():
        ranks = max(len(v) for v in by_party.values())
        for rank in range(ranks):
            members = [v[rank] for v in by_party.values() if len(v) > rank]
            total = [i for i in members if blank_party[i]]
            parts = [i for i in members if not blank_party[i]]
            chosen = total if total and parts else members
            values = [int(rows.votes[i]) for i in chosen]
            if min(values) < 0:
                notes.append((rows.ref[chosen], "a total or subtotal with a blank count: not "
                                                "checked"))
                continue
            if total and parts:
                part_sum = sum(max(int(rows.votes[i]), 0) for i in parts)
                if part_sum != values[0]:
                    notes.append((rows.ref[members], f"a total without a party ({values[0]:,})"
                                  f" beside party lines that give {part_sum:,}: the total is "
                                  "checked"))
            out.setdefault(r, []).append(Figure(r, c, j, sum(values),
                                                rows.ref[np.array(members)], u))
    return out


@attrs.frozen(eq=False)
class WideLines:
    """Precinct-wide lines (an office named as a line, no candidate) per unit: values (U, 4)
    int64 in ROLES order, MISSING where none."""

    values: np.ndarray


def wide_lines(rows: Rows, kinds: levels.Kinds, files: list[files_.File],
               notes: list[mend.Note]) -> WideLines:
    """The precinct-wide lines of ``rows`` summed per unit (a county's county-level lines on its
    county-wide unit); those of a total row are left out (noted)."""
    n_units = len(kinds.rows.words["unit"])
    wide = np.flatnonzero(rows.wide)
    role = np.array([ROLES.index(o) if o in ROLES else -1 for o in rows.words["option"]])
    if not wide.size:
        return WideLines(np.full((n_units, len(ROLES)), MISSING, np.int64))
    total = kinds.kind[wide] != levels.COUNT
    if total.any():
        notes.append((rows.ref[wide[total]], "a precinct-wide line of a total row: left out"))
        wide = wide[~total]
    bad = wide[rows.votes[wide] == files_.BAD]
    if bad.size:
        i = int(bad[0])
        raise files[rows.file[i]].count_error(rows.row(i, files))
    cell = rows.unit[wide].astype(np.int64) * len(ROLES) + role[rows.option[wide]]
    values = summed(rows.votes[wide], cell, n_units * len(ROLES))
    return WideLines(values.reshape(n_units, len(ROLES)))


def scope(files: list[files_.File], want: Want) -> dict[str, dict[str, str]]:
    """The precincts of ``files`` (whatever their office) in the table's county and row ranges:
    per state key ("" without a state column), unit -> the precinct as written, in file
    order. A race without a district should have rows for each of its state's. Each file's
    are worked out once for the tables of one county, ranges and aliases."""
    out: dict[str, dict[str, str]] = {}
    key = (want.county, want.ranges, tuple(sorted(want.aliases.items())))
    for f in files:
        if key not in f.scopes:
            f.scopes[key] = _file_scope(f, want)
    if len(files) == 1:  # shared by the file's tables, read only
        return files[0].scopes[key]
    for f in files:
        for state, units in f.scopes[key].items():
            mine = out.setdefault(state, {})
            for unit, shown in units.items():
                mine.setdefault(unit, shown)
    return out


def _file_scope(f: files_.File, want: Want) -> dict[str, dict[str, str]]:
    out: dict[str, dict[str, str]] = {}
    keep = (f.level == REAL)
    if want.ranges:
        keep &= np.logical_or.reduce([(f.numbers >= a) & (f.numbers <= b)
                                      for a, b in want.ranges])
    if want.county is not None:
        keep &= f.county.test(lambda w: w == want.county)
    at = np.flatnonzero(keep)
    first = np.full(len(f.unit.words), len(f.numbers), np.int64)
    np.minimum.at(first, f.unit.codes[at], at)  # each unit's first row
    codes = np.flatnonzero(first < len(f.numbers))
    renamed = {vocab.fold(w): want.aliases[vocab.name_key(w)]
               for w in f.county_shown.words if vocab.name_key(w) in want.aliases}
    codes = codes[np.argsort(first[codes], kind="stable")]  # in file order
    rows = first[codes]
    states = [vocab.fold(w) for w in f.col["state"].words]
    counties, places = f.county_shown.words, f.place.words
    for code, s, c, p in zip(codes.tolist(), f.col["state"].codes[rows].tolist(),
                             f.county_shown.codes[rows].tolist(), f.place.codes[rows].tolist(),
                             strict=True):
        unit, county = f.unit.words[code], counties[c]
        if renamed:  # counties the table's aliases rename
            key, _, place = unit.partition("\x1f")
            if key in renamed:
                county = renamed[key]
                unit = f"{vocab.fold(county)}\x1f{place}"
        shown = f"{county} / {places[p]}" if county and places[p] else county or places[p]
        out.setdefault(states[s] if f.at["state"] >= 0 else "", {}).setdefault(unit, shown)
    return out


def method_check(rows: Rows, files: list[files_.File]) -> list[mend.Note]:
    """Rows whose votes are not the sum of their vote-method cells (blank cells as 0), where the
    file has a votes column and the row a method cell: noted once, votes kept as the total."""
    has_votes = np.array([f.at["votes"] >= 0 for f in files], bool)[rows.file]
    given = (rows.methods >= 0).any(axis=1) & has_votes & (rows.votes >= 0)
    differ = given & (np.maximum(rows.methods, 0).sum(axis=1) != rows.votes)
    if not differ.any():
        return []
    i = int(np.flatnonzero(differ)[0])
    n = int(differ.sum())
    return [(rows.ref[differ], f"votes is not the sum of the vote-method columns "
             f"({', '.join(rows.method_names)}) on {n:,} row{'s' * (n != 1)} (the first: "
             f"{rows.place_of(i)!r}, {int(rows.votes[i]):,} against "
             f"{int(np.maximum(rows.methods[i], 0).sum()):,}): votes kept as the total, "
             "each method as given")]
