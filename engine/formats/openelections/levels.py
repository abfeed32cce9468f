"""What each row of a table is: a precinct's votes, a county's votes counted county-wide, or a
figure the file publishes for a county or for the whole race (subtotal and total rows).

- A row with a precinct is a precinct's; one whose precinct is named as a total ("Total",
  "County Total", ...) is its county's subtotal when the county has precincts, else (a
  pseudo-county such as "MAINE" that has none in the file) the race's published total.
- A row with a county but a blank precinct is either that county's subtotal or votes counted
  county-wide (absentee, early, a precinct whose name the file lost): which one is told by the
  figures, once the precincts are summed (:func:`county_rows`): equal to the sum of the
  county's precincts, a subtotal, checked; otherwise a precinct of its own, ``<county> /
  (county-wide)``, with a warning saying why.
- A row with neither county nor precinct is the race's published total.
None of them is ever silently taken for the race's totals or dropped.
"""

from __future__ import annotations

import attrs
import numpy as np

from engine.formats.openelections.codes import runs_codes
from engine.formats.openelections.grid import MISSING
from engine.formats.openelections.rows import BLANK, REAL, TOTAL, Rows

__all__ = ["COUNT", "COUNTY_ROWS", "COUNTY_WIDE", "FIGURE_COUNTY", "FIGURE_RACE", "Kinds",
           "classify", "county_rows"]

# A row's kind: counted in a unit of its race, or a published figure of a county or the race.
COUNT, FIGURE_COUNTY, FIGURE_RACE = 0, 1, 2
COUNTY_WIDE = "(county-wide)"   # the precinct of a county's county-wide votes
COUNTY_ROWS = ("auto", "subtotals", "votes")


@attrs.frozen(eq=False)
class Kinds:
    """Each row's kind, and the rows with its unit changed: a county-level row's unit is its
    county's county-wide unit (``"<county key>\\x1f"``), a race's own counts (a race without
    precinct rows) the blank unit ""."""

    rows: Rows
    kind: np.ndarray             # (M,) int8
    county_wide: np.ndarray      # by unit code: a county's county-wide unit


def classify(rows: Rows) -> Kinds:
    """The kind of every row of ``rows`` (their races at once)."""
    n_county = max(len(rows.words["county"]), 1)
    blank_county = np.array([w == "" for w in rows.words["county"]], bool)[rows.county]
    race = rows.race.astype(np.int64)
    real = (rows.level == REAL) & ~rows.wide
    _, has_real, _ = runs_codes(race[real] * n_county + rows.county[real])
    key = race * n_county + rows.county
    kind = np.full(len(rows), COUNT, np.int8)
    total = rows.level == TOTAL
    in_race = np.isin(key, has_real) & total
    kind[total & (blank_county | (~in_race & ~rows.county_real))] = FIGURE_RACE
    kind[total & ~blank_county & (in_race | rows.county_real)] = FIGURE_COUNTY
    blank = rows.level == BLANK
    kind[blank & blank_county] = FIGURE_RACE
    # County-level rows: a unit per county (its county-wide votes, or its subtotal).
    units = list(rows.words["unit"])
    base = len(units)
    units += [f"{c}\x1f" for c in rows.words["county"]]
    unit = rows.unit.copy()
    at = blank & ~blank_county
    unit[at] = base + rows.county[at]
    # A race without counting rows: its total rows are its counts, on the blank unit.
    counted = np.zeros(len(rows.races) + 1, bool)
    counted[rows.race[(kind == COUNT) & ~rows.wide]] = True
    own = (kind == FIGURE_RACE) & ~counted[rows.race] & ~rows.wide
    if own.any():
        if "" not in units:
            units.append("")
        unit[own] = units.index("")
        kind[own] = COUNT
    county_wide = np.zeros(len(units), bool)
    county_wide[base:base + len(rows.words["county"])] = True
    words = dict(rows.words, unit=units)
    return Kinds(rows=attrs.evolve(rows, unit=unit, words=words), kind=kind,
                 county_wide=county_wide)


def county_rows(grid: np.ndarray, labels: list[str], wide: int, same_county: np.ndarray,
                policy: str) -> tuple[bool, str]:
    """Whether the county-wide unit (row ``wide`` of a race's ``grid``, candidates ``labels``)
    is its county's subtotal: its candidates' counts equal the sums of the county's other
    precincts (``same_county``: their rows), and why, for the warning when it is not.

    policy "subtotals" or "votes" decides without looking; "auto" looks."""
    if policy != "auto":
        return policy == "subtotals" and same_county.size > 0, (
            'county_rows = "votes"' if policy == "votes" else "")
    if not same_county.size:
        return False, "the race has no other precinct in the county"
    k = len(labels)
    mine = grid[wide, :k]
    parts = grid[same_county, :k]
    given = mine != MISSING  # a subtotal may leave a line out; it gives the others
    if (mine[given] == -1).any() or (parts[:, given] == -1).any():
        return False, "some of their counts are blank"
    summed = np.where(parts == MISSING, 0, parts).sum(axis=0)
    differ = np.flatnonzero(given & (mine != summed))
    if not differ.size:
        return True, ""
    j = int(differ[0])
    return False, (f"they are not the sum of the county's {same_county.size} precinct"
                   f"{'s' * (same_county.size != 1)} ({labels[j]!r}: {int(mine[j]):,} against "
                   f"{int(summed[j]):,})")
