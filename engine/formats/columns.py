"""Columns of a tabular file read strictly and fast: CSV (plain, ``.gz`` or one member of a
``.zip``) and Parquet, with pyarrow, only the columns a scenario maps, batch by batch.

Counts follow the one rule of :mod:`engine.formats.counts` (ASCII digits, spaces or tabs
around them, below 2**62). A batch's column of plain digits is converted by Arrow itself; a
column with other cells goes through numpy on its UTF-8 buffer, and only the cells that are
not plain digits through Python, to be read as blank or named as the first bad cell (its row
as a spreadsheet numbers it: the header is row 1). Text columns are interned: one code per
distinct trimmed cell, numbered in order of first appearance, so a million rows naming 90
regions carry 90 strings. Each batch (about 1 MiB of the file) is converted and let go before
the next is read, so memory holds the converted columns and one batch, whatever the file's
size; reading stops at the precincts limit (:mod:`engine.limits`).

pyarrow is imported here only, when a scenario reads a precinct file.
"""

from __future__ import annotations

import contextlib
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, NoReturn

import numpy as np

from engine.errors import ScenarioError
from engine.formats.arrow_csv import numpy_of
from engine.formats.counts import MAX_COUNT, SPACE, read_count, value_problem
from engine.formats.csvtext import explain, head, header, member, wrong_width
from engine.formats.files import check_file
from engine.limits import over_limit
from engine.tally.sums import sum_by_group

__all__ = ["PARQUET_BATCH", "BadCell", "Columns", "batch_codes", "batch_columns", "batch_counts",
           "csv_batches", "csv_options", "dictionary", "parquet_batches", "pyarrow",
           "read_columns", "read_header"]

_POW10 = 10 ** np.arange(19, dtype=np.int64)
_PLAIN_DIGITS = 18  # up to 18 digits are always < 2**62; 19 are checked one by one
_BLOCK = 1 << 20    # bytes of the file parsed per batch
PARQUET_BATCH = 1 << 16  # rows of a Parquet batch


class Columns:
    """The mapped columns of one file, converted: ``counts`` and ``codes`` give a column by its
    header name (as the user wrote it in the scenario)."""

    def __init__(self, name: str, header: list[str], n_rows: int,
                 counts: dict[str, np.ndarray],
                 codes: dict[str, tuple[np.ndarray, list[str]]]) -> None:
        self.name = name          # the file's name, for errors
        self.header = header      # every column of the file, trimmed
        self.n_rows = n_rows
        self._counts = counts
        self._codes = codes

    def fail(self, row: int, column: str, problem: str) -> NoReturn:
        """One line naming the cell: ``row`` counts data rows from 0 (the header is row 1)."""
        raise ScenarioError(self.name, f"row {row + 2}, column {column!r}", problem)

    def counts(self, column: str) -> np.ndarray:
        """(N,) int64 counts of ``column`` (blank cells as asked for when reading)."""
        return self._counts[column]

    def codes(self, column: str) -> tuple[np.ndarray, list[str]]:
        """(N,) int64 codes of ``column``'s trimmed cells into their distinct values, in order
        of first appearance."""
        return self._codes[column]


def pyarrow() -> Any:
    import pyarrow  # a scenario with a precinct file needs it: imported then (start-up)

    return pyarrow


# -- converting one batch's column ----------------------------------------------------------
def _utf8(arr: Any) -> tuple[np.ndarray, np.ndarray]:
    """A string array's offsets (N + 1,) int64 and bytes (uint8), without copying the bytes."""
    wide = pyarrow().types.is_large_string(arr.type)
    bufs = arr.buffers()
    n = len(arr)
    offsets = np.frombuffer(bufs[1], dtype=np.int64 if wide else np.int32,
                            count=n + 1 + arr.offset)[arr.offset:].astype(np.int64)
    raw = (np.frombuffer(bufs[2], dtype=np.uint8) if bufs[2] is not None
           else np.zeros(0, np.uint8))
    return offsets, raw


