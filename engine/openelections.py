"""OpenElections CSV files: precinct results in (``[[openelections]]``); out is
:mod:`engine.openelections_export` (:func:`to_csv`).

OpenElections keeps results as long CSV files, one row per precinct, office and candidate, with
columns such as ``county, precinct, office, district, party, candidate, votes`` in any order and
some missing. Each ``[[openelections]]`` table of a scenario makes one race from the rows of one
office. Real files are messy: what the reader mends (a name spelled in several cases, a repeated
row, a precinct without rows, a blank count) it says in a warning naming the rows, never
silently; what it cannot mend is a :class:`ScenarioError` naming the file, row and column.
"""

from __future__ import annotations

import difflib
import functools
import re
from collections import Counter, defaultdict
from collections.abc import Callable
from itertools import chain
from pathlib import Path
from typing import TYPE_CHECKING, Any

import attrs
import numpy as np

from engine._reader import Reader, type_name
from engine.errors import ScenarioError
from engine.precincts import _TOO_LARGE, read_records
from engine.scenario import Candidate, Figure, Precincts, Race

if TYPE_CHECKING:
    from engine.replay import Replay
    from engine.scenario import Election

__all__ = ["AGAINST_ALL", "CAST", "COLUMNS", "INVALID", "REGISTERED", "read_tables", "to_csv"]

COLUMNS = ("county", "precinct", "office", "district", "party", "candidate", "votes")
# The lines :func:`to_csv` writes beside the candidates (the names its files are read back with).
AGAINST_ALL, REGISTERED, CAST, INVALID = ("Against All", "Registered Voters", "Ballots Cast",
                                          "Invalid Ballots")
_ROLES = ("against_all", "registered", "cast", "invalid")
_MISSING = -2       # no row at all (a blank cell is -1, unknown)
_MAX_SPANS = 10     # row spans listed in one warning
# Lines that are usually not candidates; read as one, they earn a warning.
_NOT_CANDIDATES = {"none of these candidates", "none of the above", "against all",
                   "против всех", "барлығына қарсы", "total", "total votes", "votes",
                   "over votes", "overvotes", "under votes", "undervotes", "registered voters",
                   "ballots cast", "times cast", "times counted", "blank", "invalid", "spoiled"}


@functools.lru_cache(maxsize=1 << 16)  # offices, candidates and parties repeat row after row
def _fold(text: str) -> str:
    """Names compared as one: case and runs of spaces ignored."""
    return " ".join(text.split()).casefold()


@functools.lru_cache(maxsize=1 << 16)
def _name_key(text: str) -> str:
    """Candidates compared as one: case, spaces and punctuation ignored ("Kerry, John F." is
    "KERRY JOHN F")."""
    return " ".join(re.findall(r"\w+", text.casefold()))


# -- the [[openelections]] table ----------------------------------------------------------------
@attrs.frozen
class _Spec:
    race: str
    place: str
    files: tuple[str, ...]
    name: str | None = None
    area: tuple[str, ...] = ()
    date: Any = None
    office: str | None = None
    district: str | None = None
    county: str | None = None
    lines: dict[str, str] = attrs.Factory(dict)     # folded line name -> role or "skip"
    named: dict[str, str] = attrs.Factory(dict)     # role -> the line as the scenario names it
    aliases: dict[str, str] = attrs.Factory(dict)   # name key of a spelling -> the name
    columns: dict[str, str] = attrs.Factory(dict)   # standard column -> the header's name


