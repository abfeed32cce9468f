"""One table of every precinct of a scenario: the tally core's input.

A race without precinct rows is one precinct (its own counts). Precinct rows bring the
protocol's other lines and their area paths, interned once for the whole election. Lines the
protocol derives (issued = its parts; cast = the boxes; cast = invalid + valid) are computed
here, for every row at once, where the file does not give them.
"""

from __future__ import annotations

import numpy as np

from engine.law.protocol import BASIC, derive
from engine.records import COUNT_COLUMNS, Scenario
from engine.tally.races import PrecinctTable

__all__ = ["precinct_table", "raw_table", "station_ids", "station_rows"]


def precinct_table(scenario: Scenario) -> PrecinctTable:
    """Every precinct of ``scenario`` in one table, derived lines completed."""
    return _table(scenario)[0]


def _table(scenario: Scenario) -> tuple[PrecinctTable, tuple[str, ...]]:
    """The table and the names of the lines derivation gave values to."""
    raw = raw_table(scenario)
    by_name = raw.lines
    counts, by_name, made = _derived(scenario, raw.counts, by_name)
    names = list(by_name)
    line_counts = (np.column_stack([by_name[n] for n in names]) if names
                   else np.zeros((counts.shape[0], 0), np.int64))
    return PrecinctTable(race=raw.race, counts=counts, n_races=raw.n_races,
                         line_names=tuple(names), line_counts=line_counts,
                         area=raw.area, area_paths=raw.area_paths), made


def raw_table(scenario: Scenario, skip: frozenset[int] = frozenset()) -> PrecinctTable:
    """Every precinct of ``scenario`` in one table as given, before the protocol's derived
    lines; the races ``skip`` names are left out (a replay read in partitions tallies their
    rows from the file)."""
    k = scenario.max_candidates
    names = list(dict.fromkeys(n for race in scenario.races if race.precincts is not None
                               for n in race.precincts.lines))
    paths: dict[tuple[str, ...], int] = {}
    blocks, line_blocks, area_blocks, race_of = [], [], [], []
    for r, race in enumerate(scenario.races):
        if r in skip:
            continue
        p = race.precincts
        if p is None:
            given = [race.registered, race.cast, race.invalid, race.against_all,
                     *(c.votes for c in race.candidates)]
            row = [-1 if x is None else x for x in given] + [0] * (k - len(race.candidates))
            blocks.append(np.array([row], dtype=np.int64))
            line_blocks.append(np.full((1, len(names)), -1, np.int64))
            area_blocks.append(np.full(1, -1, np.int64))
            race_of.append(np.full(1, r, np.int64))
            continue
        block = np.zeros((len(p.ids), 4 + k), np.int64)
        block[:, 0], block[:, 1], block[:, 2], block[:, 3] = (p.registered, p.cast,
                                                              p.invalid, p.against_all)
        block[:, 4:4 + p.votes.shape[1]] = p.votes
        blocks.append(block)
        race_of.append(np.full(len(p.ids), r, np.int64))
        known = np.full((len(p.ids), len(names)), -1, np.int64)
        for j, n in enumerate(names):
            if n in p.lines:
                known[:, j] = p.lines[n]
        line_blocks.append(known)
        if p.area is None:
            area_blocks.append(np.full(len(p.ids), -1, np.int64))
        else:
            codes = np.array([paths.setdefault(path, len(paths)) for path in p.area_paths],
                             np.int64)
            area_blocks.append(codes[p.area])
    if blocks:
        counts = np.concatenate(blocks)
        line_rows = np.concatenate(line_blocks)
        area = np.concatenate(area_blocks)
        race_index = np.concatenate(race_of)
    else:
        counts = np.zeros((0, 4 + k), np.int64)
        line_rows = np.zeros((0, len(names)), np.int64)
        area = np.zeros(0, np.int64)
        race_index = np.zeros(0, np.int64)
    return PrecinctTable(race=race_index, counts=counts, n_races=len(scenario.races),
                         line_names=tuple(names), line_counts=line_rows,
                         area=area if paths else None, area_paths=tuple(paths))


def _derived(scenario: Scenario, counts: np.ndarray, lines: dict[str, np.ndarray]
             ) -> tuple[np.ndarray, dict[str, np.ndarray], tuple[str, ...]]:
    """The protocol's derived lines, computed where the rows do not give them."""
    protocol = scenario.election.protocol or BASIC
    given = {n: counts[:, i] for i, n in enumerate(COUNT_COLUMNS) if (counts[:, i] >= 0).any()}
    given.update(lines)
    done, made = derive(protocol, given)
    if not made:
        return counts, lines, ()
    counts = counts.copy()
    for i, n in enumerate(COUNT_COLUMNS):
        if n in made:
            counts[:, i] = done[n]
    out = {n: v for n, v in done.items() if n not in COUNT_COLUMNS}
    return counts, out, made


def station_rows(scenario: Scenario, table: PrecinctTable) -> np.ndarray:
    """The rows of ``table`` that are real precinct rows (races with precincts)."""
    has = np.array([race.precincts is not None for race in scenario.races], bool)
    return np.flatnonzero(has[table.race]) if has.size else np.zeros(0, np.int64)


def station_ids(scenario: Scenario) -> np.ndarray:
    """The ids of the precinct rows, in table order (races with precincts only)."""
    parts = [race.precincts.ids for race in scenario.races if race.precincts is not None]
    return np.concatenate(parts) if parts else np.zeros(0, str)
