"""One race of a table, from its block of the table's ready grid (:mod:`table_grid`): its
precincts (county-wide rows read as votes or as a subtotal), its candidates and parties, its
published figures, and the warnings only it can give (precincts without a count, lines missing
in some precincts, precincts the files have for other offices, counts that cannot be true
together). A race the whole-table pass flagged for none of these only slices its block.
"""

from __future__ import annotations

import attrs
import numpy as np

from engine.formats.openelections import levels, mend
from engine.formats.openelections.codes import name_rows
from engine.formats.openelections.figures import Figure
from engine.formats.openelections.parts import Parts, race_id
from engine.formats.openelections.table_grid import Ready
from engine.formats.openelections.vocabulary import ROLES
from engine.records import Candidate, Race, RacePrecincts, Subtotal
from engine.records import Figure as Published

__all__ = ["blank_cells", "race"]

_PROBLEMS = ("more ballots cast than registered voters",
             "more invalid ballots than ballots cast", "more votes than ballots cast")


def _n(count: int, word: str) -> str:
    return f"{count:,} {word}{'s' * (count != 1)}"


def _listed(items: list[str], most: int) -> str:
    return ", ".join(map(repr, items[:most])) + (" and more" if len(items) > most else "")


def blank_cells(c: Parts, ready: Ready) -> list[str]:
    """One warning for the table's blank votes cells (read as unknown) outside the precincts
    that give no count at all (each of those is warned about by its race)."""
    r = c.count_rows
    k = np.array([len(o) for o in c.lay.options], np.int64)
    blank = (r.votes < 0) & ~ready.silent[c.grid_row] & (c.column <= k[r.race])
    if not blank.any():
        return []
    return [f"{name_rows(c.names, r.ref[blank])}: votes blank: read as unknown"]


def _county_wide(c: Parts, r: int, ready: Ready, labels: list[str], keep: np.ndarray,
                 warnings: list[str]) -> list[Figure]:
    """The race's counties' county-wide rows: a subtotal (its figures returned, the row left
    out of the precincts: ``keep``) or votes counted county-wide (a precinct; warned)."""
    units = c.lay.units[r]
    k = len(labels)
    out: list[Figure] = []
    rows = {p: ready.raw[int(c.lay.first_row[r]) + p]
            for p in np.flatnonzero(c.county_wide[units]).tolist()}
    grid = np.zeros((len(units), k + len(ROLES)), np.int64)
    block = c.lay.block(ready.grid, r)
    grid[:, :k] = block[:, :k]
    for p, raw in rows.items():
        grid[p] = raw
    for p in rows:
        key = c.units.county_key[units[p]]
        same = np.flatnonzero((c.units.county_key[units] == key) & ~c.county_wide[units])
        subtotal, why = levels.county_rows(grid, labels, p, same, c.t.county_rows)
        refs = c.rows_at(int(c.lay.first_row[r]) + p)
        county = str(c.units.county[units[p]])
        if subtotal:
            keep[p] = False
            out += [Figure(r, int(key), j, int(rows[p][j]), refs)
                    for j in range(k + len(ROLES)) if rows[p][j] >= 0]
            warnings.append(f"{name_rows(c.names, refs)}: county {county!r} without a precinct: "
                            "the sum of its precincts, read as its subtotal (checked)")
        elif len(units) > 1:
            warnings.append(f"{name_rows(c.names, refs)}: county {county!r} without a precinct: "
                            f"read as votes counted county-wide, precinct "
                            f"{county + ' / ' + levels.COUNTY_WIDE!r} ({why})")
    return out


