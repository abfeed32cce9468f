"""Mending the rows of a table's races: what a messy file says in several ways is read one way,
with a note naming the rows, or refused when it cannot be.

Each step works on every race of the table at once: :func:`spellings` (a name spelled several
ways), :func:`merge_counties` (a precinct whose county is blank in some rows), :func:`repeats`
(a line given on several rows: refused, summed or the first kept, as the table says),
:func:`without_fusion_totals` (a candidate's total beside its party lines), :func:`parties`
(each candidate's party), :func:`doubtful_candidates` (lines that look like no candidate, or
like another spelled otherwise).
"""

from __future__ import annotations

import difflib
import functools
import re
from collections.abc import Callable

import attrs
import numpy as np

from engine.errors import ScenarioError
from engine.formats.openelections import rows as files_
from engine.formats.openelections.codes import first_index, name_rows, runs_codes
from engine.formats.openelections.rows import Rows
from engine.formats.openelections.vocabulary import fold

__all__ = ["NOT_CANDIDATES", "REPEATS", "Note", "doubtful_candidates", "doubtful_counties",
           "is_in",
           "merge_counties", "parties", "repeats", "spellings", "without_fusion_totals"]

REPEATS = ("refuse", "sum", "first")
_EXAMPLES = 2      # repeats shown in a refusal
_DENSE = 1 << 24   # (keys x spellings) up to this many: counted in one array, no hash
# Lines that are usually not candidates; read as one, they earn a warning.
NOT_CANDIDATES = {"none of these candidates", "none of the above", "against all",
                  "против всех", "барлығына қарсы", "times counted", "invalid"}


def is_in(words: list[str], test: Callable[[str], bool]) -> np.ndarray:
    """(len(words),) bool: ``test`` of each word (index it with codes for a row mask)."""
    return np.fromiter(map(test, words), bool, count=len(words))


# A note: the rows it is about (refs: file index << 32 | row number) and the problem.
Note = tuple[np.ndarray, str]


def spellings(key: np.ndarray, text: np.ndarray, words: list[str], refs: np.ndarray,
              what: str) -> tuple[dict[int, int], list[Note]]:
    """The most frequent spelling (a code into ``words``) of each key (first seen on a tie),
    and a note for every other spelling naming its rows (keys, then spellings, as first seen).
    The (key, spelling) pairs are coded by a hash table, their rows counted: no sort of the
    rows.

    key, text, refs : (M,) int64, the rows that have a key
    """
    if not key.size:
        return {}, []
    pair = key.astype(np.int64) * len(words) + text
    if (int(key.max()) + 1) * len(words) <= _DENSE:  # few pairs possible: count them all
        every = np.bincount(pair)
        distinct = np.flatnonzero(every)
        firsts = np.full(every.size, pair.size, np.int64)
        np.minimum.at(firsts, pair, np.arange(pair.size))  # each pair's first row
        order = np.argsort(firsts[distinct], kind="stable")
        distinct, counts = distinct[order], every[distinct[order]]
        renumber = np.empty(every.size, np.int64)
        renumber[distinct] = np.arange(distinct.size)
        codes = renumber[pair]
    else:
        codes, distinct, _ = runs_codes(pair)
        counts = np.bincount(codes, minlength=distinct.size)
    keys, spelled = distinct // len(words), distinct % len(words)
    # pairs in order of first appearance: the most frequent spelling of a key, first on a tie
    order = np.lexsort((np.arange(keys.size), -counts, keys))
    lead = order[np.flatnonzero(np.diff(keys[order], prepend=-1))]
    chosen = dict(zip(keys[lead].tolist(), spelled[lead].tolist(), strict=True))
    if keys.size == len(chosen):  # one spelling each: the usual case
        return chosen, []
    rows_of_chosen = dict(zip(keys[lead].tolist(), counts[lead].tolist(), strict=True))
    others = np.flatnonzero(spelled != np.array([chosen[k] for k in keys.tolist()]))
    key_first: dict[int, int] = {}
    for j, k in enumerate(keys.tolist()):  # pairs come in order of first appearance
        key_first.setdefault(k, j)
    notes: list[Note] = []
    for j in sorted(others.tolist(), key=lambda j: (key_first[int(keys[j])], j)):
        k = int(keys[j])
        notes.append((refs[codes == j], f"{what} {words[spelled[j]]!r} read as "
                      f"{words[chosen[k]]!r} (so spelled in {rows_of_chosen[k]} rows)"))
    return chosen, notes


