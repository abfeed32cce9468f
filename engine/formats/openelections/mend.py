"""Mending the rows of one OpenElections race: what a messy file says in several ways is read
one way, with a note naming the rows, or refused when it cannot be.

Each step takes the race's :class:`~engine.formats.openelections.rows.Rows` (arrays of codes) and
appends its notes: :func:`merge_counties` (a precinct whose county is blank in some rows),
:func:`spellings` (a name spelled several ways), :func:`without_repeats` (a row given twice),
:func:`without_fusion_totals` (a candidate's total beside its party lines), :func:`parties`
(each candidate's party), :func:`doubtful_candidates` (lines that look like no candidate, or
like another spelled otherwise); :func:`grid` sums the rows into precincts x lines.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable

import attrs
import numpy as np

from engine.errors import ScenarioError
from engine.formats.openelections import rows as files_
from engine.formats.openelections.rows import Rows, first_index, name_rows
from engine.formats.openelections.rows import fold as _fold

__all__ = ["MISSING", "NOT_CANDIDATES", "Note", "doubtful_candidates", "grid", "is_in",
           "merge_counties", "parties", "spellings", "without_fusion_totals",
           "without_repeats"]

MISSING = -2       # no row at all (a blank cell is -1, unknown)
# Lines that are usually not candidates; read as one, they earn a warning.
NOT_CANDIDATES = {"none of these candidates", "none of the above", "against all",
                  "против всех", "барлығына қарсы", "total", "total votes", "votes",
                  "over votes", "overvotes", "under votes", "undervotes", "registered voters",
                  "ballots cast", "times cast", "times counted", "blank", "invalid", "spoiled"}


def is_in(words: list[str], test: Callable[[str], bool]) -> np.ndarray:
    """(len(words),) bool: ``test`` of each word (index it with codes for a row mask)."""
    return np.fromiter(map(test, words), bool, count=len(words))


# A note: the rows it is about (refs: file index << 32 | row number) and the problem.
Note = tuple[np.ndarray, str]


def merge_counties(rows: Rows, scope: dict[str, str], files: list[files_.File],
                   notes: list[Note]) -> tuple[Rows, dict[str, str]]:
    """Rows of a precinct with a blank county where the file's other rows of the race give that
    precinct a county: read in that county when there is exactly one (with a note), refused
    when there are several. (Apart, they would make a second precinct of the same name.)"""
    units = rows.words["unit"]
    blank = is_in(units, lambda u: u.startswith("\x1f"))
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


def spellings(key: np.ndarray, text: np.ndarray, words: list[str], refs: np.ndarray,
               what: str) -> tuple[dict[int, int], list[Note]]:
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
    notes: list[Note] = []
    if others.size:
        key_first: dict[int, int] = {}
        for k, f in sorted(zip(keys.tolist(), first.tolist(), strict=True), key=lambda x: x[1]):
            key_first.setdefault(k, f)
        in_order = sorted(others.tolist(), key=lambda j: (key_first[int(keys[j])], first[j]))
        by_pair = np.argsort(inverse, kind="stable")
        bounds = np.searchsorted(inverse[by_pair], np.arange(len(distinct) + 1))
        for j in in_order:
            k = int(keys[j])
            notes.append((refs[by_pair[bounds[j]:bounds[j + 1]]],
                          f"{what} {words[spelled[j]]!r} read as {words[chosen[k]]!r} (so "
                          f"spelled in {rows_of_chosen[k]} rows)"))
    return chosen, notes


def without_repeats(rows: Rows, files: list[files_.File], notes: list[Note]) -> Rows:
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


def without_fusion_totals(rows: Rows, files: list[files_.File], is_cand: np.ndarray,
                          cand_name: dict[int, int], notes: list[Note]) -> Rows:
    """A candidate's row without a party beside its rows with a party in the same precinct is
    the usual "fusion" total (DEM 100, WFP 20, and 120 with no party): left out, with a note,
    when it is their sum (or all are blank); refused when it is not, since counting both would
    count the votes twice. (A cell that is not a count is left for the votes check.)

    is_cand : by option code, whether it is a candidate
    """
    w = rows.words
    at = np.flatnonzero(is_cand[rows.option])
    blank = is_in(w["party_key"], lambda p: p == "")[rows.party_key[at]]
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


def grid(votes: np.ndarray, unit: np.ndarray, column: np.ndarray, shape: tuple[int, int]
         ) -> np.ndarray:
    """Rows summed into a (units, columns) int64 grid: a cell is the sum of its rows (a
    candidate's party lines add up), -1 when one of them is blank, MISSING without a row.

    votes, unit, column : (N,) int64, votes -1 where blank
    """
    cell = unit * shape[1] + column
    size = shape[0] * shape[1]
    total = np.zeros(size, np.int64)  # int64 sums, exact (float weights would not be)
    np.add.at(total, cell, np.maximum(votes, 0))
    blank = np.bincount(cell[votes < 0], minlength=size) > 0
    present = np.bincount(cell, minlength=size) > 0
    return np.where(~present, MISSING, np.where(blank, -1, total)).reshape(shape)


def doubtful_candidates(rows: Rows, options: list[int], name: dict[int, str]
                        ) -> list[Note]:
    """Lines that look like no candidate (a total, none of these), and pairs of names that look
    like one candidate spelled two ways (kept apart: ``aliases`` merges them)."""
    option_words = rows.words["option"]
    refs = {o: rows.ref[rows.option == o] for o in options}
    notes = []
    for o in options:
        if _fold(name[o]) in NOT_CANDIDATES:
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


def parties(rows: Rows, options: list[int], name: dict[int, str], notes: list[Note]
            ) -> dict[int, str]:
    """Each candidate's party (the most frequent non-blank cell, first seen on a tie;
    "Independent" with none); a second party (folded) is noted, its votes summed."""
    w = rows.words
    is_cand = is_in(w["option"], lambda o: o.startswith("c:"))
    with_party = is_in(w["party"], bool)[rows.party] & is_cand[rows.option]
    option, refs = rows.option[with_party], rows.ref[with_party]
    spelled, _ = spellings(option, rows.party[with_party], w["party"], refs, "party")
    chosen = {o: w["party"][spelled[o]] if o in spelled else "Independent" for o in options}
    # Parties other than the chosen one once folded: per candidate, in order of first sight.
    width = len(w["party_key"])
    pair = option * width + rows.party_key[with_party]
    distinct, first = np.unique(pair, return_index=True)
    others = sorted((d // width, f, d) for d, f in zip(distinct.tolist(), first.tolist(),
                                                        strict=True)
                    if w["party_key"][d % width] != _fold(chosen[d // width]))
    order = {o: i for i, o in enumerate(options)}
    for o, _, d in sorted(others, key=lambda x: (order[x[0]], x[1])):
        notes.append((refs[pair == d], f"a second party for {name[o]!r}: its votes are summed "
                                       f"under party {chosen[o]!r}"))
    return chosen
