"""Precinct results from a CSV or Parquet file: one row per precinct, a column per option.

Real results come as spreadsheets of tens of thousands of rows with headers in any language, so
the scenario maps column names to meanings in its ``[precincts]`` table: the race, the precinct
id (one column or several: a station is region + number), the area path of each row, the
protocol's lines (each one column or the sum of several) and the candidates. Columns are read
with pyarrow and converted as whole arrays (:mod:`engine.formats.columns`); a bad cell is named
by its row and column.

A race's rows may lie in several areas (a national race over regions and districts): the race
then gets results by area; its own area is the part of the path all its rows share, unless the
race names one, which every row's path must then start with.
"""

from __future__ import annotations

import csv
from collections.abc import Callable
from pathlib import Path

import attrs
import numpy as np

from engine.errors import ScenarioError
from engine.formats.columns import Columns, read_columns, read_header
from engine.formats.counts import MAX_COUNT, type_name
from engine.formats.files import check_file
from engine.formats.toml_reader import Reader
from engine.law.protocol import Protocol
from engine.records import COUNT_COLUMNS, Race, RacePrecincts, common_area

__all__ = ["ColumnMap", "PrecinctPlan", "fold", "plan_csv", "read_csv", "read_records"]

_TOO_LARGE = MAX_COUNT  # as for counts in the scenario file (sums stay inside int64)


def read_records(path: Path, name: str, fail: Callable[[str, str], None], key: str, *,
                 delimiter: str = ",") -> list[list[str]]:
    """The records of the CSV file ``path``, the header first (UTF-8, a BOM allowed). A missing
    file is ``fail(problem, key)`` (the scenario's key naming it); bytes that are not UTF-8, a
    file the csv module cannot read and an empty file are errors naming the file as ``name``;
    so are a file that is not a regular one and one past the ``records_bytes`` limit (it is
    read whole)."""
    if not path.exists():
        fail(f"no such file {str(path)!r}", key)
    check_file(path, name, "records_bytes")
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


_SHOWN = 3  # examples named in one error or warning line


def _names(cols: Reader, key: str) -> tuple[str, ...]:
    """A column name, or several (a line summed over columns, an id made of columns)."""
    value = cols.raw(key)
    if value is None:
        return ()
    names = [value] if isinstance(value, str) else value
    if not isinstance(names, list) or not names or not all(
            isinstance(v, str) and v.strip() for v in names):
        cols.fail(f"must be a column name or an array of column names, got {type_name(value)}",
                  key)
    return tuple(names)


@attrs.frozen
class ColumnMap:
    race: str | None
    precinct: tuple[str, ...]
    area: tuple[str, ...]
    candidates: tuple[str, ...]
    lines: dict[str, tuple[str, ...]]  # protocol line -> the columns summed into it

    def columns(self) -> list[tuple[str, str]]:
        """(scenario key, column) for every column named."""
        out = [("race", self.race)] if self.race else []
        out += [(f"precinct[{i}]" if len(self.precinct) > 1 else "precinct", c)
                for i, c in enumerate(self.precinct, 1)]
        out += [(f"area[{i}]", c) for i, c in enumerate(self.area, 1)]
        out += [(f"candidates[{i}]", c) for i, c in enumerate(self.candidates, 1)]
        for line, cs in self.lines.items():
            out += [(f"{line}[{i}]" if len(cs) > 1 else line, c) for i, c in enumerate(cs, 1)]
        return out


def _mapping(spec: Reader, protocol: Protocol) -> ColumnMap:
    cols = spec.table("columns", required=True)
    m = ColumnMap(race=cols.str("race"), precinct=_names(cols, "precinct"),
                 area=cols.str_list("area"), candidates=cols.str_list("candidates"),
                 lines={line: names for line in protocol.all_lines
                        if (names := _names(cols, line))})
    if not m.candidates:
        cols.fail("is required but missing: the columns of the candidates, in ballot order",
                  "candidates")
    cols.close()
    return m


def _missing(col: str, name: str, header: list[str]) -> str:
    import difflib

    near = difflib.get_close_matches(col, header, n=1, cutoff=0.6)
    tip = f"; did you mean {near[0]!r}?" if near else ""
    shown = ", ".join(repr(h[:40]) for h in header[:_SHOWN])
    more = f" and {len(header) - _SHOWN} more" if len(header) > _SHOWN else ""
    return f"column {col!r} is not in the header of {name} ({shown}{more}){tip}"


@attrs.frozen
class PrecinctPlan:
    """A ``[precincts]`` table checked against its file's header, before any row is read: the
    file, its columns' meanings, the count columns with the value of their blank cells (-1
    unknown for a line, 0 votes for a candidate) and the text columns."""

    path: Path
    name: str
    delimiter: str
    columns: ColumnMap
    counts: dict[str, int]
    texts: tuple[str, ...]

    @property
    def lines(self) -> tuple[str, ...]:
        """The protocol's lines the file gives beside the tally's four, in the table's order."""
        return tuple(x for x in self.columns.lines if x not in COUNT_COLUMNS)


