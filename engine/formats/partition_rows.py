"""One partition of a precinct file read as a replay's rows, by the rules an in-memory read
follows (:func:`engine.formats.precinct_csv.read_csv`): the race column names the race, a line
is its column or the sum of its columns (unknown where a part is), a candidate's blank cell is
no votes, the area columns make each row's path, the precinct columns its id.

What only the whole file can decide is left to :mod:`engine.formats.partition_job`: it gets,
besides the rows, each row's precinct id as a 64-bit hash of its race and folded words (for
repeats), the blank cells of each line column, the first impossible row of each race and the
exact sum of every count read. Rows are named by their place in the file
(:func:`engine.replay.partial.order_key`: partition, row in it). A bad cell (the batch's first
by row, as :func:`engine.formats.columns.batch_columns` finds it) is a :class:`RowProblem`
that ends the partition (its row in the partition); the other rows that refuse the file (an
unknown race, a blank area, votes past a race's candidates) are kept, the first of each kind,
for the whole file to decide in the in-memory read's order.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import attrs
import numpy as np

from engine.formats.bounds import exact_sum
from engine.formats.columns import BadCell, batch_codes, batch_columns
from engine.formats.id_keys import IdColumn, id_column, row_keys
from engine.formats.partitions import Partition, batches
from engine.formats.precinct_csv import PrecinctPlan
from engine.records import COUNT_COLUMNS
from engine.replay.partial import Rows, order_key

__all__ = ["Chunk", "Impossible", "RowProblem", "chunks", "precinct_keys", "race_codes"]

# an impossible row: its row, precinct id (None: named by its row) and counts (cast, invalid,
# against all, the race's votes)
Impossible = tuple[int, str | None, tuple[int, ...]]


class RowProblem(Exception):
    """A bad row: ``row`` of its partition (from 0), ``column`` (None: the row as a whole)."""

    def __init__(self, row: int, column: str | None, problem: str) -> None:
        super().__init__(row, column, problem)
        self.row, self.column, self.problem = row, column, problem


@attrs.frozen(eq=False)
class Chunk:
    """A batch of a partition's ``n`` rows, each row named by its order key: ``rows`` for
    the sums; ``hashes`` (n,) uint64 precinct keys (None: the file has no precinct column);
    ``blanks`` per line column the rows of its blank cells, in order; ``impossible`` (race,
    which of :func:`engine.formats.bounds.impossible`) -> its first such row; ``total``: the
    exact sum of the counts read; ``found``: rows that refuse the file, each kind's first
    (``race``: an unknown race, with its word; ``area``, j: a blank cell of area column j, both
    with no sums: ``rows`` None; ``extra``, r: votes past race r's candidates)."""

    n: int
    rows: Rows | None
    hashes: np.ndarray | None
    blanks: dict[str, np.ndarray]
    impossible: dict[tuple[int, int], Impossible]
    total: int
    found: dict[tuple[str, int], tuple[int, str]]


def chunks(plan: PrecinctPlan, races: dict[str, int], n_cand: np.ndarray, k: int,
           part: Partition) -> Iterator[Chunk]:
    """The partition's rows, a batch at a time (``races``: race id -> index; ``n_cand``: each
    race's candidates; ``k``: the candidate columns of the replay's table)."""
    stream, raw = batches(plan.path, plan.name, part, [*plan.counts, *plan.texts],
                          plan.delimiter)
    row0 = 0
    for batch in stream:
        yield _chunk(batch, raw, plan, races, n_cand, k, part.index, row0)
        row0 += batch.num_rows


def _chunk(batch: Any, raw: dict[str, str], plan: PrecinctPlan, races: dict[str, int],
           n_cand: np.ndarray, k: int, index: int, row0: int) -> Chunk:
    m = plan.columns
    n = batch.num_rows
    try:  # every count cell converted first, as an in-memory read converts the whole file
        cells = batch_columns(batch, raw, plan.counts)
    except BadCell as bad:
        raise RowProblem(row0 + bad.row, bad.column, bad.problem) from None
    order = order_key(index, row0 + np.arange(n))
    found: dict[tuple[str, int], tuple[int, str]] = {}
    race, word_of = race_codes(batch, raw, m.race, races)
    unknown = np.flatnonzero(race < 0)
    if unknown.size:
        i = int(unknown[0])
        found[("race", 0)] = (int(order[i]), word_of(i))
    areas = [_codes(batch, raw, c) for c in m.area]
    for j, (ac, words) in enumerate(areas):
        if "" in words:
            found[("area", j)] = (int(order[ac == words.index("")][0]), "")
    votes = np.stack([np.maximum(cells[c], 0) for c in m.candidates], axis=1)
    beyond = np.arange(votes.shape[1])[None, :] >= n_cand[race][:, None]
    extra = np.flatnonzero((votes * beyond).any(axis=1) & (race >= 0))
    if extra.size:
        first = np.unique(race[extra], return_index=True)
        for r, j in zip(*first, strict=True):
            found[("extra", int(r))] = (int(order[extra[j]]), "")
    if any(kind != "extra" for kind, _ in found):  # refused before any race is looked at
        return Chunk(n=n, rows=None, hashes=None, blanks={}, impossible={}, total=0,
                     found=found)
    blanks = {c: order[cells[c] < 0] for cs in m.lines.values() for c in cs}
    lines = {}
    for line, cs in m.lines.items():
        parts = [cells[c] for c in cs]
        known = np.logical_and.reduce([p >= 0 for p in parts])
        lines[line] = parts[0] if len(parts) == 1 else np.where(known, np.sum(parts, axis=0),
                                                                -1)
    base = [lines.pop(c) if c in lines else np.full(n, -1, np.int64) for c in COUNT_COLUMNS]
    table = np.zeros((n, 4 + k), np.int64)
    for j, col in enumerate(base):
        table[:, j] = col
    width = min(k, votes.shape[1])
    table[:, 4:4 + width] = votes[:, :width]

    coded, hashes = precinct_keys(batch, raw, m.precinct, race)

    def id_of(i: int) -> str | None:
        return " / ".join(c.word(i) for c in coded) if coded else None

    path, paths = _paths(areas) if areas else (np.full(n, -1, np.int64), ())
    shown = np.maximum(votes, 0).sum(axis=1) + np.maximum(base[3], 0)
    impossible: dict[tuple[int, int], Impossible] = {}
    for which, mask in enumerate(((base[1] >= 0) & (base[2] > base[1]),
                                  (base[1] >= 0) & (shown > base[1]))):
        at = np.flatnonzero(mask)
        if at.size:
            first_rows = np.unique(race[at], return_index=True)
            for r, j in zip(*first_rows, strict=True):
                i = int(at[j])
                impossible[(int(r), which)] = (int(order[i]), id_of(i), (
                    int(base[1][i]), int(base[2][i]), int(base[3][i]),
                    *votes[i, :int(n_cand[r])].tolist()))
    total = (sum(exact_sum(b) for b in base) + exact_sum(votes)
             + sum(exact_sum(v) for v in lines.values()))
    rows = Rows(race=race, counts=table, lines=lines, path=path, paths=paths,
                station=np.ones(n, bool), order=order,
                ids=id_of)
    return Chunk(n=n, rows=rows, hashes=hashes, blanks=blanks, impossible=impossible,
                 total=total, found=found)


def race_codes(batch: Any, raw: dict[str, str], column: str | None, races: dict[str, int]
               ) -> tuple[np.ndarray, Callable[[int], str]]:
    """Each row's race (-1: a word no race of the scenario has; 0 for every row without a
    race ``column``), and row i's race word."""
    if column is None:
        return np.zeros(batch.num_rows, np.int64), lambda i: ""
    rc, words = _codes(batch, raw, column)
    return np.array([races.get(w, -1) for w in words], np.int64)[rc], lambda i: words[rc[i]]


def precinct_keys(batch: Any, raw: dict[str, str], columns: tuple[str, ...], race: np.ndarray
                  ) -> tuple[list[IdColumn], np.ndarray | None]:
    """The rows' id columns coded, and each row's key of its race and id (None: no id
    columns)."""
    coded = [id_column(batch.column(raw[c])) for c in columns]
    return coded, (row_keys(race, coded) if coded else None)


def _codes(batch: Any, raw: dict[str, str], column: str) -> tuple[np.ndarray, list[str]]:
    index, words = batch_codes(batch.column(raw[column]))
    return index.astype(np.int64), words


def _paths(coded: list[tuple[np.ndarray, list[str]]]
           ) -> tuple[np.ndarray, tuple[tuple[str, ...], ...]]:
    """Each row's area path as a code into the batch's distinct paths (``coded``: the area
    columns' codes and words)."""
    key = np.zeros(coded[0][0].size, np.int64)
    for cc, words in coded:
        key = key * max(len(words), 1) + cc
    uniq, inverse = np.unique(key, return_inverse=True)
    paths = []
    for u in uniq.tolist():
        parts = []
        for _, words in reversed(coded):
            parts.append(words[u % max(len(words), 1)])
            u //= max(len(words), 1)
        paths.append(tuple(reversed(parts)))
    return inverse.ravel().astype(np.int64), tuple(paths)