def _spec(r: Reader, election: Election) -> _Spec:
    def text(key: str) -> str | None:  # a filter: a string, or a whole number (district 2)
        value = r.raw(key)
        if isinstance(value, int) and not isinstance(value, bool):
            return str(value)
        if value is not None and not (isinstance(value, str) and value.strip()):
            r.fail(f"must be a non-empty string, got {type_name(value)} {value!r}", key)
        return value

    race = r.str("race", required=True)
    files = r.str_list("files")
    if not files:
        r.fail("is required but missing: the OpenElections CSV file(s), relative to the "
               "scenario file", "files")
    lines: dict[str, str] = {}
    named: dict[str, str] = {}
    for role in _ROLES:
        line = r.str(role)
        if line is None:
            continue
        if role == "against_all" and not election.rules.against_all:
            r.fail(f"the {election.rules.name} rules have no 'against all' line", role)
        if _fold(line) in lines:
            r.fail(f"names the line {line!r}, as {lines[_fold(line)]} does", role)
        lines[_fold(line)] = role
        named[role] = line
    for line in r.str_list("skip"):
        lines.setdefault(_fold(line), "skip")
    aliases: dict[str, str] = {}
    raw = r.raw("aliases")
    if raw is not None:
        if not isinstance(raw, dict) or not all(isinstance(v, str) and v.strip()
                                                for v in raw.values()):
            r.fail('must be a table of spellings and names, e.g. { "Kery, John" = '
                   '"KERRY, JOHN F." }', "aliases")
        aliases = {_name_key(k): v.strip() for k, v in raw.items()}
    columns: dict[str, str] = {}
    cols = r.table("columns")
    if cols is not None:
        columns = {c: v for c in COLUMNS if (v := cols.str(c)) is not None}
        cols.close()
    spec = _Spec(race=race, place=r.place, files=files, name=r.str("name"),
                 area=r.str_list("area"), date=r.date("date"), office=text("office"),
                 district=text("district"), county=text("county"), lines=lines, named=named,
                 aliases=aliases, columns=columns)
    r.close()
    return spec


# -- the files ----------------------------------------------------------------------------------
# Each file is parsed once per load however many tables read it (_Table, by path), and indexed
# once per column mapping (_File): its rows grouped by folded office, district and county, so that
# a table visits only the rows of its own office, never the whole file again.
@attrs.frozen(eq=False)
class _Table:
    """A CSV file parsed: its header, the row numbers of its body rows (the header is row 1;
    blank lines skipped) and every column's cells, stripped."""

    name: str
    header: tuple[str, ...]
    numbers: list[int]
    columns: list[list[str]]


def _parse(path: Path, shown: str, fail: Callable) -> _Table:
    records = read_records(path, shown, fail, "files")
    header = tuple(h.strip() for h in records[0])
    width = len(header)
    body, numbers = [], []
    for n, record in enumerate(records[1:], start=2):
        if len(record) != width:
            if not "".join(record).strip():
                continue  # a blank line
            raise ScenarioError(shown, f"row {n}", f"has {len(record)} cells, the header has "
                                f"{width}")
        if "".join(record).strip():
            body.append(record)
            numbers.append(n)
    columns = [[record[i].strip() for record in body] for i in range(width)]
    return _Table(name=shown, header=header, numbers=numbers, columns=columns)


def _folded(cells: list[str]) -> list[str]:
    """:func:`_fold` of every cell, each distinct cell folded once."""
    folded = {cell: " ".join(cell.split()).casefold() for cell in set(cells)}
    return [folded[cell] for cell in cells]


# A group of rows: (office, district, county) folded, and whether the rows name a candidate.
_Key = tuple[str, str, str, bool]
_FILTERS = {"office": 0, "district": 1, "county": 2}   # where each filter is in a _Key


@attrs.frozen(eq=False)
class _File:
    """One file as a mapping of its columns reads it: the standard columns' cells ("" in every
    row for an absent column), each row's unit (its folded county and precinct, "" for a
    race-level row), and the rows of each group, in file order."""

    name: str
    header: tuple[str, ...]
    numbers: list[int]
    at: dict[str, int]                  # standard column -> its index in the header, -1: absent
    cells: dict[str, list[str]]
    units: list[str]
    groups: dict[_Key, list[int]]
    by_office: dict[str, list[_Key]]
    by_district: dict[str, list[_Key]]
    scopes: dict[tuple, dict[str, int]] = attrs.field(factory=dict)  # _scope's, cached


def _index(table: _Table, columns: dict[str, str], fail: Callable) -> _File:
    header, shown = table.header, table.name
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
    n = len(table.numbers)
    cells = {c: table.columns[at[c]] if at[c] >= 0 else [""] * n for c in COLUMNS}
    office, district, county = (_folded(cells[c]) for c in ("office", "district", "county"))
    place = _folded(cells["precinct"] if at["precinct"] >= 0 else cells["county"])
    units = [f"{c}\x1f{p}" if p else "" for c, p in zip(county, place, strict=True)]
    groups: dict[_Key, list[int]] = {}
    for i, key in enumerate(zip(office, district, county, map(bool, cells["candidate"]),
                                strict=True)):
        groups.setdefault(key, []).append(i)
    by_office: dict[str, list[_Key]] = defaultdict(list)
    by_district: dict[str, list[_Key]] = defaultdict(list)
    for key in groups:
        by_office[key[0]].append(key)
        by_district[key[1]].append(key)
    return _File(name=shown, header=header, numbers=table.numbers, at=at, cells=cells,
                 units=units, groups=groups, by_office=dict(by_office),
                 by_district=dict(by_district))


