"""OpenElections CSV files: precinct results in (``[[openelections]]``); out is
:mod:`engine.formats.openelections.writer` (:func:`to_csv`).

OpenElections keeps results as long CSV files, one row per precinct, office and candidate, with
columns such as ``county, precinct, office, district, party, candidate, votes`` in any order and
some missing (plain or gzip). An ``[[openelections]]`` table makes one race from the rows of one
office, or, with ``office = "*"`` (or a list), one race per office and district of a whole state
file. Real files are messy: what the reader mends (a name spelled in several cases, a line given
on several rows, a subtotal row, a blank count) it says in a warning naming the rows, never
silently; what it cannot mend is a :class:`ScenarioError` naming the file, row, column and
place.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING

from engine.formats.openelections import build, levels, mend
from engine.formats.openelections import rows as files_
from engine.formats.openelections import vocabulary as vocab
from engine.formats.openelections.rows import COLUMNS, OPTIONAL, Want
from engine.formats.toml_reader import Reader, type_name

if TYPE_CHECKING:
    from engine.records import Election, Race

__all__ = ["AGAINST_ALL", "CAST", "COLUMNS", "INVALID", "REGISTERED", "read_tables"]

# The lines the writer (engine.formats.openelections.writer.to_csv) puts beside the
# candidates: names the reader knows out of the box.
AGAINST_ALL, REGISTERED, CAST, INVALID = ("Against All", "Registered Voters", "Ballots Cast",
                                          "Invalid Ballots")
_RANGE = re.compile(r"^\s*(\d+)\s*(?:-\s*(\d+)\s*)?$")


def _text(r: Reader, key: str) -> str | None:
    """A filter: a non-empty string, or a whole number (district 2)."""
    value = r.raw(key)
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    if value is not None and not (isinstance(value, str) and value.strip()):
        r.fail(f"must be a non-empty string, got {type_name(value)} {value!r}", key)
    return value


def _offices(r: Reader) -> tuple[frozenset[str] | None, tuple[str, ...], bool]:
    """The office filter (keys; None: every office), the offices as written, and whether the
    table makes a race per (office, district)."""
    value = r.raw("office")
    if value == "*":
        return None, (), True
    if isinstance(value, list):
        if not value or not all(isinstance(v, str) and v.strip() for v in value):
            r.fail('must be an office, "*" (every office) or a list of offices', "office")
        return frozenset(vocab.office_key(v) for v in value), tuple(value), True
    office = _text(r, "office")
    if office is None:
        return None, (), False
    return frozenset({vocab.office_key(office)}), (office,), False


def _ranges(r: Reader) -> tuple[tuple[int, int], ...]:
    """``rows = "2-12581"`` (or a list of ranges): the rows of every file the table reads."""
    out = []
    for part in r.str_list("rows"):
        for piece in part.split(","):
            m = _RANGE.match(piece)
            if not m or (m.group(2) and int(m.group(2)) < int(m.group(1))):
                r.fail(f'must be row ranges such as "2-12581" or "2-100, 200-300", got '
                       f"{part!r}", "rows")
            out.append((int(m.group(1)), int(m.group(2) or m.group(1))))
    return tuple(out)


def _lines(r: Reader, election: Election
           ) -> tuple[dict[str, str], dict[str, str], tuple[str, ...]]:
    """The lines of the table (folded name -> role or "skip") and the names the scenario gave
    each role, and the lines the table leaves out (``skip``). The common spellings of the
    summary lines are known out of the box; a role the table maps drops them for that role,
    and a name it maps otherwise overrides them."""
    lines: dict[str, str] = {}
    named: dict[str, str] = {}
    mapped: dict[str, str] = {}
    for role in vocab.ROLES:
        given = r.str_list(role)
        if not given:
            continue
        if role == "against_all" and not election.rules.against_all:
            r.fail(f"the {election.rules.name} rules have no 'against all' line", role)
        for line in given:
            if vocab.fold(line) in mapped:
                r.fail(f"names the line {line!r}, as {mapped[vocab.fold(line)]} does", role)
            mapped[vocab.fold(line)] = role
        named[role] = given[0]
    skipped = r.str_list("skip")
    for line in skipped:
        mapped.setdefault(vocab.fold(line), "skip")
    for name, role in vocab.KNOWN_LINES.items():
        if role not in named:
            lines[name] = role
    if election.rules.against_all and "against_all" not in named:
        lines.update(dict.fromkeys(vocab.AGAINST_ALL_LINES, "against_all"))
    lines.update(mapped)
    return lines, named, skipped


def _spec(r: Reader, election: Election
          ) -> tuple[build.Table, dict[str, str], tuple[str, ...] | None]:
    """The table, its column mapping and its vote-method columns (None: found by name)."""
    race = r.str("race", required=True)
    files = r.str_list("files")
    if not files:
        r.fail("is required but missing: the OpenElections CSV file(s), relative to the "
               "scenario file", "files")
    offices, offices_named, multi = _offices(r)
    lines, named, skipped = _lines(r, election)
    aliases: dict[str, str] = {}
    raw = r.raw("aliases")
    if raw is not None:
        if not isinstance(raw, dict) or not all(isinstance(v, str) and v.strip()
                                                for v in raw.values()):
            r.fail('must be a table of spellings and names, e.g. { "Kery, John" = '
                   '"KERRY, JOHN F." }', "aliases")
        aliases = {vocab.name_key(k): v.strip() for k, v in raw.items()}
    columns: dict[str, str] = {}
    cols = r.table("columns")
    if cols is not None:
        columns = {c: v for c in COLUMNS + OPTIONAL if (v := cols.str(c)) is not None}
        cols.close()
    district, county = _text(r, "district"), _text(r, "county")
    name = r.str("name")
    if multi and name is not None:
        r.fail('names one race; a table of several offices (office = "*" or a list) names '
               "each race by its office and district", "name")
    methods = r.raw("methods")
    if methods is not None and not (isinstance(methods, list) and all(
            isinstance(m, str) and m.strip() for m in methods)):
        r.fail("must be a list of column names (the vote-method columns), or [] for none",
               "methods")
    spec = build.Table(
        race=race, place=r.place, files=files, multi=multi, offices_named=offices_named,
        want=Want(offices=offices, district=None if district is None else
                  vocab.district_key(district),
                  county=None if county is None else vocab.fold(county), ranges=_ranges(r),
                  lines=lines, aliases=aliases,
                  quiet=frozenset(vocab.fold(x) for x in skipped)),
        name=name, area=r.str_list("area"), date=r.date("date"), named=named,
        repeats=r.str("repeats", default="refuse", choices=mend.REPEATS),
        county_rows=r.str("county_rows", default="auto", choices=levels.COUNTY_ROWS),
        share_basis=election.share_basis)
    r.close()
    return spec, columns, None if methods is None else tuple(methods)


def read_tables(tables: list[tuple[int, Reader]], races: tuple[Race, ...], election: Election,
                base: Path) -> tuple[tuple[Race, ...], tuple[str, ...]]:
    """Make the races of every ``[[openelections]]`` table; return the races and the
    warnings."""
    parsed: dict[Path, files_.Parsed] = {}              # each file parsed once per load
    indexed: dict[tuple, files_.File] = {}              # and indexed once per column mapping
    ids = {r.id for r in races}
    out, warnings = list(races), []
    for _, r in tables:
        spec, columns, methods = _spec(r, election)
        if spec.race in ids and not spec.multi:
            r.fail(f"race {spec.race!r} is already a race of the scenario", "race")
        loaded = []
        for file in spec.files:
            path = (base / file).resolve()
            key = (path, tuple(sorted(columns.items())), methods)
            if key not in indexed:
                if path not in parsed:
                    parsed[path] = files_.parse(base / file, Path(file).name, r.fail)
                indexed[key] = files_.index(parsed[path], columns, methods, r.fail)
            loaded.append(indexed[key])
        for column in ("district", "county"):
            value = spec.want.district if column == "district" else spec.want.county
            bare = next((f.name for f in loaded if f.at[column] < 0), None)
            if value is not None and bare:
                r.fail(f"{bare} has no {column!r} column to select rows by", column)
        made, notes = build.races_of(spec, loaded, election.rules.against_all, r.fail)
        for race in made:
            if race.id in ids:
                r.fail(f"race {race.id!r} is already a race of the scenario", "race")
            ids.add(race.id)
        out.extend(made)
        warnings.extend(notes)
    return tuple(out), tuple(warnings)