def batch_counts(arr: Any, blank: int, fail: Callable[[int, str], NoReturn]) -> np.ndarray:
    """A batch's column as (n,) int64 counts; ``fail(row in batch, problem)``."""
    pa = pyarrow()
    if pa.types.is_integer(arr.type):  # a typed (Parquet) column: nulls are blank
        nulls = np.zeros(len(arr), bool)
        if arr.null_count:
            bits = np.frombuffer(arr.buffers()[0], dtype=np.uint8)
            nulls = ~np.unpackbits(bits, bitorder="little")[arr.offset:arr.offset + len(arr)
                                                            ].astype(bool)
            arr = arr.fill_null(0)
        values = numpy_of(arr.cast(pa.int64(), safe=False)).copy()  # wrapped as numpy would
        bad = np.flatnonzero(~nulls & ((values < 0) | (values >= MAX_COUNT)))
        if bad.size:
            fail(int(bad[0]), value_problem(int(values[bad[0]])) or "")
        values[nulls] = blank
        return values
    if not (pa.types.is_string(arr.type) or pa.types.is_large_string(arr.type)):
        arr = arr.cast(pa.string())
    if arr.null_count:
        arr = arr.fill_null("")
    offsets, raw = _utf8(arr)
    lens = np.diff(offsets)
    body = raw[int(offsets[0]):int(offsets[-1])]
    if (lens.min(initial=1) >= 1 and lens.max(initial=1) <= _PLAIN_DIGITS
            and ((body - 48) < 10).all()):
        # every cell is 1-18 ASCII digits: Arrow's own conversion is exact and fast
        return numpy_of(arr.cast(pa.int64())).copy()
    return _parse_counts(offsets, raw, blank, fail)


def _parse_counts(offsets: np.ndarray, raw: np.ndarray, blank: int,
                  fail: Callable[[int, str], NoReturn]) -> np.ndarray:
    """Cells of 1-18 ASCII digits converted together; every other cell one by one."""
    n = offsets.size - 1
    lens = np.diff(offsets)
    start, end = int(offsets[0]), int(offsets[-1])
    body = raw[start:end]
    digit = (body - 48) < 10  # uint8 wraps: bytes below '0' become large
    cell = np.repeat(np.arange(n), lens)
    plain = (lens >= 1) & (lens <= _PLAIN_DIGITS)
    if not digit.all():
        plain &= np.bincount(cell[~digit], minlength=n) == 0
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

        out[i] = read_count(text, blank, refuse)
    return out


class BadCell(Exception):
    """A batch's first bad count cell: ``row`` in the batch (from 0), ``column``, ``problem``."""

    def __init__(self, row: int, column: str, problem: str) -> None:
        super().__init__(row, column, problem)
        self.row, self.column, self.problem = row, column, problem


def batch_columns(batch: Any, raw_names: dict[str, str], counts: dict[str, int]
                  ) -> dict[str, np.ndarray]:
    """A batch's count columns converted (``counts``: column -> its blank cells' value). The
    first bad cell, by row, then in the columns' order, is raised as :class:`BadCell`: the
    first bad cell of a file is then the same however it is cut into batches."""
    out = {}
    first: BadCell | None = None
    for c, blank in counts.items():
        def fail(i: int, problem: str, c: str = c) -> NoReturn:
            raise BadCell(i, c, problem)

        try:
            out[c] = batch_counts(batch.column(raw_names[c]), blank, fail)
        except BadCell as bad:
            if first is None or bad.row < first.row:
                first = bad
    if first is not None:
        raise first
    return out


def dictionary(arr: Any) -> tuple[np.ndarray, Any]:
    """A batch's text column dictionary-encoded: indices (N,) (Arrow's integer width) into an
    Arrow string array of its distinct cells as written (blank for a null), in order of first
    appearance (read from Arrow's buffers: ``to_numpy`` imports pandas where installed)."""
    pa = pyarrow()
    if not (pa.types.is_string(arr.type) or pa.types.is_large_string(arr.type)):
        arr = arr.cast(pa.string())
    if arr.null_count:
        arr = arr.fill_null("")
    encoded = arr.dictionary_encode()  # its dictionary is in order of first appearance
    return numpy_of(encoded.indices), encoded.dictionary