def merge_counties(rows: Rows, files: list[files_.File], notes: list[Note]) -> Rows:
    """Rows of a precinct with a blank county where the file's rows of the race give that
    precinct a county: read in that county when there is exactly one (with a note), refused
    when there are several. (Apart, they would make a second precinct of the same name.)"""
    units = rows.words["unit"]
    blank = is_in(units, lambda u: u.startswith("\x1f"))
    if not blank[rows.unit].any():
        return rows
    names = {u[1:] for u, b in zip(units, blank, strict=True) if b}
    candidate = is_in(units, lambda u: u.partition("\x1f")[2] in names)[rows.unit]
    at = np.flatnonzero(candidate)
    counties: dict[tuple[int, int, str], dict[str, int]] = {}
    for i in at.tolist():
        county, _, name = units[rows.unit[i]].partition("\x1f")
        if county:  # by race, and (race -1) for a precinct-wide line of any race
            for race in {int(rows.race[i]), -1}:
                key = (race, int(rows.file[i]), name)
                counties.setdefault(key, {}).setdefault(county, i)
    moved, source = [], []
    for i in at.tolist():
        county, _, name = units[rows.unit[i]].partition("\x1f")
        if county:
            continue
        found = counties.get((int(rows.race[i]), int(rows.file[i]), name))
        if not found:
            continue
        if len(found) > 1:
            f = files[rows.file[i]]
            given = ", ".join(f"{rows.word('county_shown', j)!r} in row "
                              f"{rows.ref[j] & 0xFFFFFFFF}" for j in found.values())
            raise ScenarioError(f.name, f"row {rows.ref[i] & 0xFFFFFFFF}",
                                f"precinct {rows.word('place', i)!r} has no county, and the "
                                f"file's rows of the race give it {len(found)} ({given}): fill "
                                "in its county")
        moved.append(i)
        source.append(next(iter(found.values())))
    if not moved:
        return rows
    m, src = np.array(moved), np.array(source)
    examples = [f"{rows.word('place', j)!r} in {rows.word('county_shown', j)!r}"
                for j in dict.fromkeys(src.tolist())]
    notes.append((rows.ref[m], "no county: read in the only county the file's rows of the "
                               f"race give the precinct ({', '.join(examples[:3])}"
                               f"{' and more' if len(examples) > 3 else ''})"))
    changed = {name: getattr(rows, name).copy() for name in ("unit", "county", "county_shown",
                                                             "county_real")}
    for values in changed.values():
        values[m] = values[src]
    return attrs.evolve(rows, **changed)