def _votes(cells: list[str], refs: list[tuple[str, int]], column: dict[str, str]
           ) -> np.ndarray:
    """Vote cells as int64, -1 where blank; the first cell that is not a count is named by its
    file, row and column (``column``: each file's name of the votes column)."""
    plain = "".join(cells)
    if plain.isascii() and plain.isdigit() and all(cells) and max(map(len, cells)) <= 18:
        return np.fromiter(map(int, cells), np.int64, count=len(cells))
    out = np.empty(len(cells), np.int64)
    for i, cell in enumerate(cells):
        digits = cell.removeprefix("-")
        if cell == "":
            out[i] = -1
            continue
        file, n = refs[i]
        where = f"row {n}, column {column[file]!r}"
        if not (digits.isascii() and digits.isdigit()):
            raise ScenarioError(file, where, f"must be a whole number, got {cell!r}")
        if cell.startswith("-"):
            raise ScenarioError(file, where, f"must be >= 0, got {cell}")
        if int(cell) >= _TOO_LARGE:
            raise ScenarioError(file, where, f"is too large for a count, got {cell}")
        out[i] = int(cell)
    return out


def _n(count: int, word: str) -> str:
    return f"{count} {word}{'s' * (count != 1)}"


def _rows(refs: list[tuple[str, int]]) -> str:
    """'a.csv: rows 2-4, 9' (one file) or 'a.csv rows 2-4; b.csv row 7' (several)."""
    by_file: dict[str, list[int]] = defaultdict(list)
    for file, n in refs:
        by_file[file].append(n)
    parts = []
    for file, numbers in by_file.items():
        numbers = sorted(set(numbers))
        spans: list[list[int]] = []
        for n in numbers:
            if spans and n == spans[-1][1] + 1:
                spans[-1][1] = n
            else:
                spans.append([n, n])
        text = ", ".join(f"{a}-{b}" if b > a else str(a) for a, b in spans[:_MAX_SPANS])
        if len(spans) > _MAX_SPANS:
            text += f" and {sum(b - a + 1 for a, b in spans[_MAX_SPANS:])} more"
        word = "row" if len(numbers) == 1 else "rows"
        parts.append((file, f"{word} {text}"))
    if len(parts) == 1:
        return f"{parts[0][0]}: {parts[0][1]}"
    return "; ".join(f"{f} {t}" for f, t in parts)


# -- one race from its rows ---------------------------------------------------------------------
@attrs.define
class _Row:
    ref: tuple[str, int]   # file and row number
    unit: str              # folded county and precinct; "" for a race-level row
    unit_text: str
    county: str
    option: str            # a role ("against_all", ...) or "c:" + the candidate's name key
    text: str              # the line as spelled
    party: str
    votes: str
    office: str
    wide: bool = False     # a precinct-wide line (office "Registered Voters", no candidate)


def read_tables(tables: list[tuple[int, Reader]], races: tuple[Race, ...], election: Election,
                base: Path) -> tuple[tuple[Race, ...], tuple[str, ...]]:
    """Make one race of every ``[[openelections]]`` table; return the races and the warnings."""
    parsed: dict[Path, _Table] = {}                 # each file parsed once per load
    files: dict[tuple[Path, tuple], _File] = {}     # and indexed once per column mapping
    ids = {r.id for r in races}
    out, warnings = list(races), []
    for _, r in tables:
        spec = _spec(r, election)
        if spec.race in ids:
            r.fail(f"race {spec.race!r} is already a race of the scenario", "race")
        ids.add(spec.race)
        loaded = []
        for file in spec.files:
            path = (base / file).resolve()
            key = (path, tuple(sorted(spec.columns.items())))
            if key not in files:
                if path not in parsed:
                    parsed[path] = _parse(base / file, Path(file).name, r.fail)
                files[key] = _index(parsed[path], spec.columns, r.fail)
            loaded.append(files[key])
        race, notes = _race(spec, loaded, election, r.fail)
        out.append(race)
        warnings.extend(notes)
    return tuple(out), tuple(warnings)


