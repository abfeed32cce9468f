"""A precinct file cut into partitions that can be read apart, on this machine's threads or on
a cluster's workers, each a batch at a time.

- A plain CSV file is cut into byte ranges of about the partition size, each ending at a line
  end. A partition is read in blocks of whole lines (:data:`BLOCK_BYTES`), each parsed by
  pyarrow with the header (read and checked once, by :func:`cut`) in front of it. Lines are
  rows: a line with an odd number of quote characters (a quoted cell holding a line break, or
  a stray quote) is refused in one line, since a cut could fall inside such a row.
- A Parquet file's partitions are runs of its row groups of about the partition size, read
  in batches of :data:`PARQUET_BATCH` rows.
- A ``.gz`` or ``.zip`` file cannot be cut: it is one partition, streamed (bounded memory, one
  core).

Every partition knows its place in the file, so what is found in it (a row, a bad cell) is
numbered as in the whole file once the rows of the partitions before it are counted.
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import attrs
import numpy as np

from engine.errors import ScenarioError
from engine.formats.columns import PARQUET_BATCH, csv_batches, csv_options, parquet_batches, pyarrow
from engine.formats.csvtext import BOM, explain, header, wrong_width

__all__ = ["BLOCK_BYTES", "PARQUET_BATCH", "Partition", "UnevenQuotes", "batches", "cut"]

BLOCK_BYTES = 1 << 20   # lines of a CSV partition parsed at once


@attrs.frozen
class Partition:
    """Partition ``index`` of a file: a CSV file's bytes ``start``-``stop`` (whole lines) and
    ``head``, its header line as written (read and checked once, by :func:`cut`), a Parquet
    file's ``row_groups``, or (``whole``) a compressed file streamed whole."""

    index: int
    start: int = 0
    stop: int = 0
    row_groups: tuple[int, ...] = ()
    whole: bool = False
    head: bytes = b""

    @property
    def size(self) -> int:
        """Bytes of the file (CSV) or of its row groups (Parquet), for progress."""
        return self.stop - self.start


class UnevenQuotes(Exception):
    """A line of a CSV partition has an odd number of quotes: ``row`` (in the partition)."""

    def __init__(self, row: int) -> None:
        super().__init__(row)
        self.row = row


def kind(path: Path) -> str:
    """``parquet``, ``stream`` (compressed CSV: one partition) or ``csv``."""
    suffix = path.suffix.lower()
    return "parquet" if suffix == ".parquet" else "stream" if suffix in (".gz", ".zip") else "csv"


def cut(path: Path, name: str, size: int, delimiter: str) -> tuple[Partition, ...]:
    """The partitions of ``path``, each about ``size`` bytes (at least one line or row group)."""
    how = kind(path)
    if how == "stream":
        return (Partition(0, 0, os.stat(path).st_size, whole=True),)
    if how == "parquet":
        return _row_groups(path, name, size)
    line = _header_line(path, name, delimiter)
    end = os.stat(path).st_size
    cuts = [len(line)]
    with path.open("rb") as f:
        while cuts[-1] < end:
            at = min(end, cuts[-1] + max(size, 1))
            cuts.append(end if at >= end else _line_end(f, at - 1, end))
    return tuple(Partition(i, a, b, head=line)
                 for i, (a, b) in enumerate(itertools.pairwise(cuts)))


def _line_end(f: Any, at: int, end: int) -> int:
    """The offset just past the first line end at or after ``at``."""
    f.seek(at)
    pos = at
    while pos < end:
        block = f.read(1 << 16)
        if not block:
            break
        i = block.find(b"\n")
        if i >= 0:
            return pos + i + 1
        pos += len(block)
    return end


def _header_line(path: Path, name: str, delimiter: str) -> bytes:
    """The header line (its line end included), checked."""
    with path.open("rb") as f:
        first = f.read(1 << 16)
        while b"\n" not in first:
            more = f.read(1 << 16)
            if not more:
                break
            first += more
    i = first.find(b"\n")
    line = first if i < 0 else first[:i + 1]
    body = line.removeprefix(BOM)
    header(body, name, delimiter)  # a header pyarrow cannot take is named here
    if body.count(b'"') % 2:
        raise ScenarioError(name, "row 1", _UNEVEN)
    return line


