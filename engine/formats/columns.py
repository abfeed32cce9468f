"""Columns of a tabular file read strictly and fast: CSV (plain, ``.gz`` or one member of a
``.zip``) and Parquet, with pyarrow's multi-threaded reader, only the columns a scenario maps.

Counts are whole numbers in ASCII digits (spaces or tabs around them allowed): no signs, no
separators, no other scripts' digits, below 2**62 (sums of counts stay inside int64). They are
converted straight from the column's UTF-8 buffer with numpy, and only cells that are not plain
digits go through Python, to be read as blank or named as the first bad cell (its row as a
spreadsheet numbers it: the header is row 1). Text columns are interned: one code per distinct
cell (trimmed), so a million rows naming 90 regions carry 90 strings.

pyarrow is imported here only, when a scenario reads a precinct file.
"""

from __future__ import annotations

import csv
import gzip
import io
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any, NoReturn

import numpy as np

from engine.errors import ScenarioError
from engine.tally.sums import sum_by_group

__all__ = ["TOO_LARGE", "Columns", "read_columns"]

TOO_LARGE = 2**62  # as for counts in the scenario file
_POW10 = 10 ** np.arange(19, dtype=np.int64)
_PLAIN_DIGITS = 18  # up to 18 digits are always < 2**62; 19 are checked one by one
_SPACE = " \t"


class Columns:
    """The mapped columns of one file: ``counts`` and ``codes`` convert a column by its header
    name (as the user wrote it in the scenario)."""

    def __init__(self, name: str, header: list[str], data: dict[str, Any], n_rows: int) -> None:
        self.name = name          # the file's name, for errors
        self.header = header      # every column of the file, trimmed
        self.n_rows = n_rows
        self._data = data         # header name -> pyarrow array (string or integer)
        self._codes: dict[str, tuple[np.ndarray, list[str]]] = {}

    def fail(self, row: int, column: str, problem: str) -> NoReturn:
        """One line naming the cell: ``row`` counts data rows from 0 (the header is row 1)."""
        raise ScenarioError(self.name, f"row {row + 2}, column {column!r}", problem)

    def counts(self, column: str, *, blank: int) -> np.ndarray:
        """(N,) int64 counts of ``column``; a blank cell (or spaces only) is ``blank``."""
        arr = self._data[column]
        if _is_integer(arr):  # a typed (Parquet) column: nulls are blank
            values = np.asarray(arr.to_numpy(zero_copy_only=False), dtype=np.int64) \
                if arr.null_count == 0 else _filled(arr, blank)
            if arr.null_count == 0:
                bad = np.flatnonzero((values < 0) | (values >= TOO_LARGE))
            else:
                valid = _valid_mask(arr)
                bad = np.flatnonzero(valid & ((values < 0) | (values >= TOO_LARGE)))
            if bad.size:
                i = int(bad[0])
                v = int(values[i])
                self.fail(i, column, f"must be >= 0, got {v}" if v < 0 else
                          f"is too large for a count, got {v}")
            return values
        offsets, raw = _utf8(arr)
        lens = np.diff(offsets)
        body = raw[int(offsets[0]):int(offsets[-1])]
        if (lens.min(initial=1) >= 1 and lens.max(initial=1) <= _PLAIN_DIGITS
                and ((body - 48) < 10).all()):
            # every cell is 1-18 ASCII digits: Arrow's own conversion is exact and fast
            ints = arr.cast(_pa().int64())
            return np.frombuffer(ints.buffers()[1], dtype=np.int64, count=len(ints) +
                                 ints.offset)[ints.offset:].copy()
        return _parse_counts(offsets, raw, blank, lambda i, p: self.fail(i, column, p))

    def codes(self, column: str) -> tuple[np.ndarray, list[str]]:
        """(N,) int64 codes of ``column``'s trimmed cells into their distinct values, in order
        of first appearance (computed once per column)."""
        if column not in self._codes:
            self._codes[column] = self._encode(column)
        return self._codes[column]

    def _encode(self, column: str) -> tuple[np.ndarray, list[str]]:
        arr = self._data[column]
        if not _is_string(arr):
            arr = arr.cast(_pa().string())
        if arr.null_count:
            arr = arr.fill_null("")
        encoded = arr.dictionary_encode()
        indices = encoded.indices
        index: np.ndarray = np.frombuffer(indices.buffers()[1], dtype=_index_dtype(encoded),
                                          count=len(indices) + indices.offset)[indices.offset:]
        # cells that differ only in spaces around them are one value
        distinct: dict[str, int] = {}
        remap = np.fromiter((distinct.setdefault(w.strip(_SPACE), len(distinct))
                             for w in encoded.dictionary.to_pylist()), np.int64)
        codes = remap[index]
        # numbered in order of first appearance, so the first row's value is code 0
        _, first = np.unique(codes, return_index=True)
        order = np.argsort(first, kind="stable")
        rank = np.empty_like(order)
        rank[order] = np.arange(order.size)
        values = list(distinct)
        return rank[codes], [values[i] for i in order]


