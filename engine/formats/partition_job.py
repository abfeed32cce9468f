"""A precinct file too large for memory, read in partitions (``saylau replay --partition``).

The file is cut into partitions (:mod:`engine.formats.partitions`); a partition is a block of a
:class:`FileJob`, which keeps the block-job contract of :mod:`engine.simulation.blocks` (a pure
function of its index; accumulators summed exactly with ``+=``), so the same job runs on this
machine's threads or as tasks on a Dask cluster. Each partition's rows are read by the rules of
an in-memory read (:mod:`engine.formats.partition_rows`) and summed per leaf (race and area path)
into a :class:`engine.replay.partial.Partial`; no row is kept.

What needs the whole file is decided once every partition is in (:func:`settle_file`), in the
order an in-memory read decides it: the first bad row (the lowest partition's, numbered as in
the whole file), a race given inline rows too, repeated precinct ids, areas outside a race's
own, impossible rows, counts past int64. Repeats are found from 8 bytes per precinct (a 64-bit
hash of its race and folded id: the one thing held per row); only when two hashes meet are the
partitions read again for the rows' ids, to name the repeat exactly as an in-memory read does.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import attrs
import numpy as np

from engine.errors import ScenarioError
from engine.formats.bounds import race_counts
from engine.formats.partition_rows import (
    Chunk,
    Impossible,
    RowProblem,
    chunks,
    precinct_keys,
    race_codes,
)
from engine.formats.partitions import Partition, UnevenQuotes, batches, cut, uneven
from engine.formats.precinct_csv import PrecinctPlan, fold, plan_csv
from engine.law.protocol import BASIC, Protocol
from engine.limits import INT64_MAX
from engine.records import Race, RacePrecincts, common_area
from engine.replay.partial import Partial, place

if TYPE_CHECKING:
    from engine.formats.scenario import PrecinctReader
    from engine.formats.toml_reader import Reader
    from engine.records import Election

__all__ = ["FileJob", "FileSums", "PartitionedFile", "partitioned_reader", "settle_file"]

_SHOWN = 3  # rows named in a warning (as engine.formats.precinct_csv)


class FileSums:
    """What the partitions read add up to (see the module docstring): ``partial`` the sums;
    ``rows`` (n_parts,) the rows of each partition; ``problem`` the lowest partition's first
    (partition, row in it or None, column or None, problem, or the error itself)."""

    def __init__(self, protocol: Protocol, k: int, against_all: bool, n_parts: int) -> None:
        self.partial = Partial(protocol, k, against_all_line=against_all)
        self.rows = np.zeros(n_parts, np.int64)
        self.problem: tuple[int, int | None, str | None, str | ScenarioError] | None = None
        self.hashes: list[np.ndarray] = []
        self.blanks: dict[str, tuple[int, np.ndarray]] = {}   # column -> (cells, first keys)
        self.impossible: dict[tuple[int, int], Impossible] = {}  # its row as an order key
        self.found: dict[tuple[str, int], tuple[int, str]] = {}  # -> (key, word)
        self.total = 0

    def __iadd__(self, other: FileSums) -> FileSums:
        self.partial += other.partial
        self.rows += other.rows
        if other.problem is not None and (self.problem is None
                                          or other.problem[0] < self.problem[0]):
            self.problem = other.problem
        self.hashes.extend(other.hashes)
        self._take(other.blanks, other.impossible, other.found, other.total)
        return self

    def add(self, chunk: Chunk, *, sums: bool = True) -> None:
        """Add a batch a partition read; ``sums`` False: a row before it refuses the file, so
        only the rows that refuse it matter."""
        if not sums or chunk.rows is None:
            self._take({}, {}, chunk.found, 0)
            return
        self.partial.add(chunk.rows)
        if chunk.hashes is not None:
            self.hashes.append(chunk.hashes)
        self._take({c: (keys.size, keys[:_SHOWN]) for c, keys in chunk.blanks.items()},
                   chunk.impossible, chunk.found, chunk.total)

    def _take(self, blanks: dict[str, tuple[int, np.ndarray]],
              impossible: dict[tuple[int, int], Impossible],
              found: dict[tuple[str, int], tuple[int, str]], total: int) -> None:
        """Blank cells counted (the first rows kept), each kind's first row kept."""
        for c, (n, keys) in blanks.items():
            had, mine = self.blanks.get(c, (0, np.zeros(0, np.int64)))
            self.blanks[c] = (had + n, np.sort(np.r_[mine, keys])[:_SHOWN])
        _keep_first(self.impossible, impossible)
        _keep_first(self.found, found)
        self.total += total


