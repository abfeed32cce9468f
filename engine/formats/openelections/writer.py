"""A replay written as an OpenElections CSV file (``saylau replay --format openelections``).

The layout :mod:`engine.formats.openelections.reader` reads: one row per precinct, office and
line (the county as its file wrote it), then each race's totals on rows with a blank county and
precinct. Read back (the reader knows the names of the lines below out of the box), the file
replays to the same results; what such a file cannot carry back as it was (two candidates of a
race whose names the reader takes for one, a candidate named like a count line, a blank precinct
id) is refused, never written.
"""

from __future__ import annotations

import csv
import io
from typing import TYPE_CHECKING

import numpy as np

from engine.errors import ScenarioError
from engine.formats.openelections.levels import COUNTY_WIDE
from engine.formats.openelections.reader import AGAINST_ALL, CAST, COLUMNS, INVALID, REGISTERED
from engine.formats.openelections.vocabulary import (
    AGAINST_ALL_LINES,
    KNOWN_LINES,
    fold,
    name_key,
)

if TYPE_CHECKING:
    from engine.records import Race, Scenario
    from engine.replay.run import Replay

__all__ = ["to_csv"]


def _places(race: Race) -> tuple[list[str], list[str]]:
    """Each precinct's county and precinct cells: the county as its file wrote it (the race's
    area's last name for a race not read from one), the precinct as written (a county's
    county-wide votes, read from rows without a precinct, again without one)."""
    p = race.precincts
    assert p is not None
    ids = [str(x) for x in p.ids.tolist()]
    if p.county is None:
        return [race.area[-1] if race.area else ""] * len(ids), ids
    counties = [str(x) for x in p.county.tolist()]
    places = [pid.removeprefix(f"{c} / ") if c else pid for c, pid in zip(counties, ids,
                                                                          strict=True)]
    return counties, ["" if x == COUNTY_WIDE else x for x in places]


def to_csv(rp: Replay) -> str:
    """The replay in the OpenElections layout: per race, one row per precinct and line, then
    the race's totals with a blank county and precinct (a race without precincts: its counts
    with its area's last name as county). ``office`` and ``district`` are the race's as its
    file spelled them (else its name and id); beside the candidates come the lines AGAINST_ALL
    (where the ballot has it), then REGISTERED, CAST and INVALID where the race knows any of
    them; the votes of each vote method in columns of their own. Unknown counts are blank
    cells. Raises :class:`ScenarioError` (see :func:`_check_names`) where the file would not
    read back as the replay."""
    s, t = rp.scenario, rp.races.totals
    _check_names(s)
    methods = list(dict.fromkeys(m for race in s.races for m in race.methods))
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    w.writerow((*COLUMNS, *methods))
    for r, race in enumerate(s.races):
        k = len(race.candidates)
        # values: (precincts + 1, k + 4), the race's totals last; columns as the lines follow
        total = np.concatenate([t.votes[r, :k], [t.against_all[r], t.registered[r], t.cast[r],
                                                 t.invalid[r]]])
        p = race.precincts
        counties, places = ([], []) if p is None else _places(race)
        counties.append("" if p is not None else race.area[-1] if race.area else "")
        places.append("")
        values = total[None, :] if p is None else np.vstack([np.column_stack(
            [p.votes, p.against_all, p.registered, p.cast, p.invalid]), total])
        by_method = np.full((values.shape[0], k + 4, len(methods)), -1, np.int64)
        if p is not None and p.methods is not None:
            at = [methods.index(m) for m in race.methods]
            by_method[:-1, :k, at] = p.methods
        lines = [(c.name, c.party) for c in race.candidates] + [
            (AGAINST_ALL, ""), (REGISTERED, ""), (CAST, ""), (INVALID, "")]
        keep = np.ones(k + 4, bool)
        keep[k] = s.election.rules.against_all and race.against_all_line
        keep[k + 1:] = (values[:, k + 1:] >= 0).any(axis=0)  # a count no one published: no line
        values, by_method = values[:, keep], by_method[:, keep]
        lines = [x for x, y in zip(lines, keep, strict=True) if y]
        cells = np.where(values >= 0, values.astype(str), "")
        method_cells = np.where(by_method >= 0, by_method.astype(str), "")
        office = race.office or race.name
        district = (race.district or "") if race.office else race.id
        w.writerows([county, place, office, district, party, name, v, *m]
                    for county, place, row, mrow in zip(counties, places, cells, method_cells,
                                                        strict=True)
                    for (name, party), v, m in zip(lines, row, mrow, strict=True))
    return out.getvalue()


def _check_names(s: Scenario) -> None:
    """Refuse what the reader would read back otherwise: two races of one office and district,
    two candidates of a race whose names differ only in case, spacing or punctuation (the reader
    takes them for one), a candidate named like a line the file is read back with (it would
    become that count), a name or precinct id that begins or ends with a space (the reader
    strips cells), a blank precinct id (the race's totals row)."""
    lines = {fold(x): x for x in (REGISTERED, CAST, INVALID)}
    if s.election.rules.against_all:
        lines[fold(AGAINST_ALL)] = AGAINST_ALL
    known = dict.fromkeys(KNOWN_LINES) | (dict.fromkeys(AGAINST_ALL_LINES)
                                          if s.election.rules.against_all else {})
    cannot = "an OpenElections file cannot carry"
    offices: dict[tuple[str, str], str] = {}
    for race in s.races:
        office, district = ((race.office, race.district or "") if race.office
                            else (race.name, race.id))
        first_race = offices.setdefault((fold(office), fold(district)), race.place)
        if first_race != race.place:
            raise ScenarioError(s.file, race.place, f"office {office!r} and district "
                                f"{district!r} are {first_race}'s but for case and spacing: "
                                f"{cannot} the two races apart (office and district)")
        names: dict[str, int] = {}
        for j, c in enumerate(race.candidates, start=1):
            where = f"{race.place}.candidate[{j}].name"
            if c.name != c.name.strip():
                raise ScenarioError(s.file, where, f"{c.name!r} begins or ends with a space, "
                                    f"which {cannot} (its cells are stripped)")
            if fold(c.name) in lines:
                raise ScenarioError(s.file, where, f"{c.name!r} is the name of the line "
                                    f"{lines[fold(c.name)]!r} the export writes beside the "
                                    f"candidates: {cannot} the candidate apart from that count")
            if fold(c.name) in known:
                raise ScenarioError(s.file, where, f"{c.name!r} is the name of a line the "
                                    "reader knows as a summary line (a total, registered "
                                    f"voters, ballots, ...): {cannot} it as a candidate")
            first = names.setdefault(name_key(c.name), j)
            if first != j:
                raise ScenarioError(s.file, where, f"{c.name!r} and candidate[{first}] "
                                    f"{race.candidates[first - 1].name!r} differ only in case, "
                                    f"spacing or punctuation: {cannot} them apart")
        if race.precincts is not None:
            for i, pid in enumerate(_places(race)[1], start=1):
                if race.precincts.county is not None and not pid:
                    continue  # a county's county-wide votes: read back from rows without one
                if not pid or pid != pid.strip():
                    raise ScenarioError(s.file, f"{race.place}.precinct[{i}]",
                                        f"precinct id {pid!r} " + (
                                            "is blank, which an OpenElections file reads as "
                                            "the race's totals" if not pid.strip() else
                                            f"begins or ends with a space, which {cannot} "
                                            "(its cells are stripped)"))