def batch_codes(arr: Any) -> tuple[np.ndarray, list[str]]:
    """A batch's text column as codes (N,) into its distinct trimmed cells (blank for a null),
    in order of first appearance (two cells that differ only in the spaces around them may
    share a word and keep two codes)."""
    index, words = dictionary(arr)
    return index, [w.strip(SPACE) for w in words.to_pylist()]


class _Interned:
    """A text column's codes, built batch by batch: one code per distinct trimmed cell."""

    def __init__(self) -> None:
        self.words: dict[str, int] = {}
        self.parts: list[np.ndarray] = []

    def add(self, arr: Any) -> None:
        index, batch_words = batch_codes(arr)
        words = self.words
        remap = np.fromiter((words.setdefault(w, len(words)) for w in batch_words), np.int64)
        self.parts.append(remap[index])

    def result(self) -> tuple[np.ndarray, list[str]]:
        codes = np.concatenate(self.parts) if self.parts else np.zeros(0, np.int64)
        return codes, list(self.words)


# -- reading --------------------------------------------------------------------------------
def read_header(path: Path, name: str, missing: Callable[[str], NoReturn], *,
                delimiter: str = ",") -> list[str]:
    """The trimmed column names of the CSV or Parquet file ``path``. ``missing(problem)``
    reports a file that does not exist (the scenario names its place)."""
    check_file(path, name, "table_bytes", missing)
    if path.suffix.lower() == ".parquet":
        import pyarrow.parquet as pq  # a Parquet precinct file needs it (start-up)

        try:
            return [h.strip() for h in pq.read_schema(path).names]
        except (OSError, pyarrow().ArrowException) as err:
            raise ScenarioError(name, "", f"not a readable Parquet file: {err}") from None
    return [h.strip() for h in header(head(path, name), name, delimiter)]


def read_columns(path: Path, name: str, counts: dict[str, int], texts: list[str], *,
                 delimiter: str = ",") -> Columns:
    """The columns of ``path`` (header names, trimmed, all in the header): ``counts`` maps a
    count column to the value of its blank cells, ``texts`` are interned."""
    names = read_header(path, name, _no_file(name), delimiter=delimiter)
    batches, raw_names = (parquet_batches(path, name, [*counts, *texts]) if
                          path.suffix.lower() == ".parquet" else
                          csv_batches(path, name, [*counts, *texts], delimiter))
    parts: dict[str, list[np.ndarray]] = {c: [] for c in counts}
    interned = {c: _Interned() for c in texts}
    row0 = 0
    for batch in batches:
        try:
            cells = batch_columns(batch, raw_names, counts)
        except BadCell as bad:
            raise ScenarioError(name, f"row {row0 + bad.row + 2}, column {bad.column!r}",
                                bad.problem) from None
        for c in counts:
            parts[c].append(cells[c])
        for c, it in interned.items():
            it.add(batch.column(raw_names[c]))
        row0 += batch.num_rows
        if problem := over_limit("precincts", row0):  # read no further than the limit
            raise ScenarioError(name, f"row {row0 + 1}", problem)
    if row0 == 0:
        raise ScenarioError(name, "", "has a header but no precinct rows")
    return Columns(name, names, row0, {c: np.concatenate(p) for c, p in parts.items()},
                   {c: it.result() for c, it in interned.items()})


def _no_file(name: str) -> Callable[[str], NoReturn]:
    def missing(problem: str) -> NoReturn:
        raise ScenarioError(name, "", problem)

    return missing


def csv_options(first: list[str], columns: list[str], delimiter: str, *,
                newlines_in_values: bool) -> tuple[dict[str, Any], dict[str, str], list[Any]]:
    """pyarrow's parse and convert options for ``columns`` (as strings) of a CSV file whose
    header is ``first``; each column's name as the file spells it; and the list the rows of
    the wrong width are put in (skipped by the reader, named by the caller)."""
    pa = pyarrow()
    import pyarrow.csv as pcsv  # with pyarrow (start-up)

    raw_of = {h.strip(): h for h in first}
    want = list(dict.fromkeys(raw_of[c] for c in columns))
    bad_rows: list[Any] = []

    def invalid(row: Any) -> str:
        bad_rows.append(row)
        return "skip"

    options = {
        "parse_options": pcsv.ParseOptions(delimiter=delimiter,
                                           newlines_in_values=newlines_in_values,
                                           invalid_row_handler=invalid),
        "convert_options": pcsv.ConvertOptions(
            include_columns=want, column_types=dict.fromkeys(want, pa.string()),
            strings_can_be_null=False, quoted_strings_can_be_null=False)}
    return options, {c: raw_of[c] for c in columns}, bad_rows