def _keep_first(mine: dict[Any, Any], other: dict[Any, Any]) -> None:
    """Per key, the entry of the lowest order key (its first item)."""
    for key, entry in other.items():
        if key not in mine or entry[0] < mine[key][0]:
            mine[key] = entry


@attrs.frozen
class FileJob:
    """The partitions of ``plan``'s file as blocks (the block-job contract): ``races`` the
    scenario's race ids in order, ``n_cand`` their candidates, ``k`` the table's candidate
    columns."""

    plan: PrecinctPlan
    parts: tuple[Partition, ...]
    races: tuple[str, ...]
    n_cand: np.ndarray = attrs.field(eq=False)
    k: int
    protocol: Protocol
    against_all: bool

    @property
    def n_blocks(self) -> int:
        return len(self.parts)

    def new(self) -> FileSums:
        return FileSums(self.protocol, self.k, self.against_all, len(self.parts))

    def work_in(self, blocks: range) -> int:
        return sum(max(self.parts[b].size, 1) for b in blocks)

    def add(self, blocks: range, acc: FileSums) -> None:
        for b in blocks:
            if acc.problem is not None and acc.problem[0] < b:
                continue  # a bad row before: this partition's sums are never used
            one = self.new()
            try:
                self._read(self.parts[b], one)
            except RowProblem as err:
                one.problem = (b, err.row, err.column, err.problem)
            except UnevenQuotes as err:
                one.problem = (b, err.row, None, "uneven")
            except ScenarioError as err:  # placed in the whole file already (csvtext)
                one.problem = (b, None, None, err)
            acc += one

    def _read(self, part: Partition, acc: FileSums) -> None:
        by_id = {r: i for i, r in enumerate(self.races)}
        n = 0
        spoiled = False  # a row refuses the file: only its bad cells matter now
        for chunk in chunks(self.plan, by_id, self.n_cand, self.k, part):
            spoiled = spoiled or chunk.rows is None
            n += chunk.n
            acc.add(chunk, sums=not spoiled)
        acc.rows[part.index] = n


@attrs.frozen(eq=False)
class PartitionedFile:
    """A file read in partitions, settled: the sums, each race's rows (R,), the file's races,
    the races whose rows name areas below their own, and the lines the file gives."""

    partial: Partial
    precinct_rows: np.ndarray
    file_races: frozenset[int]
    named: frozenset[int]
    lines: tuple[str, ...]
    partitions: int


