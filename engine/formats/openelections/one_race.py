"""One race of a table, from its block of the table's grid: its precincts (county-wide rows read
as votes or as a subtotal), its candidates and parties, its published figures, and the warnings
only it can give (precincts without a count, lines missing in some precincts, precincts the
files have for other offices).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import attrs
import numpy as np

from engine.formats.consistency import impossible
from engine.formats.openelections import levels, mend
from engine.formats.openelections.codes import name_rows
from engine.formats.openelections.figures import Figure, WideLines
from engine.formats.openelections.grid import MISSING, Layout
from engine.formats.openelections.rows import Rows
from engine.formats.openelections.vocabulary import ROLES, slug
from engine.records import Candidate, Race, RacePrecincts, Subtotal
from engine.records import Figure as Published

if TYPE_CHECKING:
    from engine.formats.openelections.build import Table

__all__ = ["Parts", "UnitNames", "blank_cells", "race", "unit_names"]


@attrs.frozen(eq=False)
class UnitNames:
    """Per unit code: the precinct as shown, the county as shown, the county's key code."""

    place: np.ndarray
    county: np.ndarray
    county_key: np.ndarray


def unit_names(rows: Rows, place: dict[int, int], county: dict[int, int],
               county_wide: np.ndarray) -> UnitNames:
    """Each unit's names, spelled as the file mostly spells them."""
    n = len(rows.words["unit"])
    codes, first = np.unique(rows.unit, return_index=True)
    key = np.zeros(n, np.int64)
    key[codes] = rows.county[first]
    place_words = [""] * n
    county_words = [""] * n
    for u, i in zip(codes.tolist(), first.tolist(), strict=True):
        c = int(rows.county[i])
        county_words[u] = rows.words["county_shown"][county.get(c, rows.county_shown[i])]
        place_words[u] = (levels.COUNTY_WIDE if county_wide[u] else
                          rows.words["place"][place[u]] if u in place else "")
    return UnitNames(place=np.array(place_words, dtype=object),
                     county=np.array(county_words, dtype=object), county_key=key)


@attrs.frozen(eq=False)
class Parts:
    """What every race of a table is built from (see ``build.races_of``)."""

    t: Table
    rows: Rows
    names: list[str]
    county_wide: np.ndarray
    units: UnitNames
    cand_text: dict[int, int]
    parties: dict[int, str]
    office_name: dict[int, int]
    district_name: dict[int, int]
    count_rows: Rows            # the counted rows, as summed
    cell: np.ndarray
    grid_row: np.ndarray
    lay: Layout
    against_all: bool

    def label(self, option: int) -> str:
        return self.rows.words["text"][self.cand_text[option]]


def _n(count: int, word: str) -> str:
    return f"{count:,} {word}{'s' * (count != 1)}"


def _listed(items: list[str], most: int) -> str:
    return ", ".join(map(repr, items[:most])) + (" and more" if len(items) > most else "")


def race_id(c: Parts, r: int) -> tuple[str, str, str, str | None]:
    """Race r's id, name, office and district as the file spells them."""
    w = c.rows.words
    office = w["office"][c.office_name[r]] if r in c.office_name else ""
    district = w["district"][c.district_name[r]] if r in c.district_name else ""
    key = c.rows.races[r]
    if not c.t.multi:
        return c.t.race, c.t.name or office or c.t.race, office, district or None
    state = f"{slug(key[2])}." if len(key) > 2 else ""
    rid = f"{c.t.race}.{state}{slug(key[0])}" + (f".{slug(key[1])}" if key[1] else "")
    name = " ".join(x for x in (office, district) if x)
    return rid, name, office, district or None


