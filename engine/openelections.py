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
import re
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import attrs
import numpy as np

from engine import openelections_files as files_
from engine._reader import Reader, type_name
from engine.errors import ScenarioError
from engine.openelections_files import COLUMNS, Rows, first_index, name_rows
from engine.openelections_files import fold as _fold
from engine.openelections_files import name_key as _name_key
from engine.scenario import Candidate, Figure, Precincts, Race

if TYPE_CHECKING:
    from engine.replay import Replay
    from engine.scenario import Election

__all__ = ["AGAINST_ALL", "CAST", "COLUMNS", "INVALID", "REGISTERED", "read_tables", "to_csv"]

# The lines :func:`to_csv` writes beside the candidates (the names its files are read back with).
AGAINST_ALL, REGISTERED, CAST, INVALID = ("Against All", "Registered Voters", "Ballots Cast",
                                          "Invalid Ballots")
_ROLES = ("against_all", "registered", "cast", "invalid")
_MISSING = -2       # no row at all (a blank cell is -1, unknown)
# Lines that are usually not candidates; read as one, they earn a warning.
_NOT_CANDIDATES = {"none of these candidates", "none of the above", "against all",
                   "против всех", "барлығына қарсы", "total", "total votes", "votes",
                   "over votes", "overvotes", "under votes", "undervotes", "registered voters",
                   "ballots cast", "times cast", "times counted", "blank", "invalid", "spoiled"}


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


def _is(words: list[str], test: Callable[[str], bool]) -> np.ndarray:
    """(len(words),) bool: ``test`` of each word (index it with codes for a row mask)."""
    return np.fromiter(map(test, words), bool, count=len(words))


# A note: the rows it is about (refs: file index << 32 | row number) and the problem.
_Note = tuple[np.ndarray, str]


def _rows_of_race(spec: _Spec, files: list[files_.File], fail: Callable) -> tuple[Rows, dict,
                                                                                   list[_Note]]:
    """The rows of the race, the precincts the files hold for other offices in the same county
    and district (unit -> as spelled), and notes."""
    want = {k: _fold(v) for k, v in (("office", spec.office), ("district", spec.district),
                                     ("county", spec.county)) if v is not None}
    for key in want:
        bare = next((f.name for f in files if f.at[key] < 0), None)
        if bare:
            fail(f"{bare} has no {key!r} column to select rows by", key)
    sel = files_.select(files, want, spec.lines, spec.aliases)
    notes: list[_Note] = []
    rows, scope = _merge_counties(sel.rows, sel.scope, files, notes)
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


