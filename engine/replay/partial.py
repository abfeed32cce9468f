"""A replay's sums over a chunk of precinct rows, added chunk by chunk: what a precinct file read
in partitions keeps instead of its rows.

Every row lands in a *leaf*: its race and its area path (None where the file names no area).
Per leaf the accumulator keeps each column's sum of known counts, its unknown cells and the
rows, so the tally core's rule (a sum with an unknown part is unknown, :func:`sum_known`) is
applied once, at the end, to exactly the sums an in-memory replay forms; the race totals and
the areas below each race are sums of leaves. The protocol's control relations are counted
per leaf (stations checked, stations failing) and the :data:`WORST` worst stations of each are
kept with their place in the file, so the worst of several chunks are the worst of the file,
ties in file order. Derived lines are computed per row (they are per-row arithmetic), and what
only the whole file can say (whether a line is given at all, whether a derivation filled a
cell) is counted here and decided at the end (:mod:`engine.replay.partitioned`).

Chunks are added in any order and accumulators summed in any order (``acc += other``): the
sums are exact integers and everything ordered is ordered by its place in the file.
"""

from __future__ import annotations

from collections.abc import Callable

import attrs
import numpy as np

from engine.law.protocol import OPTIONS, Protocol, derive_steps, holds, sides
from engine.records import COUNT_COLUMNS
from engine.replay.protocol_checks import WORST
from engine.tally.sums import sum_by_group

__all__ = ["Leaf", "Partial", "Rows", "Worst", "order_key", "place"]

Leaf = tuple[int, tuple[str, ...] | None]  # (race, area path or None)

_ROW_BITS = 40  # a row's place in its partition: below 2**40


def order_key(part: int, row: np.ndarray) -> np.ndarray:
    """Rows' places in the file as one int64 each, partitions in file order (part -1: the
    rows the scenario itself holds)."""
    return ((part + 1) << _ROW_BITS) + np.asarray(row, np.int64)


def place(key: int) -> tuple[int, int]:
    """(partition, row in it) of an :func:`order_key`."""
    return (key >> _ROW_BITS) - 1, key & ((1 << _ROW_BITS) - 1)


@attrs.frozen(eq=False)
class Rows:
    """A chunk of precinct rows as read, before the protocol's derived lines.

    race : (n,) int64, the row's race; counts : (n, 4 + K) int64, registered, cast, invalid,
    against all and the candidates (zero past the race's last), -1 unknown; lines : the
    protocol's other lines the rows give, (n,) int64 each; path : (n,) int64 code into
    ``paths`` (-1: no area named); station : (n,) bool, rows of races with precincts (the
    protocol is checked there); order : (n,) int64 :func:`order_key`; ids : row i's precinct
    id (None: the file's row number names it)
    """

    race: np.ndarray
    counts: np.ndarray
    lines: dict[str, np.ndarray]
    path: np.ndarray
    paths: tuple[tuple[str, ...], ...]
    station: np.ndarray
    order: np.ndarray
    ids: Callable[[int], str | None]


@attrs.frozen
class Worst:
    """A station where a relation fails, as a chunk saw it: the sort key is (-gap, race,
    order); ``precinct`` None until the file's row numbers are known."""

    gap: int
    race: int
    order: int
    precinct: str | None
    path: tuple[str, ...] | None
    left: int
    right: int
    figures: tuple[tuple[str, int], ...]

    @property
    def key(self) -> tuple[int, int, int]:
        return (-self.gap, self.race, self.order)