def plan_csv(spec: Reader, races: tuple[Race, ...], base: Path, protocol: Protocol
             ) -> PrecinctPlan:
    """The ``[precincts]`` table ``spec`` read and its columns found in the file's header."""
    file = spec.str("file", required=True)
    delimiter = spec.str("delimiter", default=",")
    m = _mapping(spec, protocol)
    spec.close()
    if len(delimiter) != 1:
        spec.fail(f"must be one character, got {delimiter!r}", "delimiter")
    if not races:
        spec.fail("needs the [[race]] tables its rows belong to")
    if m.race is None and len(races) > 1:
        spec.fail("columns.race is required when the scenario has more than one race", "columns")

    name = Path(file).name
    header = read_header(base / file, name, lambda problem: spec.fail(problem, "file"),
                         delimiter=delimiter)
    for key, col in m.columns():
        if col not in header:
            spec.fail(_missing(col, name, header), f"columns.{key}")
    # an empty cell: unknown for a line, no votes for a candidate
    counts = {c: -1 for cols in m.lines.values() for c in cols}
    counts.update({c: 0 for c in m.candidates if c not in counts})
    texts = tuple(dict.fromkeys([*([m.race] if m.race else []), *m.precinct, *m.area]))
    return PrecinctPlan(path=base / file, name=name, delimiter=delimiter, columns=m,
                        counts=counts, texts=texts)


def read_csv(spec: Reader, races: tuple[Race, ...], base: Path, protocol: Protocol
             ) -> tuple[tuple[Race, ...], tuple[str, ...]]:
    """Attach the precinct rows of ``spec['file']`` to their races (by the race column); also
    what reading found worth a warning (blank count cells), one line each."""
    plan = plan_csv(spec, races, base, protocol)
    table = read_columns(plan.path, plan.name, plan.counts, list(plan.texts),
                         delimiter=plan.delimiter)
    return _attach(table, plan.columns, races)


def _line(table: Columns, cols: tuple[str, ...], warnings: list[str]) -> np.ndarray:
    """A protocol line: its column, or the sum of its columns (unknown where a part is)."""
    parts = [table.counts(c) for c in cols]
    for c, part in zip(cols, parts, strict=True):
        blank = np.flatnonzero(part < 0)
        if blank.size:
            rows = ", ".join(str(int(i) + 2) for i in blank[:_SHOWN])
            more = f" and {blank.size - _SHOWN:,} more" if blank.size > _SHOWN else ""
            warnings.append(f"{table.name}: column {c!r}: {blank.size:,} blank cell(s) (row "
                            f"{rows}{more}): unknown")
    if len(parts) == 1:
        return parts[0]
    known = np.logical_and.reduce([p >= 0 for p in parts])
    return np.where(known, np.sum(parts, axis=0), -1)


def _combined(codes: list[np.ndarray]) -> np.ndarray:
    """One int64 key per row from several columns' codes (each in [0, its count))."""
    key = np.zeros(codes[0].size, np.int64)
    for c in codes:
        key = key * (int(c.max(initial=0)) + 1) + c
    return key