def _merge_counties(rows: Rows, scope: dict[str, str], files: list[files_.File],
                    notes: list[_Note]) -> tuple[Rows, dict[str, str]]:
    """Rows of a precinct with a blank county where the file's other rows of the race give that
    precinct a county: read in that county when there is exactly one (with a note), refused
    when there are several. (Apart, they would make a second precinct of the same name.)"""
    units = rows.words["unit"]
    blank = _is(units, lambda u: u.startswith("\x1f"))
    if not blank[rows.unit].any():
        return rows, scope
    pair = rows.file * len(units) + rows.unit
    distinct, first = np.unique(pair, return_index=True)
    counties: dict[tuple[int, str], dict[str, int]] = {}
    for d, i in zip(distinct.tolist(), first.tolist(), strict=True):
        county, _, name = units[d % len(units)].partition("\x1f")
        if county:
            counties.setdefault((d // len(units), name), {}).setdefault(county, i)
    target = {}
    for d in distinct.tolist():
        f, u = divmod(d, len(units))
        found = counties.get((f, units[u][1:])) if blank[u] else None
        if not found:
            continue
        if len(found) > 1:
            i = int(np.flatnonzero(pair == d)[0])
            given = ", ".join(f"{rows.word('county', j)!r} in row {rows.ref[j] & 0xFFFFFFFF}"
                              for j in found.values())
            raise ScenarioError(files[f].name, f"row {rows.ref[i] & 0xFFFFFFFF}",
                                f"precinct {rows.word('place', i)!r} has no county, and the "
                                f"file's rows of the race give it {len(found)} ({given}): fill "
                                "in its county")
        target[d] = next(iter(found.values()))  # a row of the county's precinct
    if not target:
        return rows, scope
    moved = np.isin(pair, list(target))
    source = np.array([target[d] for d in pair[moved].tolist()], np.int64)
    examples = [f"{rows.word('place', i)!r} in {rows.word('county', i)!r}"
                for i in dict.fromkeys(source.tolist())]
    notes.append((rows.ref[moved], "no county: read in the only county the file's rows of the "
                                   f"race give the precinct ({', '.join(examples[:3])}"
                                   f"{' and more' if len(examples) > 3 else ''})"))
    merged = {units[d % len(units)]: units[rows.unit[i]] for d, i in target.items()}
    scope = {merged.get(u, u): place for u, place in scope.items()}
    unit, county = rows.unit.copy(), rows.county.copy()
    unit[moved], county[moved] = rows.unit[source], rows.county[source]
    return attrs.evolve(rows, unit=unit, county=county), scope


def _spellings(key: np.ndarray, text: np.ndarray, words: list[str], refs: np.ndarray,
               what: str) -> tuple[dict[int, int], list[_Note]]:
    """The most frequent spelling (a code into ``words``) of each key (first seen on a tie),
    and a note for every other spelling naming its rows (keys, then spellings, as first seen).

    key, text, refs : (M,) int64, the rows that have a key
    """
    if not key.size:
        return {}, []
    keys, first, inverse = np.unique(key, return_index=True, return_inverse=True)
    if (text == text[first][inverse.reshape(-1)]).all():  # one spelling each: the usual case
        return dict(zip(keys.tolist(), text[first].tolist(), strict=True)), []
    pair = key * len(words) + text
    distinct, first, inverse, counts = np.unique(pair, return_index=True, return_inverse=True,
                                                 return_counts=True)
    inverse = inverse.reshape(-1)
    keys, spelled = distinct // len(words), distinct % len(words)
    order = np.lexsort((first, -counts, keys))
    lead = order[np.flatnonzero(np.diff(keys[order], prepend=-1))]
    chosen = dict(zip(keys[lead].tolist(), spelled[lead].tolist(), strict=True))
    rows_of_chosen = dict(zip(keys[lead].tolist(), counts[lead].tolist(), strict=True))
    others = np.flatnonzero(spelled != np.array([chosen[k] for k in keys.tolist()]))
    notes: list[_Note] = []
    if others.size:
        key_first = {}
        for k, f in sorted(zip(keys.tolist(), first.tolist(), strict=True), key=lambda x: x[1]):
            key_first.setdefault(k, f)
        others = sorted(others.tolist(), key=lambda j: (key_first[keys[j]], first[j]))
        by_pair = np.argsort(inverse, kind="stable")
        bounds = np.searchsorted(inverse[by_pair], np.arange(len(distinct) + 1))
        for j in others:
            k = int(keys[j])
            notes.append((refs[by_pair[bounds[j]:bounds[j + 1]]],
                          f"{what} {words[spelled[j]]!r} read as {words[chosen[k]]!r} (so "
                          f"spelled in {rows_of_chosen[k]} rows)"))
    return chosen, notes


def _race(spec: _Spec, files: list[files_.File], election: Election, fail: Callable
          ) -> tuple[Race, list[str]]:
    rows, scope, notes = _rows_of_race(spec, files, fail)
    names = [f.name for f in files]
    w = rows.words
    # Spellings: the office, precincts, candidates, parties.
    office = ~rows.wide  # of one folded office (the filter, or the file's only office)
    notes += _spellings(np.zeros(int(office.sum()), np.int64), rows.office[office],
                        w["office"], rows.ref[office], "office")[1]
    has_unit = _is(w["unit"], bool)  # by unit code: "" is a race-level row
    precinct = has_unit[rows.unit]
    unit_name, n = _spellings(rows.unit[precinct], rows.place[precinct], w["place"],
                              rows.ref[precinct], "precinct")
    notes += n
    is_cand = _is(w["option"], lambda o: o.startswith("c:"))
    cand = is_cand[rows.option]
    cand_name, n = _spellings(rows.option[cand], rows.text[cand], w["text"], rows.ref[cand],
                              "candidate")
    notes += n
    rows = _without_repeats(rows, files, notes)
    # Options: candidates in order of first appearance, then the four lines; precincts too
    # (in the order the file names them, fusion totals included).
    options = first_index(rows.option[is_cand[rows.option]])[0].tolist()
    units = first_index(rows.unit[has_unit[rows.unit]])[0].tolist()
    rows = _without_fusion_totals(rows, files, is_cand, cand_name, notes)
    if not options:
        fail(f"no candidate rows for office {spec.office!r}", "office")
    k = len(options)
    label = {o: w["text"][cand_name[o]] for o in options}
    column = np.full(len(w["option"]), -1, np.int64)
    column[options] = np.arange(k)
    for j, role in enumerate(_ROLES):
        if role in w["option"]:
            column[w["option"].index(role)] = k + j
    notes += _doubtful_candidates(rows, options, label)
    parties = _parties(rows, options, label, notes)

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
    counts = _grid(rows.votes, u, c, (u_count + 1, k + len(_ROLES)))
    grid, totals = counts[:u_count], counts[u_count]

    # Precincts that report nothing are left out; blank cells elsewhere are unknown.
    silent = ~(grid >= 0).any(axis=1)
    for i in np.flatnonzero(silent):
        notes.append((rows.ref[u == i], f"precinct {shown[i]!r} gives no count (every votes "
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
    grid[:, :k + 1][grid[:, :k + 1] == _MISSING] = 0   # no row for a candidate: no votes
    grid[grid == _MISSING] = -1                          # no count line: unknown
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


def _without_repeats(rows: Rows, files: list[files_.File], notes: list[_Note]) -> Rows:
    """Rows of the same precinct, party and line: counted once when their votes agree (with a
    note), refused when they do not."""
    width = (len(rows.words["option"]), len(rows.words["party_key"]))
    key = (rows.unit * width[0] + rows.option) * width[1] + rows.party_key
    _, first, inverse = np.unique(key, return_index=True, return_inverse=True)
    original = first[inverse.reshape(-1)]
    later = np.flatnonzero(original != np.arange(len(rows)))
    if not later.size:
        return rows
    differ = later[rows.votes[later] != rows.votes[original[later]]]
    if differ.size:
        i = int(differ[0])
        j = int(original[i])
        f, g = files[rows.file[i]], files[rows.file[j]]
        raise ScenarioError(f.name, f"row {f.numbers[rows.row[i]]}",
                            f"repeats row {g.numbers[rows.row[j]]}"
                            f"{'' if f is g else ' of ' + g.name} (precinct "
                            f"{rows.word('place', i)!r}, {rows.word('text', i)!r}) with "
                            f"{f.votes_cell(rows.row[i]) or 'blank'} votes, not "
                            f"{g.votes_cell(rows.row[j]) or 'blank'}")
    repeated = int(rows.ref[original[later[0]]] & 0xFFFFFFFF)
    which = (f"repeats row {repeated}" if later.size == 1 else
             f"repeat earlier rows (the first repeats row {repeated})")
    notes.append((rows.ref[later], f"{which}: same precinct, office, party, line and votes; "
                                   "counted once"))
    kept = np.ones(len(rows), bool)
    kept[later] = False
    return rows.take(kept)


def _without_fusion_totals(rows: Rows, files: list[files_.File], is_cand: np.ndarray,
                           cand_name: dict[int, int], notes: list[_Note]) -> Rows:
    """A candidate's row without a party beside its rows with a party in the same precinct is
    the usual "fusion" total (DEM 100, WFP 20, and 120 with no party): left out, with a note,
    when it is their sum (or all are blank); refused when it is not, since counting both would
    count the votes twice. (A cell that is not a count is left for the votes check.)

    is_cand : by option code, whether it is a candidate
    """
    w = rows.words
    at = np.flatnonzero(is_cand[rows.option])
    blank = _is(w["party_key"], lambda p: p == "")[rows.party_key[at]]
    if blank.all() or not blank.any():
        return rows
    _, group = np.unique(rows.unit[at] * len(w["option"]) + rows.option[at],
                         return_inverse=True)
    group = group.reshape(-1)
    n = int(group.max()) + 1
    votes = rows.votes[at]
    mixed = (np.bincount(group[blank], minlength=n) > 0) & (np.bincount(group[~blank],
                                                                        minlength=n) > 0)
    if not mixed.any():
        return rows
    parted = ~blank
    party_sum = np.zeros(n, np.int64)
    np.add.at(party_sum, group[parted], np.maximum(votes[parted], 0))
    unknown = np.bincount(group[parted], weights=votes[parted] == -1, minlength=n) > 0
    every_unknown = np.bincount(group[parted], weights=votes[parted] != -1, minlength=n) == 0
    bad = np.bincount(group, weights=votes == files_.BAD, minlength=n) > 0
    total = np.full(n, -1, np.int64)
    total[group[blank]] = votes[blank]  # one row per group: repeats are gone
    is_total = mixed & ~bad & (((total >= 0) & ~unknown & (total == party_sum))
                               | ((total == -1) & every_unknown))
    wrong = np.flatnonzero(mixed[group] & blank & ~bad[group] & ~is_total[group])
    if wrong.size:
        i = int(at[wrong[0]])
        g = group[wrong[0]]
        others = at[(group == g) & parted]
        f = files[rows.file[i]]
        where = (f"in precinct {rows.word('place', i)!r}" if rows.word("unit", i)
                 else "in the race's totals")
        given = str(party_sum[g]) if not unknown[g] else "blank"
        parties = ", ".join(dict.fromkeys(rows.word("party", j) for j in others))
        listed = name_rows([x.name for x in files], rows.ref[others])
        if (rows.file[others] == rows.file[i]).all():
            listed = listed.split(": ", 1)[1]  # rows of the same file: no need to name it
        raise ScenarioError(f.name, f"row {f.numbers[rows.row[i]]}",
                            f"{w['text'][cand_name[int(rows.option[i])]]!r} has "
                            f"{f.votes_cell(rows.row[i]) or 'blank'} votes without a party "
                            f"{where}, and {listed} give{'s' * (len(others) == 1)} {given} "
                            f"with a party ({parties}): not their total; give the row its "
                            "party, or leave it out")
    dropped = at[blank & is_total[group]]
    for o in first_index(rows.option[dropped])[0].tolist():
        notes.append((rows.ref[dropped[rows.option[dropped] == o]],
                      f"{w['text'][cand_name[o]]!r} without a party is the sum of the "
                      "candidate's rows with a party in the same precinct: read as their total "
                      "and left out"))
    keep = np.ones(len(rows), bool)
    keep[dropped] = False
    return rows.take(keep)


def _grid(votes: np.ndarray, unit: np.ndarray, column: np.ndarray, shape: tuple[int, int]
          ) -> np.ndarray:
    """Rows summed into a (units, columns) int64 grid: a cell is the sum of its rows (fusion
    lines of one candidate add up), -1 when one of them is blank, _MISSING without a row.

    votes, unit, column : (N,) int64, votes -1 where blank
    """
    cell = unit * shape[1] + column
    size = shape[0] * shape[1]
    total = np.bincount(cell, weights=np.maximum(votes, 0), minlength=size)
    blank = np.bincount(cell, weights=votes < 0, minlength=size)
    present = np.bincount(cell, minlength=size) > 0
    total = np.rint(total).astype(np.int64)
    return np.where(~present, _MISSING, np.where(blank > 0, -1, total)).reshape(shape)


def _doubtful_candidates(rows: Rows, options: list[int], name: dict[int, str]
                         ) -> list[_Note]:
    """Lines that look like no candidate (a total, none of these), and pairs of names that look
    like one candidate spelled two ways (kept apart: ``aliases`` merges them)."""
    option_words = rows.words["option"]
    refs = {o: rows.ref[rows.option == o] for o in options}
    notes = []
    for o in options:
        if _fold(name[o]) in _NOT_CANDIDATES:
            notes.append((refs[o], f"the line {name[o]!r} is read as a candidate; if it is not "
                                   "one, map it (against_all, registered, cast, invalid) or "
                                   "leave it out (skip)"))
    numbers = {o: re.findall(r"\d+", option_words[o]) for o in options}
    for i, a in enumerate(options):
        for b in options[i + 1:]:
            ka, kb = option_words[a][2:], option_words[b][2:]
            if numbers[a] != numbers[b]:  # "candidate 1" and "candidate 2" are two lines
                continue
            if sorted(ka.split()) == sorted(kb.split()) or \
                    difflib.SequenceMatcher(None, ka, kb).ratio() >= 0.85:
                notes.append((np.concatenate([refs[a], refs[b]]),
                              f"{name[a]!r} and {name[b]!r} may be one candidate spelled two "
                              f'ways: kept apart (aliases = {{ "{name[b]}" = "{name[a]}" }} '
                              "merges them)"))
    return notes


def _parties(rows: Rows, options: list[int], name: dict[int, str], notes: list[_Note]
             ) -> dict[int, str]:
    """Each candidate's party (the most frequent non-blank cell, first seen on a tie;
    "Independent" with none); a second party (folded) is noted, its votes summed."""
    w = rows.words
    with_party = _is(w["party"], bool)[rows.party] & _is(w["option"], lambda o: o[:2] == "c:"
                                                         )[rows.option]
    option, refs = rows.option[with_party], rows.ref[with_party]
    spelled, _ = _spellings(option, rows.party[with_party], w["party"], refs, "party")
    parties = {o: w["party"][spelled[o]] if o in spelled else "Independent" for o in options}
    # Parties that are not the chosen one once folded, each candidate's in order of first sight.
    pair = option * len(w["party_key"]) + rows.party_key[with_party]
    distinct, first = np.unique(pair, return_index=True)
    seconds = [(int(first[j]), int(d)) for j, d in enumerate(distinct.tolist()) if
               w["party_key"][d % len(w["party_key"])] != _fold(parties[d // len(w["party_key"])])]
    for o in options:
        for _, d in sorted(x for x in seconds if x[1] // len(w["party_key"]) == o):
            notes.append((refs[pair == d], f"a second party for {name[o]!r}: its votes are "
                                           f"summed under party {parties[o]!r}"))
    return parties


def _gaps(spec: _Spec, grid: np.ndarray, ids: list[str], labels: list[str], names: str
          ) -> list[str]:
    """Warnings for lines missing in precincts: a candidate or the against-all line reads 0
    votes there, a count line (registered, cast, invalid) is unknown; a count line no precinct
    has is simply unpublished."""
    k = len(labels)
    labels = labels + [spec.named.get(r, r) for r in _ROLES]
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
        if totals[k] == _MISSING:
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