def _groups(f: _File, spec: _Spec, want: dict[str, str]) -> tuple[list[_Key], list[_Key]]:
    """The groups of rows of ``f`` a table reads: the rows of its office, district and county,
    and the precinct-wide lines (an office named as one of its lines, no candidate: these match
    the county alone)."""
    def match(key: _Key, *filters: str) -> bool:
        return all(key[_FILTERS[x]] == want[x] for x in filters if x in want)

    if "office" in want:
        keys = f.by_office.get(want["office"], [])
    elif "district" in want:
        keys = f.by_district.get(want["district"], [])
    else:
        keys = list(f.groups)
    rows = [k for k in keys if match(k, *_FILTERS) and (k[3] or k[0] not in spec.lines)]
    wide = [k for line in spec.lines for k in f.by_office.get(line, [])
            if not k[3] and match(k, "county")]
    return rows, wide


def _scope(f: _File, spec: _Spec, want: dict[str, str]) -> dict[str, int]:
    """The precincts of ``f`` in the table's district and county, whatever their office (but
    for its precinct-wide lines), each with its first row, in file order; shared by the tables
    of one district, county and lines."""
    key = (want.get("district"), want.get("county"), frozenset(spec.lines))
    if key not in f.scopes:
        keys = f.by_district.get(want["district"], []) if "district" in want else f.groups
        rows = sorted(chain.from_iterable(
            f.groups[k] for k in keys if ("county" not in want or k[2] == want["county"])
            and (k[3] or k[0] not in spec.lines)))
        first: dict[str, int] = {}
        for i in rows:
            first.setdefault(f.units[i], i)
        first.pop("", None)
        f.scopes[key] = first
    return f.scopes[key]


def _select(spec: _Spec, files: list[_File], fail: Callable) -> tuple[list[_Row], dict, list]:
    """The rows of the race, the precincts the files hold for other offices in the same county
    and district (unit -> as spelled), and notes."""
    want = {k: _fold(v) for k, v in (("office", spec.office), ("district", spec.district),
                                     ("county", spec.county)) if v is not None}
    for key in want:
        bare = next((f.name for f in files if f.at[key] < 0), None)
        if bare:
            fail(f"{bare} has no {key!r} column to select rows by", key)
    rows: list[_Row] = []
    scope: dict[str, str] = {}
    offices: Counter = Counter()
    notes: list[tuple[list, str]] = []
    blank_lines: list[tuple[str, int]] = []
    for f in files:
        place = f.cells["precinct"] if f.at["precinct"] >= 0 else f.cells["county"]
        for unit, i in _scope(f, spec, want).items():
            scope.setdefault(unit, place[i])
        keys, wide = _groups(f, spec, want)
        for k in keys:
            offices[k[0]] += len(f.groups[k])
            if not k[3]:
                blank_lines.extend((f.name, f.numbers[i]) for i in f.groups[k])
        take = sorted(chain.from_iterable(
            [f.groups[k] for k in keys if k[3]] + [f.groups[k] for k in wide
                                                   if spec.lines[k[0]] != "skip"]))
        county, office, line, party, votes = (f.cells[c] for c in (
            "county", "office", "candidate", "party", "votes"))
        for i in take:
            text = line[i]
            if text:
                role = spec.lines.get(_fold(text))
                if role == "skip":
                    continue
                if role is None:
                    text = spec.aliases.get(_name_key(text), text)
                option = role or "c:" + _name_key(text)
            else:
                option = spec.lines[_fold(office[i])]
            rows.append(_Row(ref=(f.name, f.numbers[i]), unit=f.units[i], unit_text=place[i],
                             county=county[i], option=option, text=text or office[i],
                             party=party[i], votes=votes[i], office=office[i], wide=not text))
    names = ", ".join(f.name for f in files)
    office_units = {x.unit for x in rows if not x.wide}
    rows = [x for x in rows if not x.wide or x.unit in office_units]
    if not any(not x.wide for x in rows):
        if "office" in want:
            known = sorted({c for f in files for c in f.cells["office"]} - {""})
            fail(f"no rows for office {spec.office!r} in {names}"
                 + (f"; its offices: {', '.join(known[:20])}" if known else ""), "office")
        fail(f"no candidate rows in {names}", "files")
    if "office" not in want and len(offices) > 1:
        fail(f"the rows of {names} hold {len(offices)} offices; choose one with office = "
             "\"...\"", "office")
    if blank_lines:
        notes.append((blank_lines, "no candidate named: left out"))
    return rows, scope, notes


