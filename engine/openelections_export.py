"""A replay written as an OpenElections CSV file (``saylau replay --format openelections``).

The layout :mod:`engine.openelections` reads: one row per precinct, office and line, then each
race's totals on rows with a blank precinct. Read back with the line names below mapped
(``against_all = "Against All"``, ...), the file replays to the same results.
"""

from __future__ import annotations

import csv
import io
from typing import TYPE_CHECKING

import numpy as np

from engine.openelections import AGAINST_ALL, CAST, COLUMNS, INVALID, REGISTERED

if TYPE_CHECKING:
    from engine.replay import Replay

__all__ = ["to_csv"]


def to_csv(rp: Replay) -> str:
    """The replay in the OpenElections layout: per race, one row per precinct and line, then
    the race's totals with a blank precinct. ``office`` is the race's name, ``district`` its id,
    ``county`` the last name of its area. Beside the candidates come the lines AGAINST_ALL (when
    the rules have it), then REGISTERED, CAST and INVALID where the race knows any of them.
    Unknown counts are blank cells."""
    s, t = rp.scenario, rp.races.totals
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
