"""A replay written as an OpenElections CSV file (``saylau replay --format openelections``).

The layout :mod:`engine.formats.openelections.reader` reads: one row per precinct, office and
line, then each race's totals on rows with a blank precinct. Read back with the line names below
mapped (``against_all = "Against All"``, ...), the file replays to the same results; what such a
file cannot carry back as it was (two candidates of a race whose names the reader takes for one, a
candidate named like a count line, a blank precinct id) is refused, never written.
"""

from __future__ import annotations

import csv
import io
from typing import TYPE_CHECKING

import numpy as np

from engine.errors import ScenarioError
from engine.formats.openelections.reader import AGAINST_ALL, CAST, COLUMNS, INVALID, REGISTERED
from engine.formats.openelections.rows import fold, name_key

if TYPE_CHECKING:
    from engine.records import Scenario
    from engine.replay.run import Replay

__all__ = ["to_csv"]


def to_csv(rp: Replay) -> str:
    """The replay in the OpenElections layout: per race, one row per precinct and line, then
    the race's totals with a blank precinct. ``office`` is the race's name, ``district`` its id,
    ``county`` the last name of its area. Beside the candidates come the lines AGAINST_ALL (when
    the rules have it), then REGISTERED, CAST and INVALID where the race knows any of them.
    Unknown counts are blank cells. Raises :class:`ScenarioError` (see :func:`_check_names`)
    where the file would not read back as the replay."""
    s, t = rp.scenario, rp.races.totals
    _check_names(s)
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    w.writerow(COLUMNS)
    aa = s.election.rules.against_all
    for r, race in enumerate(s.races):
        k = len(race.candidates)
        # values: (precincts + 1, k + 4), the race's totals last; columns as the lines follow
        total = np.concatenate([t.votes[r, :k], [t.against_all[r], t.registered[r], t.cast[r],
                                                 t.invalid[r]]])
        p = race.precincts
        ids = ([] if p is None else list(p.ids)) + [""]
        values = total[None, :] if p is None else np.vstack([np.column_stack(
            [p.votes, p.against_all, p.registered, p.cast, p.invalid]), total])
        lines = [(c.name, c.party) for c in race.candidates] + [
            (AGAINST_ALL, ""), (REGISTERED, ""), (CAST, ""), (INVALID, "")]
        keep = np.ones(k + 4, bool)
        keep[k] = aa
        keep[k + 1:] = (values[:, k + 1:] >= 0).any(axis=0)  # a count no one published: no line
        values, lines = values[:, keep], [x for x, y in zip(lines, keep, strict=True) if y]
        cells = np.where(values >= 0, values.astype(str), "")
        county = race.area[-1] if race.area else ""
        w.writerows([county, pid, race.name, race.id, party, name, v]
                    for pid, row in zip(ids, cells, strict=True)
                    for (name, party), v in zip(lines, row, strict=True))
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
    cannot = "an OpenElections file cannot carry"
    offices: dict[tuple[str, str], str] = {}
    for race in s.races:
        first_race = offices.setdefault((fold(race.name), fold(race.id)), race.place)
        if first_race != race.place:
            raise ScenarioError(s.file, race.place, f"name {race.name!r} and id {race.id!r} are "
                                f"{first_race}'s but for case and spacing: {cannot} the two "
                                "races apart (office and district)")
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
            first = names.setdefault(name_key(c.name), j)
            if first != j:
                raise ScenarioError(s.file, where, f"{c.name!r} and candidate[{first}] "
                                    f"{race.candidates[first - 1].name!r} differ only in case, "
                                    f"spacing or punctuation: {cannot} them apart")
        if race.precincts is not None:
            for i, pid in enumerate(race.precincts.ids.tolist(), start=1):
                if not pid or pid != pid.strip():
                    raise ScenarioError(s.file, f"{race.place}.precinct[{i}]",
                                        f"precinct id {pid!r} " + (
                                            "is blank, which an OpenElections file reads as "
                                            "the race's totals" if not pid.strip() else
                                            f"begins or ends with a space, which {cannot} "
                                            "(its cells are stripped)"))