def settle_file(job: FileJob, sums: FileSums, races: tuple[Race, ...], scenario: str
                ) -> tuple[tuple[Race, ...], tuple[str, ...], PartitionedFile]:
    """The checks of the whole file, then the races with their areas (the file's races carry
    no rows), the warnings of an in-memory read and the sums for the replay. ``scenario``:
    the scenario file's name (counts past int64 are named in it, as
    :func:`engine.formats.bounds.check_sums` names them)."""
    plan = job.plan
    name = plan.name
    starts = np.r_[0, np.cumsum(sums.rows)]

    def row_of(key: int) -> int:
        part, row = place(int(key))
        return int(starts[part]) + row

    if sums.problem is not None:
        part, row, column, problem = sums.problem
        if isinstance(problem, ScenarioError):
            raise problem
        at = int(starts[part]) + (row or 0)
        if problem == "uneven":
            raise uneven(name, at)
        where = f"row {at + 2}" + (f", column {column!r}" if column else "")
        raise ScenarioError(name, where, problem)
    if not sums.rows.sum():
        raise ScenarioError(name, "", "has a header but no precinct rows")
    m = plan.columns
    found = {kind: (row_of(key), word) for kind, (key, word) in sums.found.items()}
    if ("race", 0) in found:  # as precinct_csv._attach checks, in its order
        row, word = found["race", 0]
        raise ScenarioError(name, f"row {row + 2}, column {m.race!r}",
                            f"race {word!r} is not a [[race]] id of the scenario")
    for j, c in enumerate(m.area):
        if ("area", j) in found:
            raise ScenarioError(name, f"row {found['area', j][0] + 2}, column {c!r}", "is "
                                "blank; every row needs its area (or leave the column out)")
    p = sums.partial
    n_races = len(races)
    leaf_race = np.fromiter((r for r, _ in p.leaves), np.int64, len(p.leaves))
    leaf = np.fromiter(p.leaves.values(), np.int64, len(p.leaves))
    per_race = np.zeros(n_races, np.int64)
    np.add.at(per_race, leaf_race, p.rows[leaf])
    first_row = np.full(n_races, np.iinfo(np.int64).max)
    np.minimum.at(first_row, leaf_race, p.first[leaf])
    file_races = frozenset(np.flatnonzero(per_race).tolist())
    paths: dict[int, list[tuple[tuple[str, ...], int]]] = {}  # race -> (path, leaf), in order
    for (r, path), j in p.leaves.items():
        if path is not None:
            paths.setdefault(r, []).append((path, j))
    repeated: dict[int, list[tuple[int, tuple[str, ...]]]] = {}
    for r, row, words in (_repeated(job, sums) if m.precinct else []):
        repeated.setdefault(r, []).append((row, words))
    for r in sorted(file_races):  # each race's checks, races in order (precinct_csv._attach)
        if ("extra", r) in found:
            raise ScenarioError(name, f"row {found['extra', r][0] + 2}", f"race "
                                f"{races[r].id!r} has {len(races[r].candidates)} candidates, "
                                "but a later candidate column holds votes")
        if races[r].precincts is not None:
            raise ScenarioError(name, f"row {row_of(first_row[r]) + 2}",
                                f"race {races[r].id!r} already has inline [[race.precinct]] "
                                "rows")
        if r in repeated:
            _repeats_in(job, races[r], repeated[r])
        _area_outside(plan, p, races[r], paths.get(r, []), row_of)
    out, named = _areas(races, file_races, paths, _impossible_rows(sums, row_of))
    # the file's counts and the scenario's own, as engine.formats.bounds.check_sums adds them
    if sums.total + sum(race_counts(race) for race in races) > INT64_MAX:
        raise ScenarioError(scenario, "", f"the counts of the file add up to more than int64 "
                            f"holds ({INT64_MAX:,}): sums of them would overflow; the counts "
                            "cannot all be right")
    if not plan.columns.precinct:  # the file's row numbers name its stations
        p.worst = [[attrs.evolve(w, precinct=str(row_of(w.order) + 2)) if w.precinct is None
                    else w for w in kept] for kept in p.worst]
    warnings = []
    for c in (c for cs in plan.columns.lines.values() for c in cs):
        n, keys = sums.blanks.get(c, (0, np.zeros(0, np.int64)))
        if n:
            rows = ", ".join(str(row_of(key) + 2) for key in keys.tolist())
            more = f" and {n - _SHOWN:,} more" if n > _SHOWN else ""
            warnings.append(f"{name}: column {c!r}: {n:,} blank cell(s) (row {rows}{more}): "
                            "unknown")
    done = PartitionedFile(partial=p, precinct_rows=per_race, file_races=file_races,
                           named=named, lines=plan.lines, partitions=len(job.parts))
    return out, tuple(warnings), done


