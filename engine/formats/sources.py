"""Where a tabular file's bytes come from: the file itself, gzip decompressed on the way, or
the one CSV member of a zip; its header; and, once fast reading has failed, the whole file
read again by the standard library to name the place of the problem in one line."""

from __future__ import annotations

import contextlib
import csv
import gzip
import io
import zipfile
from pathlib import Path
from typing import Any, NoReturn

from engine.errors import ScenarioError

__all__ = ["batch_pool", "explain", "head", "header_of", "stream", "whole", "wrong_width"]


def _pa() -> Any:
    import pyarrow  # a scenario with a precinct file needs it: imported then (start-up)

    return pyarrow


def batch_pool() -> Any:
    """A memory pool that gives each batch's memory back to the system once it is converted:
    jemalloc told to return freed pages at once where pyarrow has it, else the system's."""
    pa = _pa()
    try:
        pa.jemalloc_set_decay_ms(0)
        return pa.jemalloc_memory_pool()
    except (NotImplementedError, pa.ArrowNotImplementedError):
        return pa.system_memory_pool()


def stream(path: Path) -> Any:
    """The file as a stream pyarrow reads block by block: ``.gz`` decompressed on the way, the
    one member of a ``.zip``, else the file itself."""
    pa = _pa()
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
        self._file = self._zip.open(_member(self._zip, path.name))

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


def _member(z: zipfile.ZipFile, name: str) -> str:
    members = [m for m in z.namelist() if not m.endswith("/")]
    if len(members) != 1:
        raise ScenarioError(name, "", f"a .zip must hold one CSV file, it holds {len(members)}")
    return members[0]


def head(path: Path, name: str) -> bytes:
    """The file's first 64 KiB (decompressed), for its header; a BOM left out."""
    try:
        if path.suffix.lower() == ".gz":
            with gzip.open(path) as f:
                first = f.read(1 << 16)
        elif path.suffix.lower() == ".zip":
            with zipfile.ZipFile(path) as z, z.open(_member(z, name)) as f:
                first = f.read(1 << 16)
        else:
            with path.open("rb") as f:
                first = f.read(1 << 16)
    except (OSError, zipfile.BadZipFile, EOFError) as err:
        raise ScenarioError(name, "", f"cannot be read: {err}") from None
    return first[3:] if first.startswith(b"\xef\xbb\xbf") else first


def whole(path: Path, name: str) -> bytes:
    """The whole file, decompressed (to locate a problem once reading has failed)."""
    try:
        if path.suffix.lower() == ".gz":
            data = gzip.decompress(path.read_bytes())
        elif path.suffix.lower() == ".zip":
            with zipfile.ZipFile(path) as z:
                data = z.read(_member(z, name))
        else:
            data = path.read_bytes()
    except (OSError, zipfile.BadZipFile, EOFError) as err:
        raise ScenarioError(name, "", f"cannot be read: {err}") from None
    return data[3:] if data.startswith(b"\xef\xbb\xbf") else data


def header_of(first: bytes, name: str, delimiter: str) -> list[str]:
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
    if not header or not first.strip():
        raise ScenarioError(name, "", "is empty: no header row")
    return header


def explain(data: bytes, name: str, delimiter: str, err: Exception) -> NoReturn:
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


def wrong_width(data: bytes, name: str, delimiter: str, width: int) -> NoReturn:
    """The first row with more or fewer cells than the header (rows as a spreadsheet numbers
    them, records spanning lines counted once)."""
    text = data.decode("utf-8", errors="replace")
    for n, row in enumerate(csv.reader(io.StringIO(text), delimiter=delimiter), start=1):
        if n > 1 and row and len(row) != width:
            raise ScenarioError(name, f"row {n}", f"has {len(row)} cells, the header has {width}")
    raise ScenarioError(name, "", f"has rows whose cells do not match the header's {width}")