def _pa() -> Any:
    import pyarrow  # a scenario with a precinct file needs it: imported then (start-up)

    return pyarrow


def _is_integer(arr: Any) -> bool:
    return bool(_pa().types.is_integer(arr.type))


def _is_string(arr: Any) -> bool:
    t = arr.type
    return bool(_pa().types.is_string(t) or _pa().types.is_large_string(t))


def _index_dtype(encoded: Any) -> type:
    return {8: np.int8, 16: np.int16, 32: np.int32, 64: np.int64}[
        encoded.indices.type.bit_width]


def _valid_mask(arr: Any) -> np.ndarray:
    """Where a typed column has a value (not null)."""
    bits = np.frombuffer(arr.buffers()[0], dtype=np.uint8)
    mask = np.unpackbits(bits, bitorder="little")[arr.offset:arr.offset + len(arr)]
    return mask.astype(bool)


def _filled(arr: Any, blank: int) -> np.ndarray:
    return np.asarray(arr.fill_null(blank).to_numpy(zero_copy_only=False), dtype=np.int64)


def _utf8(arr: Any) -> tuple[np.ndarray, np.ndarray]:
    """A string array's offsets (N + 1,) int64 and bytes (uint8), without copying the bytes."""
    wide = _pa().types.is_large_string(arr.type)
    bufs = arr.buffers()
    n = len(arr)
    offsets = np.frombuffer(bufs[1], dtype=np.int64 if wide else np.int32,
                            count=n + 1 + arr.offset)[arr.offset:].astype(np.int64)
    raw = (np.frombuffer(bufs[2], dtype=np.uint8) if bufs[2] is not None
           else np.zeros(0, np.uint8))
    return offsets, raw


def _parse_counts(offsets: np.ndarray, raw: np.ndarray, blank: int,
                  fail: Callable[[int, str], NoReturn]) -> np.ndarray:
    """Cells of 1-18 ASCII digits converted together; every other cell one by one."""
    n = offsets.size - 1
    lens = np.diff(offsets)
    start, end = int(offsets[0]), int(offsets[-1])
    body = raw[start:end]
    digit = (body - 48) < 10  # uint8 wraps: bytes below '0' become large
    cell = np.repeat(np.arange(n), lens)
    bad_bytes = np.bincount(cell[~digit], minlength=n) if not digit.all() else None
    plain = (lens >= 1) & (lens <= _PLAIN_DIGITS)
    if bad_bytes is not None:
        plain &= bad_bytes == 0
    out = np.empty(n, np.int64)
    if plain.any():
        keep = plain[cell]
        # each digit times 10 to the power of the digits after it in its cell
        pos = np.where(keep, offsets[1:][cell] - 1 - (np.arange(body.size) + start), 0)
        digits = np.where(keep, body - 48, 0).astype(np.int64)
        out[:] = sum_by_group(digits * _POW10[pos], cell, n)
    for i in np.flatnonzero(~plain).tolist():  # blanks, padding, and the cells to refuse
        text = bytes(raw[offsets[i]:offsets[i + 1]]).decode("utf-8")

        def refuse(problem: str, row: int = i) -> NoReturn:
            fail(row, problem)

        out[i] = _one_count(text, blank, refuse)
    return out


def _one_count(text: str, blank: int, fail: Callable[[str], NoReturn]) -> int:
    cell = text.strip(_SPACE)
    digits = cell.removeprefix("-")
    if cell == "":
        return blank
    if not (digits.isascii() and digits.isdigit()):
        fail(f"must be a whole number, got {cell!r}")
    if cell.startswith("-"):
        fail(f"must be >= 0, got {cell}")
    if int(cell) >= TOO_LARGE:
        fail(f"is too large for a count, got {cell}")
    return int(cell)