def repeats(rows: Rows, cell: np.ndarray, size: int, policy: str, files: list[files_.File],
            notes: list[Note]) -> np.ndarray:
    """Rows of one line (the same race, precinct, line and party) given several times: refused
    in one line counting them all, summed (kept as they are), or the first kept; returns the
    rows to keep (a mask). Identical rows are never merged silently: two vote blocks can hold
    the same votes. ``cell`` (M,) is each row's cell among ``size`` (its race's grid)."""
    keep = np.ones(len(rows), bool)
    maybe = np.flatnonzero((np.bincount(cell, minlength=size) > 1)[cell])
    if not maybe.size:  # one row per cell: the usual case, settled without a sort
        return keep
    # A line is a candidate (by name key) or a count line by its own name: over and under
    # votes are two lines of one role.
    option = rows.option[maybe]
    line = np.where(is_in(rows.words["option"], lambda o: o.startswith("c:"))[option],
                    option, len(rows.words["option"]) + rows.text[maybe])
    key = (cell[maybe] * (len(rows.words["option"]) + len(rows.words["text"])) + line) \
        * max(len(rows.words["party_key"]), 1) + rows.party_key[maybe]
    inverse, _, first = runs_codes(key)  # keys numbered as they first appear: no sort
    counts = np.bincount(inverse)
    repeated = counts[inverse] > 1
    if not repeated.any():
        return keep
    at = maybe[repeated]                     # every row of a repeated line
    later = maybe[repeated & (np.arange(key.size) != first[inverse])]
    lines = int((counts > 1).sum())
    if policy == "refuse":
        order = np.argsort(first[inverse][repeated], kind="stable")
        groups: dict[int, list[int]] = {}
        for j in order.tolist():
            groups.setdefault(int(inverse[repeated][j]), []).append(int(at[j]))

        def cast_votes(j: int) -> str:
            f = files[rows.file[j]]
            v = (f.cell("votes", rows.row(j, files)) if f.at["votes"] >= 0
                 else str(rows.votes[j]) if rows.votes[j] >= 0 else "")
            return v or "blank"

        shown = []
        for members in list(groups.values())[:_EXAMPLES]:
            i = members[0]
            district = rows.word("district", i)
            votes = " and ".join(map(cast_votes, members[:4])) + (" ..." if len(members) > 4
                                                                  else "")
            shown.append(f"rows {', '.join(str(rows.ref[j] & 0xFFFFFFFF) for j in members)}: "
                         f"{rows.place_of(i)!r}, {rows.word('office', i)}"
                         f"{' ' + district if district else ''}, {rows.word('text', i)!r} "
                         f"({votes} votes)")
        more = f"; and {lines - len(shown):,} more" if lines > len(shown) else ""
        first_file = files[rows.file[at[order[0]]]]
        raise ScenarioError(first_file.name, "", (
            f"{lines:,} line{'s' * (lines != 1)} given on several rows ({at.size:,} rows): "
            + "; ".join(shown) + more + ': sum them (repeats = "sum": vote methods, split '
            'precincts), keep the first (repeats = "first") or fix the file'))
    if policy == "first":
        keep[later] = False
        original = int(rows.ref[maybe[first[inverse[np.searchsorted(maybe, later[0])]]]]
                       & 0xFFFFFFFF)
        which = (f"repeats row {original}" if later.size == 1 else
                 f"repeat earlier rows (the first repeats row {original})")
        notes.append((rows.ref[later], f"{which}: same precinct, office, party and line; left "
                                       'out (repeats = "first" keeps the first)'))
    else:
        notes.append((rows.ref[at], f"{lines:,} line{'s' * (lines != 1)} given on several "
                      'rows: summed (repeats = "sum")'))
    return keep