_UNEVEN = ("holds an odd number of quote characters: a quoted cell that spans lines (or a "
           "stray quote); a file read in partitions needs one row per line (replay it without "
           "--partition, or write it as Parquet)")


def uneven(name: str, row: int) -> ScenarioError:
    """The one line refusing a row that spans lines (``row`` from 0, the header is row 1)."""
    return ScenarioError(name, f"row {row + 2}", _UNEVEN)


def _row_groups(path: Path, name: str, size: int) -> tuple[Partition, ...]:
    """Runs of row groups of about ``size`` bytes (uncompressed, as the metadata says)."""
    import pyarrow.parquet as pq  # a Parquet precinct file needs it (start-up)

    try:
        meta = pq.ParquetFile(path).metadata
    except (OSError, pyarrow().ArrowException) as err:
        raise ScenarioError(name, "", f"not a readable Parquet file: {err}") from None
    out: list[Partition] = []
    run: list[int] = []
    held = 0
    for g in range(meta.num_row_groups):
        run.append(g)
        held += meta.row_group(g).total_byte_size
        if held >= size or g == meta.num_row_groups - 1:
            out.append(Partition(len(out), out[-1].stop if out else 0,
                                 (out[-1].stop if out else 0) + held, row_groups=tuple(run)))
            run, held = [], 0
    return tuple(out) or (Partition(0, row_groups=()),)


def batches(path: Path, name: str, part: Partition, columns: list[str], delimiter: str
            ) -> tuple[Iterator[Any], dict[str, str]]:
    """The record batches of partition ``part`` (only ``columns``; CSV cells as strings), and
    each column's name as the file spells it. A CSV partition raises :class:`UnevenQuotes` at
    a row that spans lines."""
    if part.whole:
        return csv_batches(path, name, columns, delimiter)
    if kind(path) == "parquet":
        return parquet_batches(path, name, columns, part.row_groups)
    return _csv_range(path, name, part, columns, delimiter)


def _csv_range(path: Path, name: str, part: Partition, columns: list[str], delimiter: str
               ) -> tuple[Iterator[Any], dict[str, str]]:
    pa = pyarrow()
    import pyarrow.csv as pcsv  # with pyarrow (start-up)

    first = header(part.head.removeprefix(BOM), name, delimiter)
    options, raw, bad_rows = csv_options(first, columns, delimiter, newlines_in_values=False)

    def read() -> Iterator[Any]:
        row = 0
        for block in _blocks(path, part):
            row = _even_quotes(block, row)
            try:
                table = pcsv.read_csv(pa.py_buffer(part.head + block),
                                      read_options=pcsv.ReadOptions(use_threads=False),
                                      **options)
            except (pa.ArrowInvalid, UnicodeDecodeError) as err:
                explain(path, name, delimiter, err)
            if bad_rows:
                wrong_width(path, name, delimiter, len(first))
            yield from table.to_batches()

    return read(), raw


def _blocks(path: Path, part: Partition) -> Iterator[bytes]:
    """The partition's bytes in blocks of whole lines (a line longer than a block whole)."""
    with path.open("rb") as f:
        f.seek(part.start)
        left = part.stop - part.start
        carry = b""
        while left > 0 or carry:
            data = f.read(min(BLOCK_BYTES, left)) if left > 0 else b""
            left -= len(data)
            block = carry + data
            if left <= 0 or not data:
                if block:
                    yield block
                return
            i = block.rfind(b"\n")
            if i < 0:
                carry = block
                continue
            carry = block[i + 1:]
            yield block[:i + 1]


def _even_quotes(block: bytes, row: int) -> int:
    """Check that each line of ``block`` (rows from ``row`` of the partition) has an even number
    of quotes; the row after the block's last."""
    raw = np.frombuffer(block, np.uint8)
    ends = np.flatnonzero(raw == 10)
    if not block.endswith(b"\n"):
        ends = np.append(ends, raw.size - 1)
    quotes = np.flatnonzero(raw == 34)
    if quotes.size:  # each quote's line: the first line end after it
        per_line = np.bincount(np.searchsorted(ends, quotes), minlength=ends.size)
        odd = np.flatnonzero(per_line % 2)
        if odd.size:
            raise UnevenQuotes(row + int(odd[0]))
    return row + ends.size
