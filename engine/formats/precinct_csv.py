"""Precinct results from a CSV file: one row per precinct, a column per option.

Real results come as spreadsheets of tens of thousands of rows with headers in any language, so
the scenario maps column names to meanings in its ``[precincts]`` table. Columns are converted
as whole arrays; a bad cell is located (row and column) only when conversion fails.
"""

from __future__ import annotations

import csv
from collections.abc import Callable
from pathlib import Path

import attrs
import numpy as np

from engine.errors import ScenarioError
from engine.formats.consistency import repeated_precinct
from engine.formats.toml_reader import Reader
from engine.records import COUNT_COLUMNS, Race, RacePrecincts

__all__ = ["read_csv"]

_TOO_LARGE = 2**62  # as for counts in the scenario file (sums stay inside int64)


def read_records(path: Path, name: str, fail: Callable[[str, str], None], key: str, *,
                 delimiter: str = ",") -> list[list[str]]:
    """The records of the CSV file ``path``, the header first (UTF-8, a BOM allowed). A missing
    file is ``fail(problem, key)`` (the scenario's key naming it); bytes that are not UTF-8, a
    file the csv module cannot read and an empty file are errors naming the file as ``name``."""
    try:
        with path.open(encoding="utf-8-sig", newline="") as fh:
            records = list(csv.reader(fh, delimiter=delimiter))
    except FileNotFoundError:
        fail(f"no such file {str(path)!r}", key)
        raise  # fail raises; this keeps the flow plain
    except UnicodeDecodeError as err:
        raise ScenarioError(name, f"byte {err.start}", "not UTF-8 text") from None
    except csv.Error as err:
        raise ScenarioError(name, "", f"not a readable CSV file: {err}") from None
    if not records:
        raise ScenarioError(name, "", "is empty: no header row")
    return records


def read_csv(spec: Reader, races: tuple[Race, ...], base: Path) -> tuple[Race, ...]:
    """Attach the precinct rows of ``spec['file']`` to their races (by the race column)."""
    file = spec.str("file", required=True)
    delimiter = spec.str("delimiter", default=",")
    cols = spec.table("columns", required=True)
    mapping = {
        "race": cols.str("race"),
        "precinct": cols.str("precinct"),
        **{n: cols.str(n) for n in COUNT_COLUMNS},
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

    name = Path(file).name
    rows = read_records(base / file, name, spec.fail, "file", delimiter=delimiter)
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
    if set(map(len, body)) - {width}:
        n, row = next((n, row) for n, row in enumerate(body, start=2) if len(row) != width)
        raise ScenarioError(name, f"row {n}", f"has {len(row)} cells, the header has {width}")
    if not body:
        raise ScenarioError(name, "", "has a header but no precinct rows")
    columns: dict[int, list[str]] = {}

    def column(col: str) -> list[str]:
        i = index[col]
        if i not in columns:
            columns[i] = [row[i] for row in body]
        return columns[i]

    def text(col: str) -> np.ndarray:
        return np.array([cell.strip() for cell in column(col)])

    def counts(col: str | None, *, blank: int) -> np.ndarray:
        """A count column; an empty cell is ``blank`` (-1: unknown, 0: no votes)."""
        if col is None:
            return np.full(len(body), -1, np.int64)
        cells = column(col)
        # The fast path takes short runs of plain ASCII digits only (int() would also take
        # "+5", "1_000" and other scripts' digits); anything else goes to the slow path, which
        # names the first bad cell.
        plain = "".join(cells).replace(" ", "")
        if plain.isascii() and plain.isdigit() and max(map(len, cells)) <= 18:  # < 10^18
            try:
                return np.fromiter(map(int, cells), np.int64, count=len(cells))
            except ValueError:  # blank cells, or "1 000": a space inside a number
                pass
            try:
                return np.fromiter((int(c) if c.strip() else blank for c in cells), np.int64,
                                   count=len(cells))
            except ValueError:
                pass
        return _counts_slow(cells, col, blank)

    def _counts_slow(cells: list[str], col: str, blank: int) -> np.ndarray:
        """Blank cells become ``blank``; the first cell that is not a count is named."""
        out = np.empty(len(cells), np.int64)
        for n, cell in enumerate(cells):
            cell = cell.strip()
            digits = cell.removeprefix("-")
            if cell == "":
                out[n] = blank
            elif not (digits.isascii() and digits.isdigit()):
                raise ScenarioError(name, f"row {n + 2}, column {col!r}",
                                    f"must be a whole number, got {cell!r}")
            elif cell.startswith("-"):
                raise ScenarioError(name, f"row {n + 2}, column {col!r}",
                                    f"must be >= 0, got {cell}")
            elif int(cell) >= _TOO_LARGE:
                raise ScenarioError(name, f"row {n + 2}, column {col!r}",
                                    f"is too large for a count, got {cell}")
            else:
                out[n] = int(cell)
        return out

    by_id = {r.id: i for i, r in enumerate(races)}
    if mapping["race"] is None:
        row_race = np.zeros(len(body), np.int64)
    else:
        cells = column(mapping["race"])
        row_race = np.fromiter((by_id.get(c.strip(), -1) for c in cells), np.int64,
                               count=len(cells))
        unknown = np.flatnonzero(row_race < 0)
        if unknown.size:
            n = int(unknown[0])
            raise ScenarioError(name, f"row {n + 2}, column {mapping['race']!r}",
                                f"race {cells[n].strip()!r} is not a [[race]] id of the scenario")
    precinct_ids = (text(mapping["precinct"]) if mapping["precinct"]
                    else np.array([str(i) for i in range(2, len(body) + 2)]))
    base_counts = {n: counts(mapping[n], blank=-1) for n in COUNT_COLUMNS}
    votes = np.stack([counts(c, blank=0) for c in candidate_cols], axis=1)
    areas = np.stack([text(c) for c in area_cols], axis=1) if area_cols else None
    if areas is not None:  # one code per distinct area path; the race's rows must agree
        seen: dict[tuple[str, ...], int] = {}
        area_code = np.fromiter((seen.setdefault(path, len(seen)) for path in
                                 zip(*(column(c) for c in area_cols), strict=True)),
                                np.int64, count=len(body))

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
        clash = repeated_precinct(precinct_ids[sel].tolist()) if mapping["precinct"] else None
        if clash is not None:
            a, b, how = clash
            raise ScenarioError(name, f"row {int(sel[b]) + 2}, column {mapping['precinct']!r}",
                                f"duplicate precinct id {str(precinct_ids[sel[b]])!r} in race "
                                f"{race.id!r} (also row {int(sel[a]) + 2}{how})")
        area = race.area
        if areas is not None:
            first = int(sel[0])
            paths = ({tuple(areas[first])} if (area_code[sel] == area_code[first]).all()
                     else {tuple(x) for x in areas[sel]})
            if len(paths) > 1 or (area and paths != {area}):
                found = sorted(paths | ({area} if area else set()))
                raise ScenarioError(name, f"race {race.id!r}",
                                    f"rows name more than one area: {[list(p) for p in found]}")
            area = area or next(iter(paths))
        p = RacePrecincts(ids=precinct_ids[sel], votes=votes[sel, :k],
                      **{n: c[sel] for n, c in base_counts.items()})
        out.append(attrs.evolve(race, precincts=p, area=area))
    return tuple(out)
