"""The replay of a precinct file read in partitions, from the sums its partitions added up
(:class:`engine.replay.partial.Partial`): the same :class:`Replay` as the in-memory one.

The rows the scenario itself holds (races of their own counts, inline ``[[race.precinct]]``
rows) are one more chunk. Then what only the whole file can say is decided as
:mod:`engine.replay.precinct_table` decides it for a table in memory: a count column is given
when any row knows it, a derivation runs when every part is given and is named when it made a
line or filled a cell, a line is checked by the protocol when any station knows it. Race totals
are leaves summed by race, the areas below each race are leaves summed up their paths
(:func:`areas_from_leaves`), the relations' counts are leaves summed by race and by the area
one level below it; the decisions and the published-figure checks are the in-memory replay's
own (:func:`engine.replay.run.settle`).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from engine.law.protocol import BASIC, OPTIONS, Protocol
from engine.records import COUNT_COLUMNS, UNKNOWN, Scenario
from engine.replay.partial import Partial, Rows, order_key
from engine.replay.precinct_table import raw_table
from engine.replay.protocol_checks import AreaCount, ProtocolFindings, RelationFindings, Station
from engine.replay.run import Replay, settle
from engine.tally.precinct_areas import PrecinctAreaResults, areas_from_leaves
from engine.tally.races import totals_of
from engine.tally.sums import sum_by_group

__all__ = ["replay_partial"]


def replay_partial(scenario: Scenario, partial: Partial, *, file_races: frozenset[int],
                   named: frozenset[int], file_lines: tuple[str, ...],
                   precinct_rows: np.ndarray) -> Replay:
    """The replay of ``scenario`` whose races ``file_races`` took their rows from a file whose
    sums are ``partial`` (every station named). ``named``: the file's races whose rows name
    areas below the race's own; ``file_lines``: the protocol lines the file gives beside the
    four (in the mapping's order); ``precinct_rows`` (R,): the file's rows per race."""
    protocol = scenario.election.protocol or BASIC
    against = scenario.election.rules.against_all
    k = scenario.max_candidates
    total = Partial(protocol, k, against_all_line=against)
    total += partial
    total.add(_own_rows(scenario, file_races))
    named = named | {r for r, race in enumerate(scenario.races) if r not in file_races
                     and race.precincts is not None and race.precincts.area is not None}
    stations = frozenset(file_races) | {r for r, race in enumerate(scenario.races)
                                        if race.precincts is not None}
    leaves = _Leaves(total, named, stations)
    lines, made = _lines(scenario, total, file_races, file_lines, protocol)
    cols = [*range(4 + k), *(4 + k + total.lines.index(x) for x in lines)]
    n_races = len(scenario.races)
    sums = leaves.known(sum_by_group(leaves.sums[:, cols], leaves.race, n_races),
                        sum_by_group(leaves.gaps[:, cols], leaves.race, n_races),
                        np.bincount(leaves.race, minlength=n_races))
    n_cand = np.array([len(r.candidates) for r in scenario.races], np.int64)
    totals = totals_of(sums[:, :4 + k],
                       {x: sums[:, 4 + k + i].copy() for i, x in enumerate(lines)},
                       n_cand, against_all_line=against)
    depth = np.array([len(r.area) for r in scenario.races], np.int64)
    within = _within(leaves, cols, depth, k, lines) if named else None
    found = _protocol(protocol, total, leaves, lines, made, depth, named)
    return settle(scenario, totals, within, found, precinct_rows)


def _own_rows(scenario: Scenario, file_races: frozenset[int]) -> Rows:
    """The rows the scenario holds itself, as one chunk (each row numbered in its race)."""
    table = raw_table(scenario, skip=file_races)
    starts = np.flatnonzero(np.r_[True, table.race[1:] != table.race[:-1]]) if (
        table.race.size) else np.zeros(0, np.int64)
    within = np.arange(table.race.size) - np.repeat(starts, np.diff(np.r_[starts,
                                                                          table.race.size]))
    has = np.array([r.precincts is not None for r in scenario.races], bool)
    ids = {r: race.precincts.ids for r, race in enumerate(scenario.races)
           if race.precincts is not None}

    def id_of(i: int) -> str | None:
        return str(ids[int(table.race[i])][int(within[i])])

    lines = ({x: table.line_counts[:, j] for j, x in enumerate(table.line_names)}
             if table.line_counts is not None else {})
    return Rows(race=table.race, counts=table.counts, lines=lines,
                path=table.area if table.area is not None else np.full(table.race.size, -1),
                paths=table.area_paths, station=has[table.race] if has.size else
                np.zeros(0, bool), order=order_key(-1, within), ids=id_of)


class _Leaves:
    """The accumulator's leaves in a fixed order (race, then path), a path kept only where its
    race names areas below its own."""

    def __init__(self, total: Partial, named: frozenset[int], stations: frozenset[int]
                 ) -> None:
        keys = [(race, path if race in named else None) for race, path in total.leaves]
        order = sorted(range(len(keys)), key=lambda i: (keys[i][0], keys[i][1] or ()))
        distinct = list(dict.fromkeys(keys[i] for i in order))
        at = {key: j for j, key in enumerate(distinct)}
        group = np.array([at[key] for key in keys], np.int64)
        n = len(distinct)
        self.keys = distinct
        self.race = np.array([race for race, _ in distinct], np.int64)
        self.sums = sum_by_group(total.sums, group, n)
        self.gaps = sum_by_group(total.gaps, group, n)
        self.rows = sum_by_group(total.rows, group, n)
        self.checked = sum_by_group(total.checked.T, group, n).T
        self.failed = sum_by_group(total.failed.T, group, n).T
        self.station = np.array([race in stations for race in self.race.tolist()], bool)

    @staticmethod
    def known(sums: np.ndarray, gaps: np.ndarray, rows: np.ndarray) -> np.ndarray:
        """The tally core's rule (:func:`engine.tally.sums.sum_known`): unknown where a part
        is, or where nothing was summed."""
        return np.where(gaps > 0, UNKNOWN, np.where((rows == 0)[:, None], UNKNOWN, sums))


def _lines(scenario: Scenario, total: Partial, file_races: frozenset[int],
           file_lines: tuple[str, ...], protocol: Protocol
           ) -> tuple[list[str], tuple[str, ...]]:
    """The lines of the table an in-memory replay would build, in its order, and the names of
    the derived lines it would report (:func:`engine.replay.precinct_table._derived`)."""
    names = list(dict.fromkeys(
        x for r, race in enumerate(scenario.races)
        for x in (file_lines if r in file_races else
                  race.precincts.lines if race.precincts is not None else ())))
    out = {c for i, c in enumerate(COUNT_COLUMNS) if total.raw_known[i] > 0} | set(names)
    made: list[str] = []
    for d in protocol.derived:
        name = d.left[0][1]
        if any(x not in out for _, x in d.right):
            continue
        if name not in out:
            out.add(name)
            made.append(name)
            if name not in COUNT_COLUMNS:
                names.append(name)
        elif total.filled.get(name, 0):
            made.append(name)
    return names, tuple(made)


def _within(leaves: _Leaves, cols: list[int], depth: np.ndarray, k: int, lines: list[str]
            ) -> PrecinctAreaResults:
    """Each race's areas below its own, from the leaves that name a path."""
    at = {j: path for j, (_, path) in enumerate(leaves.keys) if path is not None}
    paths = tuple(dict.fromkeys(at.values()))
    code = {p: c for c, p in enumerate(paths)}
    rows = np.array(list(at), np.int64)
    values = leaves.known(leaves.sums[rows][:, cols], leaves.gaps[rows][:, cols],
                          leaves.rows[rows])
    return areas_from_leaves(leaves.race[rows],
                             np.array([code[path] for path in at.values()], np.int64),
                             paths, values, leaves.rows[rows], depth, 4 + k, tuple(lines))


def _protocol(protocol: Protocol, total: Partial, leaves: _Leaves, lines: list[str],
              made: tuple[str, ...], depth: np.ndarray, named: frozenset[int]
              ) -> ProtocolFindings | None:
    """Every relation's findings at the stations (None when there is none), as
    :func:`engine.replay.protocol_checks.check_protocol` finds them."""
    st = leaves.station
    stations = int(leaves.rows[st].sum())
    if not stations:
        return None
    known = leaves.rows[st, None] - leaves.gaps[st]
    k = total.k
    present = {c for i, c in enumerate(COUNT_COLUMNS) if known[:, i].sum() > 0}
    present |= {x for x in lines if known[:, 4 + k + total.lines.index(x)].sum() > 0}
    present.add(OPTIONS)
    paths = any(path is not None for _, path in leaves.keys)
    found = []
    for r, rel in enumerate(protocol.relations):
        missing = tuple(x for x in rel.lines if x not in present)
        if missing:
            found.append(RelationFindings(rel, 0, 0, stations, missing, (), (), ()))
            continue
        checked, failed = leaves.checked[r], leaves.failed[r]
        by_race = _counted(leaves, st, checked, failed, lambda j: ())
        by_area = _counted(leaves, st, checked, failed, lambda j: _top(
            leaves.keys[j][1], int(depth[leaves.race[j]]))) if paths else ()
        worst = tuple(Station(race=w.race, precinct=w.precinct or "",
                              area=(w.path or ()) if w.race in named else (),
                              left=w.left, right=w.right, figures=w.figures)
                      for w in total.worst[r])
        n_checked = int(checked[st].sum())
        found.append(RelationFindings(rel, n_checked, int(failed[st].sum()),
                                      stations - n_checked, (), by_race, by_area, worst))
    return ProtocolFindings(protocol=protocol, stations=stations, derived=made,
                            relations=tuple(found))


def _top(path: tuple[str, ...] | None, depth: int) -> tuple[str, ...]:
    """The area one level below a race's own that a path lies in (() for none)."""
    return path[:depth + 1] if path is not None and len(path) > depth else ()


def _counted(leaves: _Leaves, station: np.ndarray, checked: np.ndarray, failed: np.ndarray,
             where: Callable[[int], tuple[str, ...]]) -> tuple[AreaCount, ...]:
    """Stations checked and failed per (race, area ``where(leaf)``); in race, then path
    order."""
    groups: dict[tuple[int, tuple[str, ...]], list[int]] = {}
    for j in np.flatnonzero(station & (leaves.rows > 0)).tolist():
        groups.setdefault((int(leaves.race[j]), where(j)), []).append(j)
    return tuple(AreaCount(race, path, int(checked[js].sum()), int(failed[js].sum()))
                 for (race, path), js in sorted(groups.items()))
