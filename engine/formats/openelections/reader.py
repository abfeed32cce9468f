"""OpenElections CSV files: precinct results in (``[[openelections]]``); out is
:mod:`engine.formats.openelections.writer` (:func:`to_csv`).

OpenElections keeps results as long CSV files, one row per precinct, office and candidate, with
columns such as ``county, precinct, office, district, party, candidate, votes`` in any order and
some missing. Each ``[[openelections]]`` table of a scenario makes one race from the rows of one
office. Real files are messy: what the reader mends (a name spelled in several cases, a repeated
row, a precinct without rows, a blank count) it says in a warning naming the rows, never
silently; what it cannot mend is a :class:`ScenarioError` naming the file, row and column.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import attrs
import numpy as np

from engine.formats.openelections import mend
from engine.formats.openelections import rows as files_
from engine.formats.openelections.rows import COLUMNS, Rows, first_index, name_rows
from engine.formats.openelections.rows import fold as _fold
from engine.formats.openelections.rows import name_key as _name_key
from engine.formats.toml_reader import Reader, type_name
from engine.records import Candidate, Figure, Race, RacePrecincts

if TYPE_CHECKING:
    from engine.records import Election

__all__ = ["AGAINST_ALL", "CAST", "COLUMNS", "INVALID", "REGISTERED", "read_tables"]

# The lines the writer (engine.formats.openelections.writer.to_csv) puts beside the
# candidates: the names its files are read back with.
AGAINST_ALL, REGISTERED, CAST, INVALID = ("Against All", "Registered Voters", "Ballots Cast",
                                          "Invalid Ballots")
_ROLES = ("against_all", "registered", "cast", "invalid")


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


# -- one race from its rows ---------------------------------------------------------------------
def read_tables(tables: list[tuple[int, Reader]], races: tuple[Race, ...], election: Election,
                base: Path) -> tuple[tuple[Race, ...], tuple[str, ...]]:
    """Make one race of every ``[[openelections]]`` table; return the races and the warnings."""
    parsed: dict[Path, files_.Parsed] = {}              # each file parsed once per load
    indexed: dict[tuple[Path, tuple], files_.File] = {}  # and indexed once per column mapping
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
            if key not in indexed:
                if path not in parsed:
                    parsed[path] = files_.parse(base / file, Path(file).name, r.fail)
                indexed[key] = files_.index(parsed[path], spec.columns, r.fail)
            loaded.append(indexed[key])
        race, notes = _race(spec, loaded, election, r.fail)
        out.append(race)
        warnings.extend(notes)
    return tuple(out), tuple(warnings)


def _n(count: int, word: str) -> str:
    return f"{count} {word}{'s' * (count != 1)}"


def _rows_of_race(spec: _Spec, files: list[files_.File], fail: Callable
                  ) -> tuple[Rows, dict[str, str], list[mend.Note]]:
    """The rows of the race, the precincts the files hold for other offices in the same county
    and district (unit -> as spelled), and notes."""
    want = {k: _fold(v) for k, v in (("office", spec.office), ("district", spec.district),
                                     ("county", spec.county)) if v is not None}
    for key in want:
        bare = next((f.name for f in files if f.at[key] < 0), None)
        if bare:
            fail(f"{bare} has no {key!r} column to select rows by", key)
    sel = files_.select(files, want, spec.lines, spec.aliases)
    notes: list[mend.Note] = []
    rows, scope = mend.merge_counties(sel.rows, sel.scope, files, notes)
    if rows.wide.any():  # precinct-wide lines count only in precincts the office has
        rows = rows.take(~rows.wide | np.isin(rows.unit, rows.unit[~rows.wide]))
    names = ", ".join(f.name for f in files)
    if rows.wide.all():
        if "office" in want:
            known = sorted({w for f in files for w in f.col["office"].words} - {""})
            fail(f"no rows for office {spec.office!r} in {names}"
                 + (f"; its offices: {', '.join(known[:20])}" if known else ""), "office")
        fail(f"no candidate rows in {names}", "files")
    if "office" not in want and len(sel.offices) > 1:
        fail(f"the rows of {names} hold {len(sel.offices)} offices; choose one with office = "
             "\"...\"", "office")
    if sel.unnamed.size:
        notes.append((sel.unnamed, "no candidate named: left out"))
    return rows, scope, notes


def _race(spec: _Spec, files: list[files_.File], election: Election, fail: Callable
          ) -> tuple[Race, list[str]]:
    """The race of one table, and its warnings (one line each)."""
    rows, scope, notes = _rows_of_race(spec, files, fail)
    names = [f.name for f in files]
    w = rows.words
    # Spellings: the office, precincts, candidates, parties.
    office = ~rows.wide  # of one folded office (the filter, or the file's only office)
    notes += mend.spellings(np.zeros(int(office.sum()), np.int64), rows.office[office],
                            w["office"], rows.ref[office], "office")[1]
    has_unit = mend.is_in(w["unit"], bool)  # by unit code: "" is a race-level row
    precinct = has_unit[rows.unit]
    unit_name, n = mend.spellings(rows.unit[precinct], rows.place[precinct], w["place"],
                                  rows.ref[precinct], "precinct")
    notes += n
    is_cand = mend.is_in(w["option"], lambda o: o.startswith("c:"))
    cand = is_cand[rows.option]
    cand_name, n = mend.spellings(rows.option[cand], rows.text[cand], w["text"],
                                  rows.ref[cand], "candidate")
    notes += n
    rows = mend.without_repeats(rows, files, notes)
    # Options: candidates in order of first appearance, then the four lines; precincts too
    # (in the order the file names them, fusion totals included).
    options = first_index(rows.option[is_cand[rows.option]])[0].tolist()
    units = first_index(rows.unit[has_unit[rows.unit]])[0].tolist()
    rows = mend.without_fusion_totals(rows, files, is_cand, cand_name, notes)
    if not options:
        fail(f"no candidate rows for office {spec.office!r}", "office")
    k = len(options)
    label = {o: w["text"][cand_name[o]] for o in options}
    column = np.full(len(w["option"]), -1, np.int64)
    column[options] = np.arange(k)
    for j, role in enumerate(_ROLES):
        if role in w["option"]:
            column[w["option"].index(role)] = k + j
    notes += mend.doubtful_candidates(rows, options, label)
    parties = mend.parties(rows, options, label, notes)

    unit_words = [w["unit"][u] for u in units]
    shown = [w["place"][unit_name[u]] for u in units]
    if len({x.split("\x1f")[0] for x in unit_words} - {""}) > 1:  # several counties
        distinct, last = np.unique(rows.unit[::-1], return_index=True)  # as its last row has it
        county = dict(zip(distinct.tolist(), rows.county[len(rows) - 1 - last].tolist(),
                          strict=True))
        shown = [f"{w['county'][county[u]]} / {name}" for u, name in zip(units, shown,
                                                                             strict=True)]
    u_count = len(units)  # race-level rows go to the extra row u_count
    position = np.full(len(w["unit"]), u_count, np.int64)
    position[units] = np.arange(u_count)
    bad = np.flatnonzero(rows.votes == files_.BAD)
    if bad.size:
        i = int(bad[0])
        raise files[rows.file[i]].count_error(int(rows.row[i]))
    u, c = position[rows.unit], column[rows.option]
    counts = mend.grid(rows.votes, u, c, (u_count + 1, k + len(_ROLES)))
    grid, totals = counts[:u_count], counts[u_count]

    # Precincts that report nothing are left out; blank cells elsewhere are unknown.
    silent = ~(grid >= 0).any(axis=1)
    for q in np.flatnonzero(silent):
        notes.append((rows.ref[u == q], f"precinct {shown[q]!r} gives no count (every votes "
                                        f"cell blank): left out of race {spec.race!r}"))
    in_silent = np.append(silent, False)[u]
    blanks = (rows.votes < 0) & ~in_silent & (c <= k)  # counts may be unpublished
    if blanks.any():
        notes.append((rows.ref[blanks], "votes blank: read as unknown"))
    keep = np.flatnonzero(~silent)
    grid = grid[keep]
    kept = [shown[i] for i in keep]
    present = set(unit_words)
    missing_units = [place for unit, place in scope.items() if unit not in present]
    warnings = [f"{name_rows(names, refs)}: {problem}" for refs, problem in notes]
    listed = ", ".join(dict.fromkeys(names))
    if missing_units:
        warnings.append(f"{listed}: race {spec.race!r}: no rows for "
                        f"{_n(len(missing_units), 'precinct')} the file has for other offices: "
                        + ", ".join(map(repr, missing_units[:20]))
                        + (" and more" if len(missing_units) > 20 else ""))
    warnings += _gaps(spec, grid, kept, [label[o] for o in options], listed)

    grid = grid.copy()
    grid[:, :k + 1][grid[:, :k + 1] == mend.MISSING] = 0   # no row for a candidate: no votes
    grid[grid == mend.MISSING] = -1                          # no count line: unknown
    first_office = np.flatnonzero(~rows.wide)
    office_name = (w["office"][rows.office[first_office[0]]] if first_office.size else ""
                   ) or spec.race
    race_level = np.flatnonzero(~has_unit[rows.unit])
    source = {int(rows.option[i]): f"{names[rows.file[i]]} row {rows.ref[i] & 0xFFFFFFFF}"
              for i in race_level}
    race = _make_race(spec, election, office_name, [label[o] for o in options],
                      [parties[o] for o in options], grid, totals, kept,
                      [source.get(o) for o in options])
    return race, warnings


def _gaps(spec: _Spec, grid: np.ndarray, ids: list[str], labels: list[str], names: str
          ) -> list[str]:
    """Warnings for lines missing in precincts: a candidate or the against-all line reads 0
    votes there, a count line (registered, cast, invalid) is unknown; a count line no precinct
    has is simply unpublished."""
    k = len(labels)
    labels = labels + [spec.named.get(r, r) for r in _ROLES]
    gone = grid == mend.MISSING
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


def _make_race(spec: _Spec, election: Election, office: str, names: list[str],
               parties: list[str], grid: np.ndarray, totals: np.ndarray, ids: list[str],
               sources: list[str | None]) -> Race:
    """The race: precinct rows when there are any, race-level rows as their published totals
    (``sources``: each candidate's race-level row); else the race-level rows are the race's own
    counts."""
    k = len(names)
    place = f"race[{spec.race}]"

    def count(j: int) -> int | None:
        return int(totals[j]) if totals[j] >= 0 else None

    registered, cast, invalid = count(k + 1), count(k + 2), count(k + 3)
    against_all = count(k)
    if not ids:
        if totals[k] == mend.MISSING:
            against_all = 0
        candidates = tuple(Candidate(name=n, party=p, votes=count(j))
                           for j, (n, p) in enumerate(zip(names, parties, strict=True)))
        return Race(id=spec.race, name=spec.name or office, area=spec.area,
                    candidates=candidates, place=place, registered=registered, cast=cast,
                    invalid=invalid, against_all=against_all,
                    share_basis=election.share_basis, date=spec.date)
    candidates = tuple(
        Candidate(name=n, party=p, published=(
            (Figure("votes", int(totals[j]), f"{place}.candidate[{j + 1}].votes", sources[j]),)
            if totals[j] >= 0 else ()))
        for j, (n, p) in enumerate(zip(names, parties, strict=True)))
    precincts = RacePrecincts(ids=np.array(ids), votes=grid[:, :k].copy(),
                          against_all=grid[:, k].copy(), registered=grid[:, k + 1].copy(),
                          cast=grid[:, k + 2].copy(), invalid=grid[:, k + 3].copy())
    return Race(id=spec.race, name=spec.name or office, area=spec.area, candidates=candidates,
                place=place, registered=registered, cast=cast, invalid=invalid,
                against_all=against_all, share_basis=election.share_basis, date=spec.date,
                precincts=precincts)