def race(c: Parts, r: int, ready: Ready, methods: np.ndarray | None, figs: list[Figure],
         scope: dict[str, dict[str, str]]) -> tuple[Race | None, list[str]]:
    """Race r of the table, and its warnings (None when no precinct gives a count)."""
    rid, name, office, district = race_id(c, r)
    place = f"race[{rid}]"
    units = c.lay.units[r]
    options = c.lay.options[r]
    k = len(options)
    labels = [c.label(int(o)) for o in options]
    g = c.lay.block(ready.grid, r)
    m = c.lay.block(methods, r)[:, :k] if methods is not None else None
    gone = c.lay.block(ready.missing, r) if ready.has_missing[r] else None
    warnings: list[str] = []
    keep = np.ones(len(units), bool)
    county_figs = (_county_wide(c, r, ready, labels, keep, warnings)
                   if ready.has_county_wide[r] else [])
    # one unit, a county's county-wide rows or the race's own totals: the race's counts
    whole = c.county_wide[units] | (units == c.blank_unit)
    race_level = (not (keep & ~whole).any()) and int(keep.sum()) == 1
    if ready.has_silent[r]:
        first = int(c.lay.first_row[r])
        silent = ready.silent[first:first + len(units)] & keep
        if silent.sum() == keep.sum():
            warnings.append(f"{c.listed}: race {rid!r}: no precinct gives a count (every votes "
                            "cell blank): left out")
            return None, warnings
        for q in np.flatnonzero(silent).tolist():
            warnings.append(f"{name_rows(c.names, c.rows_at(first + q))}: precinct "
                            f"{str(c.units.both[units[q]])!r} gives no count (every votes "
                            f"cell blank): left out of race {rid!r}")
        keep &= ~silent
    if not keep.all():
        g, units = g[keep], units[keep]
        m = m[keep] if m is not None else None
        gone = gone[keep] if gone is not None else None
    if not district and scope and not race_level:
        warnings += _missing_precincts(c, r, rid, scope)
    warnings += _doubtful(c, r, options, labels)
    if gone is not None:
        warnings += _gaps(c, rid, gone, c.units.both[units], labels)
    has_aa = c.against_all and bool(ready.has_against_all[r] or "against_all" in c.t.named)
    figs = _scoped(c, figs, g, units, k)
    race_figs = [f for f in figs if f.county < 0]
    candidates = tuple(
        Candidate(name=labels[j], party=c.parties.get(r * len(c.rows.words["option"])
                                                      + int(options[j]), ""),
                  published=tuple(Published("votes", f.value, f"{place}.candidate[{j + 1}]"
                                            ".votes", _source(c, f.refs))
                                  for f in race_figs if f.column == j))
        for j in range(k))
    common = dict(id=rid, name=name, area=c.t.area, place=place, share_basis=c.t.share_basis,
                  date=c.t.date, office=office or None, district=district,
                  against_all_line=has_aa)
    if race_level:  # vote methods are kept per precinct: a race without precincts has none
        counts = [int(x) if x >= 0 else None for x in g[0]]
        return Race(candidates=tuple(attrs.evolve(cand, votes=counts[j], published=())
                                     for j, cand in enumerate(candidates)),
                    registered=counts[k + 1], cast=counts[k + 2], invalid=counts[k + 3],
                    against_all=counts[k] if has_aa else 0,
                    **common), warnings  # type: ignore[arg-type]
    kept = np.flatnonzero(ready.kept_methods[r]) if m is not None else np.zeros(0, np.int64)
    keys = c.units.county_key[units]
    county = c.units.county[units]
    precincts = RacePrecincts(
        ids=c.units.both[units] if (keys != keys[:1]).any() else c.units.place[units],
        votes=g[:, :k], against_all=g[:, k], registered=g[:, k + 1], cast=g[:, k + 2],
        invalid=g[:, k + 3], county=county if (county != "").any() else None,
        methods=m[:, :, kept] if m is not None and kept.size else None)
    if ready.has_impossible[r]:
        warnings += _impossible(c, rid, precincts, units)
    subtotals = (_subtotals(c, place, units, county_figs + [f for f in figs if f.county >= 0],
                            k, scope, r) if figs or county_figs else ())
    return Race(candidates=candidates,
                published=tuple(Published(role, f.value, f"{place}.{role}", _source(c, f.refs))
                                for i, role in enumerate(ROLES) if role != "against_all"
                                for f in race_figs if f.column == k + i),
                against_all_published=tuple(Published("votes", f.value,
                                                      f"{place}.against_all.votes",
                                                      _source(c, f.refs))
                                            for f in race_figs if f.column == k),
                precincts=precincts, subtotals=subtotals,
                methods=tuple(c.rows.method_names[i] for i in kept.tolist()),
                **common), warnings  # type: ignore[arg-type]


def _missing_precincts(c: Parts, r: int, rid: str, scope: dict[str, dict[str, str]]
                       ) -> list[str]:
    """Precincts the files hold (for other offices) in a race's state that it has no row for,
    silent ones included: a race without a district should have rows for each."""
    key = c.rows.races[r]
    words = c.rows.words["unit"]
    have = {words[u] for u in c.lay.units[r].tolist()}
    missing = [p for u, p in scope.get(key[2] if len(key) > 2 else "", {}).items()
               if u not in have]
    if not missing:
        return []
    return [f"{c.listed}: race {rid!r}: no rows for {_n(len(missing), 'precinct')} the file "
            "has for other offices: " + _listed(missing, 20)]


def _impossible(c: Parts, rid: str, p: RacePrecincts, units: np.ndarray) -> list[str]:
    """Precincts whose counts cannot be true together: kept, warned about."""
    votes = np.maximum(p.votes, 0).sum(axis=1) + np.maximum(p.against_all, 0)
    masks = ((p.cast >= 0) & (p.registered >= 0) & (p.cast > p.registered),
             (p.cast >= 0) & (p.invalid > p.cast), (p.cast >= 0) & (votes > p.cast))
    return [f"{c.listed}: race {rid!r}: {_n(int(bad.sum()), 'precinct')} with {problem} "
            f"({_listed(c.units.both[units[bad][:6]].tolist(), 5)}): kept as the file gives "
            "them (forensics leaves such precincts out)"
            for bad, problem in zip(masks, _PROBLEMS, strict=True) if bad.any()]


