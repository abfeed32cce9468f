"""Published subtotals of a race's parts (a county's total rows in an OpenElections file) against
the sums of the part's precincts: each figure ``exact``, ``mismatch``, or ``consistent`` when the
source lacks some of the part's precincts for this race and the figure is at least the sum of
those it has (a lower bound), or when it rests on precinct counts the source left blank."""

from __future__ import annotations

import numpy as np

from engine.records import Race
from engine.replay.reconcile import Check

__all__ = ["subtotal_checks"]


def _column(race: Race, key: str) -> np.ndarray | None:
    p = race.precincts
    if p is None:
        return None
    if key.startswith("candidate["):
        j = int(key[len("candidate["):-1]) - 1
        return p.votes[:, j] if j < p.votes.shape[1] else None
    return getattr(p, key, None)


def subtotal_checks(race: Race) -> list[Check]:
    """Every subtotal figure of ``race`` against the sum of its part's precincts."""
    out = []
    for part in race.subtotals:
        for fig in part.figures:
            column = _column(race, fig.key)
            if column is None:
                continue
            values = column[part.precincts]
            assert isinstance(fig.value, int)  # subtotals are counts
            known = int(values[values >= 0].sum())
            n = int(part.precincts.size)
            basis = f"sum of the {n:,} precinct{'s' * (n != 1)} of {part.name}"
            if (values < 0).any():
                status = "consistent" if fig.value >= known else "mismatch"
                out.append(Check(fig.place, fig.value, None, status, fig.source,
                                 basis + f": {int((values < 0).sum()):,} not published, the "
                                 f"others give {known:,}"))
                continue
            status = "exact" if fig.value == known else "mismatch"
            if status == "mismatch" and part.missing and fig.value > known:
                status = "consistent"
                basis += (f"; the source lacks {part.missing:,} of its precincts for this race: "
                          "the sum is a lower bound")
            out.append(Check(fig.place, fig.value, known, status, fig.source, basis))
    return out