def blank_cells(c: Parts, grid: np.ndarray) -> list[str]:
    """One warning for the table's blank votes cells (read as unknown) outside the precincts
    that give no count at all (each of those is warned about by its race)."""
    silent = _silent_rows(c, grid)
    k = np.array([len(o) for o in c.lay.options], np.int64)
    r = c.count_rows
    col = (c.cell - c.lay.offset[r.race]) % (k[r.race] + len(ROLES))
    blank = (r.votes < 0) & ~silent[c.grid_row] & (col <= k[r.race])
    if not blank.any():
        return []
    return [f"{name_rows(c.names, r.ref[blank])}: votes blank: read as unknown"]


def _silent_rows(c: Parts, grid: np.ndarray) -> np.ndarray:
    """(all races' precincts,) bool: a precinct whose every cell is blank or missing."""
    out = np.zeros(int(c.lay.first_row[-1]), bool)
    for r in range(len(c.lay.units)):
        block = c.lay.block(grid, r)
        out[c.lay.first_row[r]:c.lay.first_row[r + 1]] = ~(block >= 0).any(axis=1)
    return out


def race(c: Parts, r: int, grid: np.ndarray, methods: np.ndarray | None, figs: list[Figure],
         wide: WideLines, scope: dict[str, dict[str, str]]) -> tuple[Race | None, list[str]]:
    """Race r of the table, and its warnings (None when no precinct gives a count)."""
    rid, name, office, district = race_id(c, r)
    place = f"race[{rid}]"
    listed = ", ".join(dict.fromkeys(c.names))
    units = c.lay.units[r]
    options = c.lay.options[r]
    k = len(options)
    labels = [c.label(int(o)) for o in options]
    g = c.lay.block(grid, r).copy()
    m = c.lay.block(methods, r)[:, :k] if methods is not None else None
    for j in range(1, len(ROLES)):  # precinct-wide lines where the race has none of its own
        gone = g[:, k + j] == MISSING
        g[gone, k + j] = wide.values[units[gone], j]
    warnings: list[str] = []
    rows_of = np.flatnonzero(c.count_rows.race == r) if c.county_wide[units].any() else None
    keep = np.ones(len(units), bool)
    county_figs: list[Figure] = []
    for p in np.flatnonzero(c.county_wide[units]).tolist():
        key = c.units.county_key[units[p]]
        same = np.flatnonzero((c.units.county_key[units] == key) & ~c.county_wide[units])
        subtotal, why = levels.county_rows(g, labels, p, same, c.t.county_rows)
        assert rows_of is not None
        refs = c.count_rows.ref[rows_of[c.count_rows.unit[rows_of] == units[p]]]
        county = c.units.county[units[p]]
        if subtotal:
            keep[p] = False
            county_figs += [Figure(r, int(key), j, int(g[p, j]), refs)
                            for j in range(k + len(ROLES)) if g[p, j] >= 0]
            warnings.append(f"{name_rows(c.names, refs)}: county {county!r} without a precinct: "
                            "the sum of its precincts, read as its subtotal (checked)")
        elif len(units) > 1:
            warnings.append(f"{name_rows(c.names, refs)}: county {county!r} without a precinct: "
                            f"read as votes counted county-wide, precinct "
                            f"{county + ' / ' + levels.COUNTY_WIDE!r} ({why})")
    race_level = (not (keep & ~c.county_wide[units]).any()) and int(keep.sum()) == 1
    ids_units = units[keep]
    g, m = g[keep], (m[keep] if m is not None else None)
    silent = ~(g >= 0).any(axis=1)
    if silent.all():
        warnings.append(f"{listed}: race {rid!r}: no precinct gives a count (every votes cell "
                        "blank): left out")
        return None, warnings
    for q in np.flatnonzero(silent).tolist():
        these = np.flatnonzero(c.grid_row == c.lay.first_row[r] + np.flatnonzero(keep)[q])
        warnings.append(f"{name_rows(c.names, c.count_rows.ref[these])}: precinct "
                        f"{str(_named(c, ids_units)[q])!r} gives no count (every votes cell "
                        f"blank): left out of race {rid!r}")
    g, ids_units = g[~silent], ids_units[~silent]
    m = m[~silent] if m is not None else None
    shown = _shown(c, ids_units)
    if not district and scope and not race_level:
        key = c.rows.races[r]
        have = {c.rows.words["unit"][u] for u in units.tolist()}  # silent ones too
        missing = [p for u, p in scope.get(key[2] if len(key) > 2 else "", {}).items()
                   if u not in have]
        if missing:
            warnings.append(f"{listed}: race {rid!r}: no rows for "
                            f"{_n(len(missing), 'precinct')} the file has for other offices: "
                            + _listed(missing, 20))
    warnings += _doubtful(c, r, options, labels)
    warnings += _gaps(c, rid, g, _named(c, ids_units), labels, listed)
    has_aa = c.against_all and bool((g[:, k] != MISSING).any() or "against_all" in c.t.named)
    g[:, :k + 1][g[:, :k + 1] == MISSING] = 0   # no row for a candidate: no votes
    g[g == MISSING] = -1                          # no count line: unknown
    figs = _scoped(c, figs, g, ids_units, k)
    race_figs = [f for f in figs if f.county < 0]
    candidates = tuple(
        Candidate(name=labels[j], party=c.parties.get(r * len(c.rows.words["option"])
                                                      + int(options[j]), ""),
                  published=tuple(Published("votes", f.value, f"{place}.candidate[{j + 1}]"
                                            ".votes", _source(c, f.refs))
                                  for f in race_figs if f.column == j))
        for j in range(k))
    published = tuple(Published(role, f.value, f"{place}.{role}", _source(c, f.refs))
                      for i, role in enumerate(ROLES) if role != "against_all"
                      for f in race_figs if f.column == k + i)
    against = tuple(Published("votes", f.value, f"{place}.against_all.votes",
                              _source(c, f.refs)) for f in race_figs if f.column == k)
    common = dict(id=rid, name=name, area=c.t.area, place=place,
                  share_basis=c.t.share_basis, date=c.t.date, office=office or None,
                  district=district, against_all_line=has_aa,
                  methods=_kept_methods(c, m))
    if race_level:
        counts = [int(x) if x >= 0 else None for x in g[0]]
        race_cands = tuple(attrs.evolve(cand, votes=counts[j], published=())
                           for j, cand in enumerate(candidates))
        common["methods"] = ()  # kept per precinct only: a race without precincts has none
        return Race(candidates=race_cands, registered=counts[k + 1], cast=counts[k + 2],
                    invalid=counts[k + 3], against_all=counts[k] if has_aa else 0,
                    **common), warnings  # type: ignore[arg-type]
    kept_methods = _methods(c, m)
    precincts = RacePrecincts(
        ids=shown, votes=g[:, :k].copy(), against_all=g[:, k].copy(),
        registered=g[:, k + 1].copy(), cast=g[:, k + 2].copy(), invalid=g[:, k + 3].copy(),
        county=np.array(c.units.county[ids_units].tolist(), dtype=str)
        if c.units.county[ids_units].any() else None,
        methods=kept_methods)
    subtotals = _subtotals(c, place, ids_units, county_figs + [f for f in figs if f.county >= 0],
                           k, scope, r)
    named = _named(c, ids_units)
    for bad, problem in impossible(precincts):
        if bad.any():
            warnings.append(f"{listed}: race {rid!r}: {_n(int(bad.sum()), 'precinct')} with "
                            f"{problem} ({_listed(named[bad].tolist(), 5)}): kept as the file "
                            "gives them (forensics leaves such precincts out)")
    return Race(candidates=candidates, published=published, against_all_published=against,
                precincts=precincts, subtotals=subtotals,
                **common), warnings  # type: ignore[arg-type]


