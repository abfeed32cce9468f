"""The races of one ``[[openelections]]`` table: its rows (every race at once) mended, sorted
into counted rows and published figures, summed into grids, then one :class:`Race` per
(office, district) with its warnings.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import attrs
import numpy as np

from engine.formats.openelections import figures as figures_
from engine.formats.openelections import grid as grid_
from engine.formats.openelections import levels, mend, one_race, table_grid
from engine.formats.openelections import rows as files_
from engine.formats.openelections.codes import first_index, name_rows
from engine.formats.openelections.parts import Parts, unit_names
from engine.formats.openelections.rows import Rows, Want
from engine.formats.openelections.vocabulary import ROLES, fold
from engine.records import Race

__all__ = ["Table", "races_of"]


@attrs.frozen
class Table:
    """An ``[[openelections]]`` table as read: ``offices`` None for every office, ``multi``
    whether it makes a race per (office, district) (``office = "*"`` or a list)."""

    race: str
    place: str
    files: tuple[str, ...]
    want: Want
    multi: bool = False
    offices_named: tuple[str, ...] = ()
    name: str | None = None
    area: tuple[str, ...] = ()
    date: dt.date | None = None
    named: dict[str, str] = attrs.Factory(dict)     # role -> the line as the scenario names it
    repeats: str = "refuse"
    county_rows: str = "auto"
    share_basis: str = "valid"


def _n(count: int, word: str) -> str:
    return f"{count:,} {word}{'s' * (count != 1)}"


def _checked_rows(t: Table, rows: Rows, files: list[files_.File], fail: Callable) -> None:
    """The table's offices are in the files (one line naming what they hold, if not)."""
    names = ", ".join(f.name for f in files)

    def offices() -> list[str]:  # the files' offices, for a refusal
        return sorted({w for f in files for w in f.col["office"].words} - {""})

    if not rows.races:
        if t.want.offices is not None:
            known = offices()
            fail(f"no rows for office {', '.join(map(repr, t.offices_named))} in {names}"
                 + (f"; its offices: {', '.join(known[:20])}" if known else ""), "office")
        fail(f"no candidate rows in {names}", "files")
    if t.want.offices is not None:
        found = {key[0] for key in rows.races}
        absent = [o for o, k in zip(t.offices_named, sorted(t.want.offices), strict=False)
                  if k not in found] if t.multi else []
        if absent:
            fail(f"no rows for office {absent[0]!r} in {names}; its offices: "
                 + ", ".join(offices()[:20]), "office")
    if not t.multi and len(rows.races) > 1:
        districts = [r[1] or "(none)" for r in rows.races]
        what = ("districts" if len({r[0] for r in rows.races}) == 1 else "offices or districts")
        fail(f"the rows of {names} hold {len(rows.races)} {what} ({', '.join(districts[:8])}"
             f"{', ...' if len(districts) > 8 else ''}): choose one with district = \"...\", "
             'or make a race of each with office = ["..."] (a list) or office = "*"',
             "office" if t.want.offices is None else "district")