def without_fusion_totals(rows: Rows, cell: np.ndarray, is_cand: np.ndarray,
                          label: Callable[[int], str], files: list[files_.File],
                          notes: list[Note]) -> np.ndarray:
    """A candidate's row without a party beside its rows with a party in the same precinct is
    the usual "fusion" total (DEM 100, WFP 20, and 120 with no party): left out, with a note,
    when it is their sum (or all are blank); refused when it is not, since counting both would
    count the votes twice. (A cell that is not a count is left for the votes check.) Returns
    the rows to keep (a mask).

    is_cand : by option code, whether it is a candidate; label(i): row i's candidate's name
    """
    w = rows.words
    keep = np.ones(len(rows), bool)
    blank_row = is_in(w["party_key"], lambda p: p == "")[rows.party_key]
    n_opt = len(w["option"])
    mixed_option = ((np.bincount(rows.option[blank_row], minlength=n_opt) > 0)
                    & (np.bincount(rows.option[~blank_row], minlength=n_opt) > 0) & is_cand)
    if not mixed_option.any():  # no candidate has rows with and without a party: the usual case
        return keep
    at = np.flatnonzero(mixed_option[rows.option])
    blank = blank_row[at]
    _, group = np.unique(cell[at], return_inverse=True)
    group = group.reshape(-1)
    n = int(group.max()) + 1
    votes = rows.votes[at]
    mixed = (np.bincount(group[blank], minlength=n) > 0) & (np.bincount(group[~blank],
                                                                        minlength=n) > 0)
    if not mixed.any():
        return keep
    parted = ~blank
    party_sum = np.zeros(n, np.int64)
    np.add.at(party_sum, group[parted], np.maximum(votes[parted], 0))
    unknown = np.bincount(group[parted], weights=votes[parted] == -1, minlength=n) > 0
    every_unknown = np.bincount(group[parted], weights=votes[parted] != -1, minlength=n) == 0
    bad = np.bincount(group, weights=votes == files_.BAD, minlength=n) > 0
    total = np.full(n, -1, np.int64)
    total[group[blank]] = votes[blank]  # one row per group when repeats are refused
    is_total = mixed & ~bad & (((total >= 0) & ~unknown & (total == party_sum))
                               | ((total == -1) & every_unknown))
    wrong = np.flatnonzero(mixed[group] & blank & ~bad[group] & ~is_total[group])
    if wrong.size:
        i = int(at[wrong[0]])
        g = group[wrong[0]]
        others = at[(group == g) & parted]
        f = files[rows.file[i]]
        where = (f"in precinct {rows.place_of(i)!r}" if rows.word("unit", i)
                 else "in the race's totals")
        given = str(party_sum[g]) if not unknown[g] else "blank"
        parties = ", ".join(dict.fromkeys(rows.word("party", j) for j in others))
        listed = name_rows([x.name for x in files], rows.ref[others])
        if (rows.file[others] == rows.file[i]).all():
            listed = listed.split(": ", 1)[1]  # rows of the same file: no need to name it
        raise ScenarioError(f.name, f"row {rows.ref[i] & 0xFFFFFFFF}",
                            f"{label(i)!r} has {f.cell('votes', rows.row(i, files)) or 'blank'} "
                            "votes "
                            f"without a party {where}, and {listed} "
                            f"give{'s' * (len(others) == 1)} {given} with a party ({parties}): "
                            "not their total; give the row its party, or leave it out")
    dropped = at[blank & is_total[group]]
    for o in first_index(rows.option[dropped])[0].tolist():
        these = dropped[rows.option[dropped] == o]
        notes.append((rows.ref[these], f"{label(int(these[0]))!r} without a party is the sum "
                      "of the candidate's rows with a party in the same precinct: read as "
                      "their total and left out"))
    keep[dropped] = False
    return keep


@functools.lru_cache(maxsize=1 << 16)
def _numbers(key: str) -> tuple[str, ...]:
    """The numbers in a name ("candidate 1" and "candidate 2" are two lines)."""
    return tuple(re.findall(r"\d+", key))


def _similar(a: str, b: str) -> bool:
    """Two names that look like one spelled two ways: difflib's ratio >= 0.85, asked only of
    names that begin or end alike and are of about one length (a misspelling keeps one end; a
    race of many candidates has many pairs, most far apart)."""
    if not a or not b or (a[:2] != b[:2] and a[-3:] != b[-3:]):
        return False
    if 2 * min(len(a), len(b)) < 0.85 * (len(a) + len(b)):
        return False
    m = difflib.SequenceMatcher(None, a, b)
    return m.real_quick_ratio() >= 0.85 and m.quick_ratio() >= 0.85 and m.ratio() >= 0.85


