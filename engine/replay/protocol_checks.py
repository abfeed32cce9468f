"""The protocol's control relations checked at every station, all stations at once.

A relation that fails is a finding, never an error: each relation says at how many stations it
was checked (every line known), failed, or could not be checked, where the failures lie (each
race and its areas one level down), and which stations fail worst, with their figures.
"""

from __future__ import annotations

import attrs
import numpy as np

from engine.law.protocol import OPTIONS, Protocol, Relation, holds, sides
from engine.records import COUNT_COLUMNS
from engine.tally.races import PrecinctTable

__all__ = ["WORST", "AreaCount", "ProtocolFindings", "RelationFindings", "Station",
           "check_protocol"]

WORST = 10  # stations listed per relation


@attrs.frozen
class Station:
    """A station where a relation fails: its race (row in the replay), id, area, both sides of
    the relation and each of its lines."""

    race: int
    precinct: str
    area: tuple[str, ...]
    left: int
    right: int
    figures: tuple[tuple[str, int], ...]


@attrs.frozen
class AreaCount:
    """Stations checked and failed in one race, or in one of its areas (``path``)."""

    race: int
    path: tuple[str, ...]
    checked: int
    failed: int


@attrs.frozen
class RelationFindings:
    relation: Relation
    checked: int
    failed: int
    unknown: int                 # stations with a line of the relation unknown
    missing: tuple[str, ...]     # lines no station gives: the relation is not checked
    by_race: tuple[AreaCount, ...]
    by_area: tuple[AreaCount, ...]
    worst: tuple[Station, ...]


@attrs.frozen
class ProtocolFindings:
    """Every relation of ``protocol`` at the ``stations`` precinct rows of a replay."""

    protocol: Protocol
    stations: int
    derived: tuple[str, ...]     # lines computed from others (Protocol.derived)
    relations: tuple[RelationFindings, ...]

    @property
    def failed(self) -> int:
        return sum(r.failed for r in self.relations)


def _lines(table: PrecinctTable, rows: np.ndarray, against_all_line: bool
           ) -> dict[str, np.ndarray]:
    """Every line at ``rows`` (a line no row gives is absent), options included."""
    c = table.counts[rows]
    out = {}
    for i, name in enumerate(COUNT_COLUMNS):
        if (c[:, i] >= 0).any():
            out[name] = c[:, i]
    votes = c[:, 4:]
    against = c[:, 3] if against_all_line else np.maximum(c[:, 3], 0)
    known = (votes >= 0).all(axis=1) & (against >= 0)
    out[OPTIONS] = np.where(known, votes.sum(axis=1) + np.maximum(against, 0), -1)
    for name, values in table.lines.items():
        if (values[rows] >= 0).any():
            out[name] = values[rows]
    return out


def check_protocol(protocol: Protocol, table: PrecinctTable, rows: np.ndarray,
                   ids: np.ndarray, race_depth: np.ndarray, derived: tuple[str, ...], *,
                   against_all_line: bool = True) -> ProtocolFindings:
    """Check every relation at the precinct ``rows`` of ``table`` (``ids`` their ids, a
    race's own area ``race_depth`` names deep)."""
    lines = _lines(table, rows, against_all_line)
    race = table.race[rows]
    top = _top_areas(table, rows, race_depth)
    found = [_relation(rel, lines, race, top, ids, rows, table) for rel in protocol.relations]
    return ProtocolFindings(protocol=protocol, stations=int(rows.size), derived=derived,
                            relations=tuple(found))


def _top_areas(table: PrecinctTable, rows: np.ndarray, race_depth: np.ndarray
               ) -> tuple[np.ndarray, list[tuple[str, ...]]]:
    """Each row's area one level below its race's own (code into the list; -1 none)."""
    if table.area is None:
        return np.full(rows.size, -1, np.int64), []
    code = table.area[rows]
    depth = np.asarray(race_depth, np.int64)[table.race[rows]]
    deepest = int(depth.max(initial=0)) + 1
    found: dict[tuple[str, ...], int] = {}
    top = np.full((len(table.area_paths), deepest), -1, np.int64)  # (path, race depth) -> area
    for c, path in enumerate(table.area_paths):
        for d in range(min(len(path), deepest)):
            top[c, d] = found.setdefault(path[:d + 1], len(found))
    out = np.where(code >= 0, top[np.maximum(code, 0), depth], -1)
    return out, list(found)


def _relation(rel: Relation, lines: dict[str, np.ndarray], race: np.ndarray,
              top: tuple[np.ndarray, list[tuple[str, ...]]], ids: np.ndarray,
              rows: np.ndarray, table: PrecinctTable) -> RelationFindings:
    missing = tuple(n for n in rel.lines if n not in lines)
    if missing:
        return RelationFindings(rel, 0, 0, int(rows.size), missing, (), (), ())
    left, right, known = sides(rel, lines)
    fails = known & ~holds(rel, left, right)
    by_race = _counted(race, np.zeros(race.size, np.int64) - 1, known, fails, [])
    code, paths = top
    by_area = _counted(race, code, known, fails, paths) if paths else ()
    worst = np.flatnonzero(fails)
    gap = np.abs(left[worst] - right[worst])
    worst = worst[np.argsort(-gap, kind="stable")][:WORST]
    names = rel.lines
    stations = tuple(Station(
        race=int(race[i]), precinct=str(ids[i]),
        area=table.area_paths[int(table.area[rows[i]])] if table.area is not None
        and table.area[rows[i]] >= 0 else (),
        left=int(left[i]), right=int(right[i]),
        figures=tuple((n, int(lines[n][i])) for n in names)) for i in worst)
    return RelationFindings(rel, int(known.sum()), int(fails.sum()), int((~known).sum()), (),
                            by_race, by_area, stations)


def _counted(race: np.ndarray, area: np.ndarray, known: np.ndarray, fails: np.ndarray,
             paths: list[tuple[str, ...]]) -> tuple[AreaCount, ...]:
    """Stations checked and failed per (race, area); areas in path order."""
    width = len(paths) + 1
    distinct, group = np.unique(race * width + (area + 1), return_inverse=True)
    group = group.ravel()
    checked = np.bincount(group, weights=known, minlength=len(distinct)).astype(np.int64)
    failed = np.bincount(group, weights=fails, minlength=len(distinct)).astype(np.int64)
    out = [AreaCount(int(k // width), paths[int(k % width) - 1] if k % width else (), int(c),
                     int(f))
           for k, c, f in zip(distinct.tolist(), checked, failed, strict=True)]
    return tuple(sorted(out, key=lambda x: (x.race, x.path)))
