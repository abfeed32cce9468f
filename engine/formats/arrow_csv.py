"""A CSV file (``.gz`` read as it is) as coded columns, with pyarrow's multi-threaded reader.

Each column comes back as codes into its distinct cells (pyarrow's dictionary encoding, done
while parsing), so a file of millions of rows costs four bytes a cell however long its names.
Row numbers are those a spreadsheet shows: the header is row 1, every record after it one row,
blank lines included (they come back as rows of empty cells, for the caller to drop).

What pyarrow refuses (bytes that are not UTF-8, a row with more or fewer cells than the header)
is read again with Python's csv module, whose errors name the byte or the row exactly; reading
a good file never takes that path. Shared by the readers of ``engine.formats`` that read large
CSV files (OpenElections files).
"""

from __future__ import annotations

import codecs
import csv
import gzip
import io
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import attrs
import numpy as np

from engine.errors import ScenarioError

__all__ = ["BLOCK_BYTES", "CodedCSV", "numpy_of", "read_coded"]

BLOCK_BYTES = 1 << 23  # a parsing block: big enough that two threads do not wait on each other


@attrs.frozen(eq=False)
class CodedCSV:
    """A file as read: its header (cells as written) and per column the codes (N,) int32 of
    each row into ``words[j]``, the column's distinct cells in order of first appearance."""

    header: tuple[str, ...]
    codes: list[np.ndarray]
    words: list[list[str]]

    @property
    def rows(self) -> int:
        return int(self.codes[0].shape[0]) if self.codes else 0


def _open_text(path: Path) -> io.TextIOBase:
    """The file as text (UTF-8, a BOM allowed), decompressed when it is gzip; the caller
    closes it."""
    if path.name.endswith(".gz"):
        return io.TextIOWrapper(gzip.open(path, "rb"), encoding="utf-8-sig", newline="")
    return path.open(encoding="utf-8-sig", newline="")


def _header(path: Path, name: str) -> tuple[str, ...]:
    """The first record, read with Python's csv module (a BOM allowed)."""
    try:
        with _open_text(path) as fh:
            first = next(csv.reader(fh), None)
    except UnicodeDecodeError as err:
        raise ScenarioError(name, f"byte {err.start}", "not UTF-8 text") from None
    except csv.Error as err:
        raise ScenarioError(name, "", f"not a readable CSV file: {err}") from None
    except (EOFError, zlib.error, gzip.BadGzipFile) as err:
        raise _gzip_error(name, err) from None
    if first is None:
        raise ScenarioError(name, "", "is empty: no header row")
    return tuple(first)


def _gzip_error(name: str, err: Exception) -> ScenarioError:
    if isinstance(err, EOFError) or "runcated" in str(err):
        return ScenarioError(name, "", "the gzip data end before the file does: the file is "
                             "truncated (download it again)")
    return ScenarioError(name, "", f"not readable gzip data: {err}")


def read_coded(path: Path, name: str, fail: Callable[[str, str], None], key: str) -> CodedCSV:
    """The CSV file ``path`` as coded columns. A missing file is ``fail(problem, key)`` (the
    scenario's key naming it); an empty file, a truncated gzip file, bytes that are not UTF-8
    and a row with more or fewer cells than the header are errors naming the file as ``name``
    and the row or byte."""
    import pyarrow as pa  # start-up: only files read with it pay for the import
    import pyarrow.csv as pacsv

    if not path.is_file():
        fail(f"no such file {str(path)!r}", key)
    header = _header(path, name)
    width = len(header)
    columns = [f"c{j}" for j in range(width)]
    coded = pa.dictionary(pa.int32(), pa.string())
    invalid: list[str] = []

    def invalid_row(row: Any) -> str:
        invalid.append(getattr(row, "text", ""))
        return "skip"

    def read(newlines: bool) -> Any:
        return pacsv.read_csv(
            str(path),
            read_options=pacsv.ReadOptions(column_names=columns, skip_rows=1,
                                           block_size=BLOCK_BYTES),
            parse_options=pacsv.ParseOptions(ignore_empty_lines=False,
                                              newlines_in_values=newlines,
                                              invalid_row_handler=invalid_row),
            convert_options=pacsv.ConvertOptions(column_types=dict.fromkeys(columns, coded),
                                                 strings_can_be_null=False,
                                                 quoted_strings_can_be_null=False))

    try:
        table = read(False)
        words = [_words(table, c) for c in columns]
        if not invalid and any("\n" in w or "\r" in w for ws in words for w in ws):
            invalid.clear()  # a quoted line break: blocks must not be cut inside values
            table = read(True)
            words = [_words(table, c) for c in columns]
    except pa.ArrowInvalid:  # not UTF-8, or not CSV: the csv module names the place
        _slow_errors(path, name, width)
        raise ScenarioError(name, "", "not a readable CSV file") from None
    except OSError as err:
        raise _gzip_error(name, err) from None
    if invalid:
        _slow_errors(path, name, width)
        raise ScenarioError(name, "", f"has a row of {invalid[0]!r} whose cells do not match "
                            f"the header's {width}")
    codes = [_codes(table, c) for c in columns]
    return CodedCSV(header=header, codes=codes, words=words)


def _unified(table: Any, column: str) -> Any:
    chunked = table.column(column)
    return chunked.unify_dictionaries() if chunked.num_chunks > 1 else chunked


def _words(table: Any, column: str) -> list[str]:
    chunked = _unified(table, column)
    return chunked.chunk(0).dictionary.to_pylist() if chunked.num_chunks else []


def numpy_of(array: Any) -> np.ndarray:
    """A pyarrow array of int32 or int64 without nulls as a numpy view of its buffer (pyarrow's
    own ``to_numpy`` imports pandas when it is installed: half a second)."""
    width = array.type.bit_width // 8
    dtype = np.dtype(f"<i{width}")
    data = array.buffers()[1]
    n = len(array)
    if data is None or n == 0:
        return np.zeros(0, dtype)
    return np.frombuffer(data, dtype, count=n, offset=array.offset * width)


def _codes(table: Any, column: str) -> np.ndarray:
    chunked = _unified(table, column)
    parts = [numpy_of(c.indices) for c in chunked.chunks]
    return (np.concatenate(parts) if parts else np.zeros(0, np.int32)).astype(np.int32,
                                                                                copy=False)


def _slow_errors(path: Path, name: str, width: int) -> None:
    """Read the file with Python's csv module and raise the first error it names exactly: bytes
    that are not UTF-8 (the byte), a record with more or fewer cells than the header (the
    row), a record the csv module cannot read."""
    decoder = codecs.getincrementaldecoder("utf-8-sig")()
    try:
        with _open_text(path) as fh:
            for n, record in enumerate(csv.reader(fh), start=1):
                if n > 1 and len(record) != width and "".join(record).strip():
                    raise ScenarioError(name, f"row {n}", f"has {len(record)} cells, the "
                                        f"header has {width}")
    except UnicodeDecodeError:
        opener = gzip.open if path.name.endswith(".gz") else open
        offset = 0
        with opener(path, "rb") as raw:
            while block := raw.read(1 << 20):
                try:
                    decoder.decode(block)
                except UnicodeDecodeError as err:
                    raise ScenarioError(name, f"byte {offset + err.start}",
                                        "not UTF-8 text") from None
                offset += len(block)
        raise ScenarioError(name, "", "not UTF-8 text") from None
    except csv.Error as err:
        raise ScenarioError(name, "", f"not a readable CSV file: {err}") from None
    except (EOFError, zlib.error, gzip.BadGzipFile) as err:
        raise _gzip_error(name, err) from None
