"""Precinct results from a CSV file: one row per precinct, a column per option.

Real results come as spreadsheets of tens of thousands of rows with headers in any language, so
the scenario maps column names to meanings in its ``[precincts]`` table. Columns are converted
as whole arrays; a bad cell is located (row and column) only when conversion fails.
"""

from __future__ import annotations

import csv
from pathlib import Path

import attrs
import numpy as np

from engine._reader import Reader
from engine.errors import ScenarioError
from engine.scenario import Precincts, Race

__all__ = ["read_csv"]

_COUNT_COLUMNS = ("registered", "cast", "invalid", "against_all")


def read_csv(spec: Reader, races: tuple[Race, ...], base: Path) -> tuple[Race, ...]:
    """Attach the precinct rows of ``spec['file']`` to their races (by the race column)."""
    file = spec.str("file", required=True)
    delimiter = spec.str("delimiter", default=",")
    cols = spec.table("columns", required=True)
    mapping = {
        "race": cols.str("race"),
        "precinct": cols.str("precinct"),
        **{n: cols.str(n) for n in _COUNT_COLUMNS},
    }
    candidate_cols = cols.str_list("candidates")
    area_cols = cols.str_list("area")
    if not candidate_cols:
        cols.fail("is required but missing: the columns of the candidates, in ballot order",
                  "candidates")
    cols.close()
    spec.close()
    if len(delimiter) != 1:
        spec.fail(f"must be one character, got {delimiter!r}", "delimiter")
    if not races:
        spec.fail("needs the [[race]] tables its rows belong to")
    if mapping["race"] is None and len(races) > 1:
        spec.fail("columns.race is required when the scenario has more than one race", "columns")

    path = base / file
    name = Path(file).name
    try:
        with path.open(encoding="utf-8-sig", newline="") as fh:
            rows = list(csv.reader(fh, delimiter=delimiter))
    except FileNotFoundError:
        spec.fail(f"no such file {str(path)!r}", "file")
    except UnicodeDecodeError as err:
        raise ScenarioError(name, f"byte {err.start}", "not UTF-8 text") from None
    except csv.Error as err:
        raise ScenarioError(name, "", f"not a readable CSV file: {err}") from None
    if not rows:
        raise ScenarioError(name, "", "is empty: no header row")
    header = [h.strip() for h in rows[0]]
    body = rows[1:]
    index = {h: i for i, h in enumerate(header)}
    for key, col in [*mapping.items(), *((f"candidates[{i}]", c) for i, c in
                                         enumerate(candidate_cols, 1)),
                     *((f"area[{i}]", c) for i, c in enumerate(area_cols, 1))]:
        if col is not None and col not in index:
            spec.fail(f"column {col!r} is not in the header of {name} ({', '.join(header)})",
                      f"columns.{key}")
    width = len(header)
    for n, row in enumerate(body, start=2):
        if len(row) != width:
            raise ScenarioError(name, f"row {n}", f"has {len(row)} cells, the header has {width}")
    if not body:
        raise ScenarioError(name, "", "has a header but no precinct rows")
    columns = list(zip(*body, strict=True))

    def text(col: str) -> np.ndarray:
        return np.char.strip(np.array(columns[index[col]], dtype=str))

    def counts(col: str | None, *, blank: int | None) -> np.ndarray:
        if col is None:
            return np.full(len(body), -1, np.int64)
        a = text(col)
        negative = np.char.startswith(a, "-")
        if negative.any():
            n = int(np.flatnonzero(negative)[0]) + 2
            raise ScenarioError(name, f"row {n}, column {col!r}",
                                f"must be >= 0, got {str(a[n - 2])}")
        empty = a == ""
        if empty.any():
            if blank is None:
                n = int(np.flatnonzero(empty)[0]) + 2
                raise ScenarioError(name, f"row {n}, column {col!r}", "is empty: a count is needed")
            a = np.where(empty, str(blank), a)
        try:
            out = a.astype(np.int64)
        except (ValueError, OverflowError):
            for n, cell in enumerate(a, start=2):
                if not cell.lstrip("-").isdigit():
                    raise ScenarioError(name, f"row {n}, column {col!r}",
                                        f"must be a whole number, got {str(cell)!r}") from None
            raise
        return out

    by_id = {r.id: i for i, r in enumerate(races)}
    if mapping["race"] is None:
        row_race = np.zeros(len(body), np.int64)
    else:
        ids, inverse = np.unique(text(mapping["race"]), return_inverse=True)
        unknown = [str(i) for i in ids if str(i) not in by_id]
        if unknown:
            n = int(np.flatnonzero(text(mapping["race"]) == unknown[0])[0]) + 2
            raise ScenarioError(name, f"row {n}, column {mapping['race']!r}",
                                f"race {str(unknown[0])!r} is not a [[race]] id of the scenario")
        row_race = np.array([by_id[str(i)] for i in ids], np.int64)[inverse]
    precinct_ids = (text(mapping["precinct"]) if mapping["precinct"]
                    else np.array([str(i) for i in range(2, len(body) + 2)]))
    base_counts = {n: counts(mapping[n], blank=-1) for n in _COUNT_COLUMNS}
    votes = np.stack([counts(c, blank=0) for c in candidate_cols], axis=1)
    areas = np.stack([text(c) for c in area_cols], axis=1) if area_cols else None

    # One stable sort by race, then slice per race (no per-row Python work).
    order = np.argsort(row_race, kind="stable")
    bounds = np.searchsorted(row_race[order], np.arange(len(races) + 1))
    out = []
    for r, race in enumerate(races):
        sel = order[bounds[r]:bounds[r + 1]]
        if sel.size == 0:
            out.append(race)
            continue
        k = len(race.candidates)
        extra = votes[sel, k:]
        if extra.any():
            i = int(sel[np.flatnonzero(extra.any(axis=1))[0]])
            raise ScenarioError(name, f"row {i + 2}", f"race {race.id!r} has {k} candidates, "
                                "but a later candidate column holds votes")
        if race.precincts is not None:
            raise ScenarioError(name, f"row {int(sel[0]) + 2}",
                                f"race {race.id!r} already has inline [[race.precinct]] rows")
        area = race.area
        if areas is not None:
            paths = {tuple(x) for x in areas[sel]}
            if len(paths) > 1 or (area and paths != {area}):
                found = sorted(paths | ({area} if area else set()))
                raise ScenarioError(name, f"race {race.id!r}",
                                    f"rows name more than one area: {[list(p) for p in found]}")
            area = area or next(iter(paths))
        p = Precincts(ids=precinct_ids[sel], votes=votes[sel, :k],
                      **{n: c[sel] for n, c in base_counts.items()})
        out.append(attrs.evolve(race, precincts=p, area=area))
    return tuple(out)