def _shown(c: Parts, units: np.ndarray) -> np.ndarray:
    """The precincts' ids: "county / precinct" when the race spans several counties."""
    places = c.units.place[units]
    counties = c.units.county[units]
    if len(set(c.units.county_key[units].tolist())) > 1:
        return np.array([f"{a} / {b}" if a else b
                         for a, b in zip(counties.tolist(), places.tolist(), strict=True)],
                        dtype=str)
    return np.array(places.tolist(), dtype=str)


def _named(c: Parts, units: np.ndarray) -> np.ndarray:
    """The precincts as warnings name them: "county / precinct" (where the file has a county)."""
    return np.array([f"{a} / {b}" if a else b for a, b in zip(
        c.units.county[units].tolist(), c.units.place[units].tolist(), strict=True)], dtype=str)


def _doubtful(c: Parts, r: int, options: np.ndarray, labels: list[str]) -> list[str]:
    """Race r's candidates that look like no candidate, or like another spelled otherwise."""
    w = c.rows.words

    def refs(j: int) -> np.ndarray:
        rows = c.count_rows
        return rows.ref[(rows.race == r) & (rows.option == options[j])]

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


def _kept(m: np.ndarray | None) -> np.ndarray:
    """The methods a race has a count of (not blank or missing in every precinct)."""
    if m is None:
        return np.zeros(0, np.int64)
    return np.flatnonzero((m >= 0).any(axis=(0, 1)))