class Partial:
    """The sums of the rows added so far (see the module docstring).

    lines : the protocol's lines beyond the tally's four (derived ones included), the columns
    after the K candidates; leaves : leaf -> its row in ``sums``, ``gaps``, ``rows``,
    ``first``, and in ``checked`` / ``failed`` (one row per relation)
    """

    def __init__(self, protocol: Protocol, k: int, *, against_all_line: bool = True) -> None:
        self.protocol = protocol
        self.k = k
        self.lines = protocol.extra_lines
        self.against_all_line = against_all_line
        n_cols = 4 + k + len(self.lines)
        n_rel = len(protocol.relations)
        self.leaves: dict[Leaf, int] = {}
        self.sums = np.zeros((0, n_cols), np.int64)    # known counts summed
        self.gaps = np.zeros((0, n_cols), np.int64)    # unknown cells
        self.rows = np.zeros(0, np.int64)
        self.first = np.zeros(0, np.int64)             # the leaf's first row (order key)
        self.checked = np.zeros((n_rel, 0), np.int64)  # stations with every line known
        self.failed = np.zeros((n_rel, 0), np.int64)
        self.raw_known = np.zeros(4, np.int64)  # the four columns' known cells, as read
        self.filled: dict[str, int] = {}        # cells each derivation filled
        self.worst: list[list[Worst]] = [[] for _ in range(n_rel)]

    # -- leaves -----------------------------------------------------------------------------
    def _index(self, leaves: list[Leaf]) -> np.ndarray:
        """Each leaf's row, new leaves appended (with empty sums)."""
        idx = np.array([self.leaves.setdefault(leaf, len(self.leaves)) for leaf in leaves],
                       np.int64)
        grow = len(self.leaves) - self.rows.size
        if grow:
            self.sums = np.concatenate([self.sums, np.zeros((grow, self.sums.shape[1]),
                                                            np.int64)])
            self.gaps = np.concatenate([self.gaps, np.zeros((grow, self.gaps.shape[1]),
                                                            np.int64)])
            self.rows = np.concatenate([self.rows, np.zeros(grow, np.int64)])
            self.first = np.concatenate([self.first, np.full(grow, np.iinfo(np.int64).max)])
            pad = np.zeros((self.checked.shape[0], grow), np.int64)
            self.checked = np.concatenate([self.checked, pad], axis=1)
            self.failed = np.concatenate([self.failed, pad], axis=1)
        return idx

    # -- a chunk ----------------------------------------------------------------------------
    def add(self, rows: Rows) -> None:
        """Add a chunk of rows."""
        n = rows.race.size
        if n == 0:
            return
        counts, lines = self._derived(rows)
        width = len(rows.paths) + 1
        uniq, first, inv = np.unique(rows.race * width + (rows.path + 1), return_index=True,
                                     return_inverse=True)
        group = inv.ravel()
        leaves = [(int(u // width), rows.paths[int(u % width) - 1] if u % width else None)
                  for u in uniq.tolist()]
        idx = self._index(leaves)
        values = np.concatenate([counts, *([np.column_stack([lines[x] for x in self.lines])]
                                           if self.lines else [])], axis=1)
        unknown = values < 0
        self.sums[idx] += sum_by_group(np.where(unknown, 0, values), group, uniq.size)
        self.gaps[idx] += sum_by_group(unknown.astype(np.int64), group, uniq.size)
        self.rows[idx] += np.bincount(group, minlength=uniq.size)
        self.first[idx] = np.minimum(self.first[idx], rows.order[first])
        if self.protocol.relations and rows.station.any():
            self._relations(rows, counts, lines, group, idx)

    def _derived(self, rows: Rows) -> tuple[np.ndarray, dict[str, np.ndarray]]:
        """The rows' counts and every line after the protocol's derivations (per row, as an
        in-memory replay computes them); the cells each derivation filled are counted."""
        n = rows.race.size
        raw = rows.counts
        self.raw_known += (raw[:, :4] >= 0).sum(axis=0)
        given = {c: raw[:, i] for i, c in enumerate(COUNT_COLUMNS)}
        missing = np.full(n, -1, np.int64)
        given.update({x: rows.lines.get(x, missing) for x in self.lines})
        done, steps = derive_steps(self.protocol, given)
        for name, _, filled in steps:
            self.filled[name] = self.filled.get(name, 0) + filled
        counts = raw
        if any(done[c] is not given[c] for c in COUNT_COLUMNS):
            counts = raw.copy()
            for i, c in enumerate(COUNT_COLUMNS):
                counts[:, i] = done[c]
        return counts, {x: done[x] for x in self.lines}

    def _relations(self, rows: Rows, counts: np.ndarray, lines: dict[str, np.ndarray],
                   group: np.ndarray, idx: np.ndarray) -> None:
        """Each relation's stations checked and failing per leaf, and its worst stations."""
        every = {c: counts[:, i] for i, c in enumerate(COUNT_COLUMNS)}
        votes = counts[:, 4:]
        against = counts[:, 3] if self.against_all_line else np.maximum(counts[:, 3], 0)
        known_votes = (votes >= 0).all(axis=1) & (against >= 0)
        every[OPTIONS] = np.where(known_votes, votes.sum(axis=1) + np.maximum(against, 0), -1)
        every.update(lines)
        station = rows.station
        flags = []
        for r, rel in enumerate(self.protocol.relations):
            left, right, known = sides(rel, every)
            known &= station
            fails = known & ~holds(rel, left, right)
            flags += [known, fails]
            self._keep_worst(r, rows, np.flatnonzero(fails), left, right, every)
        summed = sum_by_group(np.column_stack(flags).astype(np.int64), group, idx.size)
        self.checked[:, idx] += summed[:, 0::2].T
        self.failed[:, idx] += summed[:, 1::2].T

    def _keep_worst(self, r: int, rows: Rows, at: np.ndarray, left: np.ndarray,
                    right: np.ndarray, every: dict[str, np.ndarray]) -> None:
        if at.size == 0:
            return
        gap = np.abs(left[at] - right[at])
        top = at[np.lexsort((rows.order[at], rows.race[at], -gap))[:WORST]]
        names = self.protocol.relations[r].lines
        found = [Worst(gap=abs(int(left[i]) - int(right[i])), race=int(rows.race[i]),
                       order=int(rows.order[i]), precinct=rows.ids(int(i)),
                       path=rows.paths[int(rows.path[i])] if rows.path[i] >= 0 else None,
                       left=int(left[i]), right=int(right[i]),
                       figures=tuple((x, int(every[x][i])) for x in names))
                 for i in top.tolist()]
        self.worst[r] = sorted([*self.worst[r], *found], key=lambda w: w.key)[:WORST]

    # -- sums of accumulators ---------------------------------------------------------------
    def __iadd__(self, other: Partial) -> Partial:
        if other.rows.size:
            idx = self._index(list(other.leaves))
            self.sums[idx] += other.sums
            self.gaps[idx] += other.gaps
            self.rows[idx] += other.rows
            self.first[idx] = np.minimum(self.first[idx], other.first)
            self.checked[:, idx] += other.checked
            self.failed[:, idx] += other.failed
        self.raw_known += other.raw_known
        for name, n in other.filled.items():
            self.filled[name] = self.filled.get(name, 0) + n
        self.worst = [sorted([*a, *b], key=lambda w: w.key)[:WORST]
                      for a, b in zip(self.worst, other.worst, strict=True)]
        return self