def doubtful_counties(rows: Rows) -> list[Note]:
    """Pairs of counties whose names look like one spelled two ways ("Aroostock" and
    "Aroostook") and that hold precincts of the same names: kept apart (``aliases`` merges
    them). Names are compared only when they begin alike and are of about one length, so a
    national file's thousands of counties cost little."""
    units = rows.words["unit"]
    present: list[int] = []

    def names(county: str) -> set[str]:
        """The county's precinct names (its units' words are read once, when first asked)."""
        if not present:
            present.extend(np.flatnonzero(np.bincount(rows.unit, minlength=len(units)))
                           .tolist())
        return {units[u].partition("\x1f")[2] for u in present
                if units[u].partition("\x1f")[0] == county} - {""}

    shown = rows.words["county_shown"]
    counts = np.bincount(rows.county_shown, minlength=len(shown))
    by_key: dict[str, int] = {}
    for code, word in enumerate(shown):
        if counts[code]:
            by_key.setdefault(fold(word), code)
    keys = sorted(by_key)
    notes = []
    for i, a in enumerate(keys):
        for b in keys[i + 1:i + 40]:
            if b[:2] != a[:2]:
                break
            if (abs(len(a) - len(b)) > 2 or _numbers(a) != _numbers(b)
                    or not _similar(a, b)):  # "County 1" and "County 10" are two counties
                continue
            shared = names(a) & names(b)
            if len(shared) < 2:
                continue
            big, small = sorted((by_key[a], by_key[b]), key=lambda c: -counts[c])
            refs = rows.ref[rows.county_shown == small]
            notes.append((refs, f"counties {shown[small]!r} and {shown[big]!r} may be one "
                                f"spelled two ways ({len(shared)} precinct names in both): kept "
                                f'apart (aliases = {{ "{shown[small]}" = "{shown[big]}" }} '
                                "merges them)"))
    return notes


def doubtful_candidates(keys: list[str], names: list[str],
                        refs: Callable[[int], np.ndarray]) -> list[Note]:
    """Lines that look like no candidate (a total, none of these), and pairs of names that look
    like one candidate spelled two ways (kept apart: ``aliases`` merges them). ``keys`` and
    ``names``: the race's candidates' name keys and names; ``refs(j)`` candidate j's rows."""
    notes = []
    for j, name in enumerate(names):
        if fold(name) in NOT_CANDIDATES:
            notes.append((refs(j), f"the line {name!r} is read as a candidate; if it is not "
                                   "one, map it (against_all, registered, cast, invalid) or "
                                   "leave it out (skip)"))
    if len(keys) < 2:
        return notes
    numbers = [_numbers(key) for key in keys]
    for a in range(len(keys)):
        for b in range(a + 1, len(keys)):
            if numbers[a] != numbers[b]:  # "candidate 1" and "candidate 2" are two lines
                continue
            ka, kb = keys[a], keys[b]
            if sorted(ka.split()) == sorted(kb.split()) or _similar(ka, kb):
                notes.append((np.concatenate([refs(a), refs(b)]),
                              f"{names[a]!r} and {names[b]!r} may be one candidate spelled two "
                              f'ways: kept apart (aliases = {{ "{names[b]}" = "{names[a]}" }} '
                              "merges them)"))
    return notes


def parties(key: np.ndarray, party: np.ndarray, party_key: np.ndarray, refs: np.ndarray,
            words: dict[str, list[str]], name: Callable[[int], str], notes: list[Note]
            ) -> dict[int, str]:
    """Each candidate's party (the most frequent non-blank cell, first seen on a tie; none
    without one), by key (a candidate of a race); a second party (folded) is noted, its votes
    summed. key, party, party_key, refs : (M,) the candidates' rows."""
    with_party = is_in(words["party"], bool)[party]
    k, refs = key[with_party], refs[with_party]
    spelled, _ = spellings(k, party[with_party], words["party"], refs, "party")
    chosen = {c: words["party"][p] for c, p in spelled.items()}
    width = len(words["party_key"])
    pair = k.astype(np.int64) * width + party_key[with_party]
    distinct, first = np.unique(pair, return_index=True)
    others = sorted((d // width, f, d) for d, f in zip(distinct.tolist(), first.tolist(),
                                                        strict=True)
                    if words["party_key"][d % width] != fold(chosen[d // width]))
    for c, _, d in sorted(others, key=lambda x: (x[0], x[1])):
        notes.append((refs[pair == d], f"a second party for {name(c)!r}: its votes are summed "
                                       f"under party {chosen[c]!r}"))
    return chosen