def _kept_methods(c: Parts, m: np.ndarray | None) -> tuple[str, ...]:
    return tuple(c.rows.method_names[i] for i in _kept(m).tolist())


def _methods(c: Parts, m: np.ndarray | None) -> np.ndarray | None:
    kept = _kept(m)
    if m is None or not kept.size:
        return None
    out = m[:, :, kept].copy()
    out[out == MISSING] = -1
    return out


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
        name = c.rows.words["county_shown"][next(
            (int(c.rows.county_shown[i]) for i in np.flatnonzero(c.rows.county == county)[:1]),
            0)] if (c.rows.county == county).any() else ""
        name = next((str(c.units.county[u]) for u in units.tolist()
                     if c.units.county_key[u] == county), name)
        sub_place = f"{place}.county[{name}]"
        folded = c.rows.words["county"][county]
        missing = sum(1 for u in state_scope if u.partition("\x1f")[0] == folded
                      and u not in have)
        figures = []
        for f in sorted(these, key=lambda x: x.column):
            what = (f"candidate[{f.column + 1}]" if f.column < k else ROLES[f.column - k])
            where = (f"{sub_place}.{what}.votes" if f.column <= k else f"{sub_place}.{what}")
            figures.append(Published(what, f.value, where, _source(c, f.refs)))
        out.append(Subtotal(place=sub_place, name=name,
                            precincts=np.flatnonzero(keys == county).astype(np.int64),
                            figures=tuple(figures), missing=missing))
    return tuple(out)


def _gaps(c: Parts, rid: str, grid: np.ndarray, ids: np.ndarray, labels: list[str],
          names: str) -> list[str]:
    """Warnings for lines missing in precincts: a candidate or the against-all line reads 0
    votes there, a count line (registered, cast, invalid) is unknown; a count line no precinct
    has is simply unpublished, as is against all where the table does not name it."""
    k = len(labels)
    labels = labels + [c.t.named.get(role, role) for role in ROLES]
    gone = grid == MISSING
    out = []
    for j in np.flatnonzero(gone.any(axis=0)).tolist():
        everywhere = bool(gone[:, j].all())
        if everywhere and (j > k or (j == k and "against_all" not in c.t.named)):
            continue
        if j == k and not c.against_all:
            continue
        where = ids[gone[:, j]].tolist()
        reading = "read as 0 votes" if j <= k else "unknown there"
        some = "any precinct" if everywhere else (f"{_n(len(where), 'precinct')} "
                                                  f"({_listed(where, 10)})")
        out.append(f"{names}: race {rid!r}: no row for {labels[j]!r} in {some}: {reading}")
    return out