def _impossible_rows(sums: FileSums, row_of: Callable[[int], int]
                     ) -> dict[int, list[tuple[str, tuple[int, ...]]]]:
    """Per race, its first row of each impossible kind, in file order: (id, counts)."""
    out: dict[int, list[tuple[int, str, tuple[int, ...]]]] = {}
    for (r, _), (key, pid, values) in sums.impossible.items():
        row = row_of(key)
        out.setdefault(r, []).append((row, pid if pid is not None else str(row + 2), values))
    return {r: [(pid, values) for _, pid, values in sorted(rows)] for r, rows in out.items()}


def _placeholder(race: Race, impossible: list[tuple[str, tuple[int, ...]]]) -> RacePrecincts:
    """The race's rows, summed from the file, stand in for by its impossible rows only (none,
    or the first of each kind): a race with precincts is checked by them, never by its own
    published counts, and :func:`engine.formats.consistency.check_counts` then refuses such a
    row in its place in the scenario's checks, as for a file read whole."""
    k = len(race.candidates)
    counts = np.array([v for _, v in impossible], np.int64).reshape(len(impossible), 3 + k)
    return RacePrecincts(ids=np.array([pid for pid, _ in impossible], str),
                         registered=np.full(len(impossible), -1, np.int64), cast=counts[:, 0],
                         invalid=counts[:, 1], against_all=counts[:, 2], votes=counts[:, 3:])


def _area_outside(plan: PrecinctPlan, p: Partial, race: Race,
                  paths: list[tuple[tuple[str, ...], int]], row_of: Callable[[int], int]
                  ) -> None:
    """Refuse a row of ``race`` (its ``paths``: each with its leaf) outside the area the race
    declares: its first such path (in the order paths first appear in the file), at its first
    row, as :func:`engine.formats.precinct_csv._areas_of` refuses it."""
    if not race.area:
        return
    d = len(race.area)
    outside = [(int(p.first[j]), path) for path, j in paths if path[:d] != race.area]
    if not outside:
        return
    seen: dict[tuple[str, ...], int] = {}  # a path's first row in the file, any race
    for (_, path), j in p.leaves.items():
        if path is not None:
            seen[path] = min(seen.get(path, int(p.first[j])), int(p.first[j]))
    first, path = min(outside, key=lambda x: seen[x[1]])
    raise ScenarioError(plan.name, f"row {row_of(first) + 2}, column {plan.columns.area[0]!r}",
                        f"the row's area {list(path)} is not inside race {race.id!r}'s area "
                        f"{list(race.area)}")


def _areas(races: tuple[Race, ...], file_races: frozenset[int],
           paths: dict[int, list[tuple[tuple[str, ...], int]]],
           impossible: dict[int, list[tuple[str, tuple[int, ...]]]]
           ) -> tuple[tuple[Race, ...], frozenset[int]]:
    """Each file race's area (its own, or what all its rows' paths share) and whether its rows
    name areas below it, as :func:`engine.formats.precinct_csv._areas_of` decides; its rows
    as :func:`_placeholder` stands in for them."""
    out = list(races)
    named = set()
    for r in sorted(file_races):
        race = races[r]
        own = [path for path, _ in paths.get(r, [])]
        area = race.area
        if own:
            area = race.area or common_area(own)
            if any(path != area for path in own):
                named.add(r)
        out[r] = attrs.evolve(race, area=area,
                              precincts=_placeholder(race, impossible.get(r, [])))
    return tuple(out), frozenset(named)


def _repeated(job: FileJob, sums: FileSums) -> list[tuple[int, int, tuple[str, ...]]]:
    """The rows whose key another row shares (race, file row, id words): none without a
    repeat; else the file read again for them."""
    if not sums.hashes:
        return []
    keys = np.concatenate(sums.hashes)
    sums.hashes.clear()  # 8 bytes a station, held once
    keys.sort()
    repeated = np.unique(keys[1:][keys[1:] == keys[:-1]])
    return _rows_with(job, repeated, sums.rows) if repeated.size else []