def _spellings(rows: list[_Row], key: Callable, text: Callable, what: str
               ) -> tuple[dict[str, str], list[tuple[list, str]]]:
    """The most frequent spelling of each name (first seen on a tie), and a note for every
    other spelling naming its rows."""
    counts: dict[str, Counter] = defaultdict(Counter)
    refs: dict[tuple[str, str], list] = defaultdict(list)
    for row in rows:
        k, t = key(row), text(row)
        counts[k][t] += 1
        refs[k, t].append(row.ref)
    chosen, notes = {}, []
    for k, spelled in counts.items():
        chosen[k] = spelled.most_common(1)[0][0]
        for t in spelled:
            if t != chosen[k]:
                notes.append((refs[k, t], f"{what} {t!r} read as {chosen[k]!r} (so spelled in "
                                          f"{spelled[chosen[k]]} rows)"))
    return chosen, notes


def _race(spec: _Spec, files: list[_File], election: Election, fail: Callable
          ) -> tuple[Race, list[str]]:
    rows, scope, notes = _select(spec, files, fail)
    # Spellings: the office, precincts, candidates, parties.
    _, n = _spellings([x for x in rows if not x.wide], lambda x: _fold(x.office),
                      lambda x: x.office, "office")
    notes += n
    unit_name, n = _spellings([x for x in rows if x.unit], lambda x: x.unit,
                              lambda x: x.unit_text, "precinct")
    notes += n
    cand_rows = [x for x in rows if x.option.startswith("c:")]
    cand_name, n = _spellings(cand_rows, lambda x: x.option, lambda x: x.text, "candidate")
    notes += n
    rows = _without_repeats(rows, notes)
    # Options: candidates in order of first appearance, then the four lines.
    options = list(dict.fromkeys(x.option for x in rows if x.option.startswith("c:")))
    if not options:
        fail(f"no candidate rows for office {spec.office!r}", "office")
    k = len(options)
    column = {o: j for j, o in enumerate([*options, *_ROLES])}
    notes += _doubtful_candidates(rows, options, cand_name)
    parties = _parties(rows, options, notes)

    units = list(dict.fromkeys(x.unit for x in rows if x.unit))
    unit_index = {u: i for i, u in enumerate(units)}
    county = {x.unit: x.county for x in rows}
    several = len({unit.split("\x1f")[0] for unit in units} - {""}) > 1
    shown = {u: f"{county[u]} / {unit_name[u]}" if several else unit_name[u] for u in units}
    u_count = len(units)  # race-level rows go to the extra row u_count
    refs = [x.ref for x in rows]
    votes = _votes([x.votes for x in rows], refs,
                   {f.name: f.header[f.at["votes"]] for f in files})
    u = np.fromiter((unit_index.get(x.unit, u_count) for x in rows), np.int64, count=len(rows))
    c = np.fromiter((column[x.option] for x in rows), np.int64, count=len(rows))
    counts = _grid(votes, u, c, (u_count + 1, k + len(_ROLES)))
    grid, totals = counts[:u_count], counts[u_count]

    # Precincts that report nothing are left out; blank cells elsewhere are unknown.
    silent = ~(grid >= 0).any(axis=1)
    for i in np.flatnonzero(silent):
        notes.append(([refs[j] for j in np.flatnonzero(u == i)],
                      f"precinct {shown[units[i]]!r} gives no count (every votes cell "
                      f"blank): left out of race {spec.race!r}"))
    in_silent = np.append(silent, False)[u]
    blanks = np.flatnonzero((votes < 0) & ~in_silent & (c <= k))  # counts may be unpublished
    if blanks.size:
        notes.append(([refs[j] for j in blanks], "votes blank: read as unknown"))
    keep = np.flatnonzero(~silent)
    grid = grid[keep]
    kept_units = [units[i] for i in keep]
    missing_units = [scope[x] for x in scope if x not in unit_index]
    warnings = [f"{_rows(refs_)}: {problem}" for refs_, problem in notes]
    if missing_units:
        listed = ", ".join(map(repr, missing_units[:20]))
        warnings.append(f"{', '.join(dict.fromkeys(f.name for f in files))}: race {spec.race!r}"
                        f": no rows for {_n(len(missing_units), 'precinct')} the file has for "
                        f"other offices: {listed}" + (" and more" if len(missing_units) > 20
                                                      else ""))
    warnings += _gaps(spec, grid, [shown[x] for x in kept_units], options, cand_name, files)

    grid = grid.copy()
    grid[:, :k + 1][grid[:, :k + 1] == _MISSING] = 0   # no row for a candidate: no votes
    grid[grid == _MISSING] = -1                          # no count line: unknown
    office = next((x.office for x in rows if not x.wide), "") or spec.race
    race = _make_race(spec, election, office, options, cand_name, parties, grid, totals,
                      [shown[x] for x in kept_units], rows)
    return race, warnings