# --------------------------------------------------------------------------------------------
def read_columns(path: Path, name: str, columns: list[str],
                 missing: Callable[[str], NoReturn], *, delimiter: str = ",") -> Columns:
    """The ``columns`` (header names, trimmed) of the CSV or Parquet file ``path``.

    ``missing(problem)`` reports a file that does not exist (the scenario names its place);
    every other problem is a :class:`ScenarioError` naming the file as ``name``.
    """
    if not path.is_file():
        missing(f"no such file {str(path)!r}")
    if path.suffix.lower() == ".parquet":
        return _parquet(path, name, columns)
    data = _bytes(path, name)
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    header = _header(data, name, delimiter)
    raw_of = {h.strip(): h for h in header}
    want = [raw_of[c] for c in dict.fromkeys(columns) if c in raw_of]
    pa = _pa()
    import pyarrow.csv as pcsv  # with pyarrow (start-up)

    bad_rows: list[Any] = []

    def invalid(row: Any) -> str:
        bad_rows.append(row)
        return "skip"

    try:
        table = pcsv.read_csv(
            pa.BufferReader(data),
            parse_options=pcsv.ParseOptions(delimiter=delimiter, newlines_in_values=True,
                                            invalid_row_handler=invalid),
            convert_options=pcsv.ConvertOptions(
                include_columns=want, column_types=dict.fromkeys(want, pa.string()),
                strings_can_be_null=False, quoted_strings_can_be_null=False))
    except pa.ArrowInvalid as err:
        _explain(data, name, delimiter, err)
    if bad_rows:
        _wrong_width(data, name, delimiter, len(header))
    if table.num_rows == 0:
        raise ScenarioError(name, "", "has a header but no precinct rows")
    arrays = {c: table.column(raw_of[c]).combine_chunks() for c in columns if c in raw_of}
    return Columns(name, [h.strip() for h in header], arrays, table.num_rows)


def _bytes(path: Path, name: str) -> bytes:
    """The file's bytes, decompressed: ``.gz``, or the one CSV member of a ``.zip``."""
    suffix = path.suffix.lower()
    try:
        if suffix == ".gz":
            return gzip.decompress(path.read_bytes())
        if suffix == ".zip":
            with zipfile.ZipFile(path) as z:
                members = [m for m in z.namelist() if not m.endswith("/")]
                if len(members) != 1:
                    raise ScenarioError(name, "", f"a .zip must hold one CSV file, it holds "
                                        f"{len(members)}")
                return z.read(members[0])
        return path.read_bytes()
    except (OSError, zipfile.BadZipFile, EOFError) as err:
        raise ScenarioError(name, "", f"cannot be read: {err}") from None


def _header(data: bytes, name: str, delimiter: str) -> list[str]:
    first = data[:1 << 16]
    try:
        text = first.decode("utf-8")
    except UnicodeDecodeError as err:
        if err.start < len(first) - 4:  # not a character cut at the block's end
            raise ScenarioError(name, f"byte {err.start}", "not UTF-8 text") from None
        text = first[:err.start].decode("utf-8")
    try:
        header = next(csv.reader(io.StringIO(text), delimiter=delimiter), None)
    except csv.Error as err:
        raise ScenarioError(name, "", f"not a readable CSV file: {err}") from None
    if not header or not data.strip():
        raise ScenarioError(name, "", "is empty: no header row")
    return header


def _explain(data: bytes, name: str, delimiter: str, err: Exception) -> NoReturn:
    """A pyarrow error as one line naming the place (found again with the standard library)."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as bad:
        raise ScenarioError(name, f"byte {bad.start}", "not UTF-8 text") from None
    try:
        for _ in csv.reader(io.StringIO(text), delimiter=delimiter):
            pass
    except csv.Error as bad:
        raise ScenarioError(name, "", f"not a readable CSV file: {bad}") from None
    first = str(err).splitlines()[0][:200]
    raise ScenarioError(name, "", f"not a readable CSV file: {first}") from None


def _wrong_width(data: bytes, name: str, delimiter: str, width: int) -> NoReturn:
    """The first row with more or fewer cells than the header (rows as a spreadsheet numbers
    them, records spanning lines counted once)."""
    text = data.decode("utf-8", errors="replace")
    for n, row in enumerate(csv.reader(io.StringIO(text), delimiter=delimiter), start=1):
        if n > 1 and row and len(row) != width:
            raise ScenarioError(name, f"row {n}", f"has {len(row)} cells, the header has {width}")
    raise ScenarioError(name, "", f"has rows whose cells do not match the header's {width}")


def _parquet(path: Path, name: str, columns: list[str]) -> Columns:
    import pyarrow.parquet as pq  # a Parquet precinct file needs it (start-up)

    try:
        schema = pq.read_schema(path)
        header = list(schema.names)
        raw_of = {h.strip(): h for h in header}
        want = list(dict.fromkeys(raw_of[c] for c in columns if c in raw_of))
        table = pq.read_table(path, columns=want)
    except (OSError, _pa().ArrowException) as err:
        raise ScenarioError(name, "", f"not a readable Parquet file: {err}") from None
    if table.num_rows == 0:
        raise ScenarioError(name, "", "has a header but no precinct rows")
    arrays = {c: table.column(raw_of[c]).combine_chunks() for c in columns if c in raw_of}
    return Columns(name, [h.strip() for h in header], arrays, table.num_rows)