def _repeats_in(job: FileJob, race: Race, repeated: list[tuple[int, tuple[str, ...]]]) -> None:
    """Refuse a precinct id given twice in ``race`` (``repeated``: its rows whose key another
    row shares, with their ids' words), exactly or but for case and spacing, named as
    :func:`engine.formats.precinct_csv._no_repeats` names it."""
    m = job.plan.columns
    mine = sorted(repeated)
    for how in (tuple, lambda ws: tuple(fold(w) for w in ws)):
        groups: dict[tuple[str, ...], list[int]] = {}
        for row, words in mine:
            groups.setdefault(how(words), []).append(row)
        many = [rows for rows in groups.values() if len(rows) > 1]
        if not many:
            continue
        i = min(rows[1] for rows in many)
        j = next(rows[0] for rows in many if rows[1] == i)
        text = dict(mine)
        pid, other = " / ".join(text[i]), " / ".join(text[j])
        same = "" if pid == other else (f", as {other!r}: ids that differ only in case or "
                                        "spacing are one precinct")
        more = f"; {len(many) - 1:,} more id(s) repeat" if len(many) > 1 else ""
        tip = ("; a station may need several columns to be one id, e.g. precinct = "
               "[\"region\", \"number\"]" if len(m.precinct) == 1 else "")
        where = m.precinct[0] if len(m.precinct) == 1 else " + ".join(m.precinct)
        raise ScenarioError(job.plan.name, f"row {i + 2}, column {where!r}",
                            f"duplicate precinct id {pid!r} in race {race.id!r} (also row "
                            f"{j + 2}{same}){more}{tip}")


def _rows_with(job: FileJob, repeated: np.ndarray, rows: np.ndarray
               ) -> list[tuple[int, int, tuple[str, ...]]]:
    """The rows whose id hash is one of ``repeated``: the file read again, ids and races only."""
    m = job.plan.columns
    by_id = {r: i for i, r in enumerate(job.races)}
    starts = np.r_[0, np.cumsum(rows)]
    out = []
    cols = [*([m.race] if m.race else []), *m.precinct]
    for part in job.parts:
        stream, raw = batches(job.plan.path, job.plan.name, part, cols, job.plan.delimiter)
        row0 = int(starts[part.index])
        for batch in stream:
            race, _ = race_codes(batch, raw, m.race, by_id)
            coded, keys = precinct_keys(batch, raw, m.precinct, race)
            assert keys is not None  # repeats are looked for only when the file maps ids
            hit = np.flatnonzero(np.isin(keys, repeated))
            out += [(int(race[i]), row0 + int(i), tuple(c.word(i) for c in coded))
                    for i in hit.tolist()]
            row0 += batch.num_rows
    return out


def partitioned_reader(size: int, run: Callable[[FileJob], FileSums],
                       held: list[PartitionedFile]) -> PrecinctReader:
    """A ``[precincts]`` reader for :func:`engine.formats.scenario.load` that reads the file
    in partitions of about ``size`` bytes, ``run(job)`` summing them (threads or Dask), and
    appends what it found to ``held``."""

    def read(spec: Reader, races: tuple[Race, ...], base: Path, election: Election
             ) -> tuple[tuple[Race, ...], tuple[str, ...]]:
        protocol = election.protocol or BASIC
        plan = plan_csv(spec, races, base, protocol)
        # the whole path: a cluster's workers share the file system, not this process's folder
        plan = attrs.evolve(plan, path=plan.path.resolve())
        job = FileJob(plan=plan, parts=cut(plan.path, plan.name, size, plan.delimiter),
                      races=tuple(r.id for r in races),
                      n_cand=np.array([len(r.candidates) for r in races], np.int64),
                      k=max((len(r.candidates) for r in races), default=0),
                      protocol=protocol, against_all=election.rules.against_all)
        out, warnings, done = settle_file(job, run(job), races, spec.file)
        held.append(done)
        return out, warnings

    return read