def races_of(t: Table, files: list[files_.File], rules_against_all: bool, fail: Callable
             ) -> tuple[list[Race], list[str]]:
    """The races of table ``t`` read from ``files``, and the warnings (one line each)."""
    names = [f.name for f in files]
    notes: list[mend.Note] = []
    rows = files_.select(files, t.want)
    rows = _named_only(rows, t.want.quiet, notes)
    _checked_rows(t, rows, files, fail)
    w = rows.words
    # Spellings: offices and districts (per race), counties, precincts, candidates.
    in_race = rows.race >= 0
    office_name, n = mend.spellings(rows.race[in_race], rows.office[in_race], w["office"],
                                    rows.ref[in_race], "office")
    notes += n
    district_name, n = mend.spellings(rows.race[in_race], rows.district[in_race],
                                      w["district"], rows.ref[in_race], "district")
    notes += n
    county_spelled, n = mend.spellings(rows.county, rows.county_shown, w["county_shown"],
                                       rows.ref, "county")
    notes += n + mend.doubtful_counties(rows)
    has_unit = mend.is_in(w["unit"], bool)[rows.unit]
    unit_place, n = mend.spellings(rows.unit[has_unit], rows.place[has_unit], w["place"],
                                   rows.ref[has_unit], "precinct")
    notes += n
    is_cand = mend.is_in(w["option"], lambda o: o.startswith("c:"))
    cand = is_cand[rows.option]
    cand_text, n = mend.spellings(rows.option[cand], rows.text[cand], w["text"], rows.ref[cand],
                                  "candidate")
    notes += n

    kinds = levels.classify(rows)
    rows = mend.merge_counties(kinds.rows, files, notes)
    county_wide = kinds.county_wide
    # The rows that are figures, and the precinct-wide lines, are set aside; then only the
    # counted rows are kept (the table's largest arrays, once).
    figure = kinds.kind != levels.COUNT
    figure_rows, figure_kind = rows.take(np.flatnonzero(figure)), kinds.kind[figure]
    wide = figures_.wide_lines(rows, kinds, files, notes)
    units = unit_names(rows, unit_place, county_spelled, county_wide)
    counted = ~figure & ~rows.wide
    count_rows = rows if counted.all() else rows.take(np.flatnonzero(counted))
    del rows, kinds, counted, figure
    role_of = np.array([ROLES.index(o) if o in ROLES else -1 for o in w["option"]], np.int64)
    lay = grid_.layout(count_rows.race, count_rows.unit, count_rows.option,
                       role_of[count_rows.option], len(count_rows.races),
                       len(count_rows.words["unit"]), len(w["option"]))
    keep = mend.repeats(count_rows, lay.cell, lay.size, t.repeats, files, notes)

    def label(i: int, r: Rows = count_rows) -> str:
        return w["text"][cand_text[int(r.option[i])]]

    keep &= mend.without_fusion_totals(count_rows, lay.cell, is_cand, label, files, notes)
    if not keep.all():
        count_rows = count_rows.take(keep)
    cell = lay.cell[keep]
    _refuse_bad(count_rows, files)
    grid = grid_.summed(count_rows.votes, cell, lay.size)
    methods = (grid_.summed(count_rows.methods, cell, lay.size) if count_rows.method_names
               else None)
    figures = figures_.of_table(figure_rows, figure_kind, lay, is_cand, role_of, files, notes)
    parties = mend.parties(
        count_rows.race[is_cand[count_rows.option]].astype(np.int64) * len(w["option"])
        + count_rows.option[is_cand[count_rows.option]],
        count_rows.party[is_cand[count_rows.option]],
        count_rows.party_key[is_cand[count_rows.option]],
        count_rows.ref[is_cand[count_rows.option]], w,
        lambda key: w["text"][cand_text[key % len(w["option"])]], notes)
    if count_rows.method_names:
        notes += figures_.method_check(count_rows, files)
    unit_words = count_rows.words["unit"]
    parts = Parts(
        t=t, rows=count_rows, names=names, county_wide=county_wide, units=units,
        cand_text=cand_text, parties=parties, office_name=office_name,
        district_name=district_name, count_rows=count_rows, cell=cell,
        grid_row=lay.grid_row[keep], column=lay.column[keep], lay=lay,
        against_all=rules_against_all,
        blank_unit=unit_words.index("") if "" in unit_words else -1,
        county_names={k: count_rows.words["county_shown"][v]
                      for k, v in county_spelled.items()})
    ready = table_grid.ready(lay, grid, methods, wide, county_wide,
                             against_all=rules_against_all,
                             against_all_named="against_all" in t.named)
    warnings = [f"{name_rows(names, refs)}: {p}" for refs, p in notes]
    warnings += one_race.blank_cells(parts, ready)
    scope = (figures_.scope(files, t.want) if any(not k[1] for k in count_rows.races)
             else {})
    races = []
    for r in range(len(count_rows.races)):
        race, race_notes = one_race.race(parts, r, ready, methods, figures.get(r, []), scope)
        warnings += race_notes
        if race is not None:
            races.append(race)
    return races, warnings


def _named_only(rows: Rows, quiet: frozenset[str], notes: list[mend.Note]) -> Rows:
    """Rows of an office without a candidate, rows without an office and the lines to leave
    out (the totals known out of the box, noted; those the table names, quietly) left out."""
    w = rows.words
    unnamed = np.array([o == "" for o in w["option"]], bool)[rows.option] & ~rows.wide
    no_office = (rows.race < 0) & ~rows.wide
    skip = np.array([o == "skip" for o in w["option"]], bool)[rows.option]
    if unnamed.any():
        notes.append((rows.ref[unnamed & ~no_office], "no candidate named: left out"))
    if no_office.any():
        notes.append((rows.ref[no_office], "no office: left out"))
    if skip.any():
        noted = skip & ~mend.is_in(w["text"], lambda t: fold(t) in quiet)[rows.text]
        for t in first_index(rows.text[noted])[0].tolist():
            these = noted & (rows.text == t)
            notes.append((rows.ref[these], f"the line {w['text'][t]!r} is a total of the "
                          "candidates' votes, not a candidate: left out"))
    drop = unnamed | no_office | skip
    return rows.take(~drop) if drop.any() else rows


def _refuse_bad(rows: Rows, files: list[files_.File]) -> None:
    """A count the races read that is not a count: one line naming row, column and place."""
    bad = np.flatnonzero(rows.votes == files_.BAD)
    if bad.size:
        i = int(bad[0])
        raise files[rows.file[i]].count_error(rows.row(i, files))
    if rows.methods.size:
        r, c = np.nonzero(rows.methods == files_.BAD)
        if r.size:
            i = int(r[0])
            raise files[rows.file[i]].count_error(rows.row(i, files), rows.method_names[c[0]])