def csv_batches(path: Path, name: str, columns: list[str], delimiter: str
                 ) -> tuple[Iterator[Any], dict[str, str]]:
    """The record batches of the CSV file (only ``columns``, as strings), and each column's
    name as the file spells it."""
    pa = pyarrow()
    import pyarrow.csv as pcsv  # with pyarrow (start-up)

    first = header(head(path, name), name, delimiter)
    options, raw, bad_rows = csv_options(first, columns, delimiter, newlines_in_values=True)

    def batches() -> Iterator[Any]:
        try:
            with _stream(path) as source:
                reader = pcsv.open_csv(source, read_options=pcsv.ReadOptions(block_size=_BLOCK),
                                       memory_pool=_batch_pool(), **options)
                for batch in reader:
                    if bad_rows:
                        break
                    yield batch
        except (pa.ArrowInvalid, UnicodeDecodeError) as err:
            explain(path, name, delimiter, err)
        except (OSError, zipfile.BadZipFile, EOFError) as err:
            raise ScenarioError(name, "", f"cannot be read: {err}") from None
        if bad_rows:
            wrong_width(path, name, delimiter, len(first))

    return batches(), raw


def parquet_batches(path: Path, name: str, columns: list[str],
                    row_groups: tuple[int, ...] | None = None
                    ) -> tuple[Iterator[Any], dict[str, str]]:
    """The record batches of the Parquet file (only ``columns``; ``row_groups``: those only,
    else all), and each column's name as the file spells it."""
    import pyarrow.parquet as pq  # a Parquet precinct file needs it (start-up)

    try:
        f = pq.ParquetFile(path)
    except (OSError, pyarrow().ArrowException) as err:
        raise ScenarioError(name, "", f"not a readable Parquet file: {err}") from None
    raw_of = {h.strip(): h for h in f.schema_arrow.names}
    want = list(dict.fromkeys(raw_of[c] for c in columns))

    def batches() -> Iterator[Any]:
        try:
            yield from f.iter_batches(columns=want, batch_size=PARQUET_BATCH, row_groups=(
                None if row_groups is None else list(row_groups)))
        except (OSError, pyarrow().ArrowException) as err:
            raise ScenarioError(name, "", f"not a readable Parquet file: {err}") from None

    return batches(), {c: raw_of[c] for c in columns}


def _batch_pool() -> Any:
    """A memory pool that gives each batch's memory back to the system once it is converted:
    jemalloc told to return freed pages at once where pyarrow has it, else the system's."""
    pa = pyarrow()
    try:
        pa.jemalloc_set_decay_ms(0)
        return pa.jemalloc_memory_pool()
    except (NotImplementedError, pa.ArrowNotImplementedError):
        return pa.system_memory_pool()


def _stream(path: Path) -> Any:
    """The file as a stream pyarrow reads block by block: ``.gz`` decompressed on the way, the
    one member of a ``.zip``, else the file itself."""
    pa = pyarrow()
    suffix = path.suffix.lower()
    if suffix == ".gz":
        return pa.input_stream(str(path), compression="gzip")
    if suffix == ".zip":
        return contextlib.closing(_ZipMember(path))
    return pa.input_stream(str(path))


class _ZipMember:
    """The one member of a zip file, opened for reading (the archive closed with it)."""

    def __init__(self, path: Path) -> None:
        self._zip = zipfile.ZipFile(path)
        self._file = self._zip.open(member(self._zip, path.name))

    def read(self, n: int = -1) -> bytes:
        return self._file.read(n)

    def close(self) -> None:
        self._file.close()
        self._zip.close()

    @property
    def closed(self) -> bool:
        return bool(self._file.closed)

    def readable(self) -> bool:
        return True