def _doubtful(c: Parts, r: int, options: np.ndarray, labels: list[str]) -> list[str]:
    """Race r's candidates that look like no candidate, or like another spelled otherwise."""
    w = c.rows.words

    def refs(j: int) -> np.ndarray:
        return c.rows_of(r, int(options[j]))

    keys = [w["option"][int(o)][2:] for o in options]
    return [f"{name_rows(c.names, found)}: {problem}"
            for found, problem in mend.doubtful_candidates(keys, labels, refs)]


def _source(c: Parts, refs: np.ndarray) -> str:
    text = name_rows(c.names, refs)
    return text.replace(": ", " ", 1) if ": " in text else text


def _scoped(c: Parts, figs: list[Figure], g: np.ndarray, units: np.ndarray, k: int
            ) -> list[Figure]:
    """Total rows in a county are the county's subtotal, unless their figures are the race's:
    a row such as "Maine Statewide Total" under a pseudo-county that also holds a few
    precincts (overseas ballots) gives the sums of the whole race. Each total row's figures are
    read together: they are the race's when more of them equal the race's sums than the
    county's."""
    by_unit: dict[int, list[Figure]] = {}
    for f in figs:
        if f.county >= 0:
            by_unit.setdefault(f.unit, []).append(f)
    if not by_unit:
        return figs
    known = np.where(g < 0, 0, g)
    race_sum = known.sum(axis=0)
    moved: set[int] = set()
    for unit, these in by_unit.items():
        mine = c.units.county_key[units] == these[0].county
        county_sum = known[mine].sum(axis=0)
        as_race = sum(f.value == race_sum[f.column] for f in these)
        as_county = sum(f.value == county_sum[f.column] for f in these)
        if as_race > as_county:
            moved.add(unit)
    return [attrs.evolve(f, county=-1) if f.county >= 0 and f.unit in moved else f
            for f in figs]


def _subtotals(c: Parts, place: str, units: np.ndarray, figs: list[Figure], k: int,
               scope: dict[str, dict[str, str]], r: int) -> tuple[Subtotal, ...]:
    """The race's county subtotals: per county (in the order the file gives them), its
    figures, its precincts and those of its precincts the race lacks."""
    by_county: dict[int, list[Figure]] = {}
    for f in figs:
        by_county.setdefault(f.county, []).append(f)
    keys = c.units.county_key[units]
    key = c.rows.races[r]
    state_scope = scope.get(key[2] if len(key) > 2 else "", {}) if not key[1] else {}
    have = {c.rows.words["unit"][u] for u in units.tolist()}
    out = []
    for county, these in by_county.items():
        mine = np.flatnonzero(keys == county)
        name = (str(c.units.county[units[mine[0]]]) if mine.size else
                c.county_names.get(county, ""))
        sub_place = f"{place}.county[{name}]"
        folded = c.rows.words["county"][county]
        missing = sum(1 for u in state_scope if u.partition("\x1f")[0] == folded
                      and u not in have)
        figures = []
        for f in sorted(these, key=lambda x: x.column):
            what = (f"candidate[{f.column + 1}]" if f.column < k else ROLES[f.column - k])
            where = (f"{sub_place}.{what}.votes" if f.column <= k else f"{sub_place}.{what}")
            figures.append(Published(what, f.value, where, _source(c, f.refs)))
        out.append(Subtotal(place=sub_place, name=name, precincts=mine.astype(np.int64),
                            figures=tuple(figures), missing=missing))
    return tuple(out)


def _gaps(c: Parts, rid: str, gone: np.ndarray, ids: np.ndarray, labels: list[str]
          ) -> list[str]:
    """Warnings for lines missing in precincts (``gone``: the race's missing cells): a candidate
    or the against-all line reads 0 votes there, a count line (registered, cast, invalid) is
    unknown; a count line no precinct has is simply unpublished, as is against all where the
    table does not name it."""
    k = len(labels)
    labels = labels + [c.t.named.get(role, role) for role in ROLES]
    out = []
    for j in np.flatnonzero(gone.any(axis=0)).tolist():
        everywhere = bool(gone[:, j].all())
        if everywhere and (j > k or (j == k and "against_all" not in c.t.named)):
            continue
        if j == k and not c.against_all:
            continue
        at = np.flatnonzero(gone[:, j])
        reading = "read as 0 votes" if j <= k else "unknown there"
        some = "any precinct" if everywhere else (
            f"{_n(at.size, 'precinct')} ({_listed(ids[at[:11]].tolist(), 10)})")
        out.append(f"{c.listed}: race {rid!r}: no row for {labels[j]!r} in {some}: {reading}")
    return out