def _without_repeats(rows: list[_Row], notes: list) -> list[_Row]:
    """Rows of the same precinct, party and line: counted once when their votes agree (with a
    note), refused when they do not."""
    first: dict[tuple, _Row] = {}
    kept, repeats, originals = [], [], []
    for row in rows:
        k = (row.unit, row.option, _fold(row.party))
        if k not in first:
            first[k] = row
            kept.append(row)
        elif first[k].votes == row.votes:
            repeats.append(row.ref)
            originals.append(first[k].ref[1])
        else:
            f0, n0 = first[k].ref
            raise ScenarioError(row.ref[0], f"row {row.ref[1]}",
                                f"repeats row {n0}{'' if f0 == row.ref[0] else ' of ' + f0} "
                                f"(precinct {row.unit_text!r}, {row.text!r}) with "
                                f"{row.votes or 'blank'} votes, not {first[k].votes or 'blank'}")
    if repeats:
        which = (f"repeats row {originals[0]}" if len(repeats) == 1 else
                 f"repeat earlier rows (the first repeats row {originals[0]})")
        notes.append((repeats, f"{which}: same precinct, office, party, line and votes; "
                               "counted once"))
    return kept


def _grid(votes: np.ndarray, unit: np.ndarray, column: np.ndarray, shape: tuple[int, int]
          ) -> np.ndarray:
    """Rows summed into a (units, columns) int64 grid: a cell is the sum of its rows (fusion
    lines of one candidate add up), -1 when one of them is blank, _MISSING without a row.

    votes, unit, column : (N,) int64, votes -1 where blank
    """
    cell = unit * shape[1] + column
    total = np.zeros(shape[0] * shape[1], np.int64)
    np.add.at(total, cell, np.maximum(votes, 0))
    blank = np.zeros_like(total)
    np.add.at(blank, cell, votes < 0)
    present = np.zeros(total.shape, bool)
    present[cell] = True
    return np.where(~present, _MISSING, np.where(blank > 0, -1, total)).reshape(shape)


def _doubtful_candidates(rows: list[_Row], options: list[str], name: dict[str, str]
                         ) -> list[tuple[list, str]]:
    """Lines that look like no candidate (a total, none of these), and pairs of names that look
    like one candidate spelled two ways (kept apart: ``aliases`` merges them)."""
    refs: dict[str, list] = defaultdict(list)
    for row in rows:
        refs[row.option].append(row.ref)
    notes = []
    for o in options:
        if _fold(name[o]) in _NOT_CANDIDATES:
            notes.append((refs[o], f"the line {name[o]!r} is read as a candidate; if it is not "
                                   "one, map it (against_all, registered, cast, invalid) or "
                                   "leave it out (skip)"))
    for i, a in enumerate(options):
        for b in options[i + 1:]:
            ka, kb = a[2:], b[2:]
            if sorted(ka.split()) == sorted(kb.split()) or \
                    difflib.SequenceMatcher(None, ka, kb).ratio() >= 0.85:
                notes.append((refs[a] + refs[b],
                              f"{name[a]!r} and {name[b]!r} may be one candidate spelled two "
                              f'ways: kept apart (aliases = {{ "{name[b]}" = "{name[a]}" }} '
                              "merges them)"))
    return notes