def _first_seen(key: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Codes of ``key``'s distinct values, numbered in order of first appearance, and the row
    where each first appears."""
    _, first, inverse = np.unique(key, return_index=True, return_inverse=True)
    order = np.argsort(first, kind="stable")
    rank = np.empty_like(order)
    rank[order] = np.arange(order.size)
    return rank[inverse.ravel()], first[order]


def _paths(table: Columns, cols: tuple[str, ...]) -> tuple[np.ndarray, list[tuple[str, ...]]]:
    """Each row's path through ``cols`` as a code into the distinct paths (first seen first)."""
    coded = [table.codes(c) for c in cols]
    for c, (codes, words) in zip(cols, coded, strict=True):
        if "" in words:
            i = int(np.flatnonzero(codes == words.index(""))[0])
            table.fail(i, c, "is blank; every row needs its area (or leave the column out)")
    code, first = _first_seen(_combined([codes for codes, _ in coded]))
    paths = [tuple(words[codes[i]] for codes, words in coded) for i in first.tolist()]
    return code, paths


def _ids(table: Columns, cols: tuple[str, ...], n: int
         ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Precinct ids (text), their exact codes and their codes with case and spacing folded."""
    if not cols:
        ids = np.arange(2, n + 2).astype(str)
        return ids, np.arange(n), np.arange(n)
    coded = [table.codes(c) for c in cols]
    words = [np.asarray(w, dtype=str) for _, w in coded]
    exact = _combined([codes for codes, _ in coded])
    folded = _combined([_fold_codes(w)[codes] for (codes, _), w in zip(coded, words,
                                                                       strict=True)])
    ids = words[0][coded[0][0]]
    for (codes, _), w in zip(coded[1:], words[1:], strict=True):
        ids = np.strings.add(np.strings.add(ids, " / "), w[codes])
    return ids, exact, folded


def fold(word: str) -> str:
    """A precinct id's word with case and runs of spaces ignored."""
    return " ".join(word.split()).casefold()


def _fold_codes(words: np.ndarray) -> np.ndarray:
    """Codes of ``words`` with case and runs of spaces ignored."""
    folded = [fold(str(w)) for w in words]
    seen: dict[str, int] = {}
    return np.fromiter((seen.setdefault(w, len(seen)) for w in folded), np.int64,
                       count=len(folded))


def _attach(table: Columns, m: ColumnMap, races: tuple[Race, ...]
            ) -> tuple[tuple[Race, ...], tuple[str, ...]]:
    name, n = table.name, table.n_rows
    by_id = {r.id: i for i, r in enumerate(races)}
    if m.race is None:
        row_race = np.zeros(n, np.int64)
    else:
        codes, words = table.codes(m.race)
        remap = np.array([by_id.get(w, -1) for w in words], np.int64)
        row_race = remap[codes]
        unknown = np.flatnonzero(row_race < 0)
        if unknown.size:
            i = int(unknown[0])
            table.fail(i, m.race, f"race {words[codes[i]]!r} is not a [[race]] id of the "
                                  "scenario")
    warnings: list[str] = []
    lines = {line: _line(table, cols, warnings) for line, cols in m.lines.items()}
    base = {c: lines.pop(c) if c in lines else np.full(n, -1, np.int64) for c in COUNT_COLUMNS}
    votes = np.stack([np.maximum(table.counts(c), 0) for c in m.candidates], axis=1)
    ids, exact, folded = _ids(table, m.precinct, n)
    area_code, paths = _paths(table, m.area) if m.area else (None, [])

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
        if m.precinct:
            _no_repeats(table, m.precinct, race, sel, ids, exact, folded)
        area: tuple[str, ...] = race.area
        local: np.ndarray | None = None
        local_paths: tuple[tuple[str, ...], ...] = ()
        if area_code is not None:
            area, local, local_paths = _areas_of(table, m.area, race, sel, area_code, paths)
        p = RacePrecincts(ids=ids[sel], votes=votes[sel, :k],
                          **{c: v[sel] for c, v in base.items()},
                          lines={line: v[sel] for line, v in lines.items()},
                          area=local, area_paths=local_paths)
        out.append(attrs.evolve(race, precincts=p, area=area))
    return tuple(out), tuple(warnings)


def _no_repeats(table: Columns, cols: tuple[str, ...], race: Race, sel: np.ndarray,
                ids: np.ndarray, exact: np.ndarray, folded: np.ndarray) -> None:
    """A precinct id given twice in a race (exactly, or but for case and spacing) is refused:
    exported, the two would come back as one."""
    for key in (exact, folded):
        _, counts = np.unique(key[sel], return_counts=True)
        repeats = int((counts > 1).sum())
        if not repeats:
            continue
        seen: dict[int, int] = {}
        for i in sel.tolist():  # the first repeat in file order (stops there)
            j = seen.setdefault(int(key[i]), i)
            if j != i:
                break
        how = "" if ids[i] == ids[j] else (f", as {str(ids[j])!r}: ids that differ only in "
                                           "case or spacing are one precinct")
        more = f"; {repeats - 1:,} more id(s) repeat" if repeats > 1 else ""
        tip = ("; a station may need several columns to be one id, e.g. precinct = "
               "[\"region\", \"number\"]" if len(cols) == 1 else "")
        where = cols[0] if len(cols) == 1 else " + ".join(cols)
        table.fail(i, where, f"duplicate precinct id {str(ids[i])!r} in race {race.id!r} "
                   f"(also row {j + 2}{how}){more}{tip}")


def _areas_of(table: Columns, cols: tuple[str, ...], race: Race, sel: np.ndarray,
              area_code: np.ndarray, paths: list[tuple[str, ...]]
              ) -> tuple[tuple[str, ...], np.ndarray | None, tuple[tuple[str, ...], ...]]:
    """The race's area and its rows' area paths: codes into the paths its rows use (None when
    every row lies in the race's own area)."""
    used, local = np.unique(area_code[sel], return_inverse=True)
    own = [paths[int(u)] for u in used]
    if race.area:
        d = len(race.area)
        outside = [i for i, p in enumerate(own) if p[:d] != race.area]
        if outside:
            row = int(sel[np.flatnonzero(local == outside[0])[0]])
            table.fail(row, cols[0], f"the row's area {list(own[outside[0]])} is not inside "
                                     f"race {race.id!r}'s area {list(race.area)}")
        area = race.area
    else:
        area = common_area(own)
    if all(p == area for p in own):
        return area, None, ()
    return area, local.astype(np.int64), tuple(own)