def _parties(rows: list[_Row], options: list[str], notes: list) -> dict[str, str]:
    """Each candidate's party (the most frequent non-blank cell; "Independent" with none)."""
    spelled: dict[str, Counter] = defaultdict(Counter)
    refs: dict[tuple[str, str], list] = defaultdict(list)
    for row in rows:
        if row.option.startswith("c:") and row.party:
            spelled[row.option][row.party] += 1
            refs[row.option, _fold(row.party)].append(row.ref)
    parties = {}
    for o in options:
        if not spelled[o]:
            parties[o] = "Independent"
            continue
        chosen = spelled[o].most_common(1)[0][0]
        parties[o] = chosen
        for other in dict.fromkeys(_fold(p) for p in spelled[o]):
            if other != _fold(chosen):
                notes.append((refs[o, other], f"a second party for {o[2:]!r}: its votes are "
                                              f"summed under party {chosen!r}"))
    return parties


def _gaps(spec: _Spec, grid: np.ndarray, ids: list[str], options: list[str],
          cand_name: dict[str, str], files: list[_File]) -> list[str]:
    """Warnings for lines missing in precincts: a candidate or the against-all line reads 0
    votes there, a count line (registered, cast, invalid) is unknown; a count line no precinct
    has is simply unpublished."""
    names = ", ".join(dict.fromkeys(f.name for f in files))
    k = len(options)
    labels = [cand_name[o] for o in options] + [spec.named.get(r, r) for r in _ROLES]
    gone = grid == _MISSING
    out = []
    for j in np.flatnonzero(gone.any(axis=0)):
        everywhere = bool(gone[:, j].all())
        if everywhere and (j > k or (j == k and "against_all" not in spec.named)):
            continue
        where = [ids[i] for i in np.flatnonzero(gone[:, j])]
        reading = "read as 0 votes" if j <= k else "unknown there"
        listed = ", ".join(map(repr, where[:10])) + (" and more" if len(where) > 10 else "")
        some = "any precinct" if everywhere else f"{_n(len(where), 'precinct')} ({listed})"
        out.append(f"{names}: race {spec.race!r}: no row for {labels[j]!r} in {some}: "
                   f"{reading}")
    return out


def _make_race(spec: _Spec, election: Election, office: str, options: list[str],
               cand_name: dict[str, str], parties: dict[str, str], grid: np.ndarray,
               totals: np.ndarray, ids: list[str], rows: list[_Row]) -> Race:
    """The race: precinct rows when there are any, race-level rows as their published totals;
    else the race-level rows are the race's own counts."""
    k = len(options)
    place = f"race[{spec.race}]"

    def count(j: int) -> int | None:
        return int(totals[j]) if totals[j] >= 0 else None

    registered, cast, invalid = count(k + 1), count(k + 2), count(k + 3)
    against_all = count(k)
    if not ids:
        if totals[k] == _MISSING:
            against_all = 0
        candidates = tuple(Candidate(name=cand_name[o], party=parties[o], votes=count(j))
                           for j, o in enumerate(options))
        return Race(id=spec.race, name=spec.name or office, area=spec.area,
                    candidates=candidates, place=place, registered=registered, cast=cast,
                    invalid=invalid, against_all=against_all,
                    share_basis=election.share_basis, date=spec.date)
    source = {x.option: f"{x.ref[0]} row {x.ref[1]}" for x in rows if not x.unit}
    candidates = tuple(
        Candidate(name=cand_name[o], party=parties[o], published=(
            (Figure("votes", int(totals[j]), f"{place}.candidate[{j + 1}].votes", source[o]),)
            if totals[j] >= 0 else ()))
        for j, o in enumerate(options))
    precincts = Precincts(ids=np.array(ids), votes=grid[:, :k].copy(),
                          against_all=grid[:, k].copy(), registered=grid[:, k + 1].copy(),
                          cast=grid[:, k + 2].copy(), invalid=grid[:, k + 3].copy())
    return Race(id=spec.race, name=spec.name or office, area=spec.area, candidates=candidates,
                place=place, registered=registered, cast=cast, invalid=invalid,
                against_all=against_all, share_basis=election.share_basis, date=spec.date,
                precincts=precincts)


def to_csv(rp: Replay) -> str:
    """The replay in the OpenElections layout (:func:`engine.openelections_export.to_csv`)."""
    from engine.openelections_export import to_csv as write

    return write(rp)
