"""The text of a CSV file (plain, ``.gz``, or the one member of a ``.zip``) read with the standard
library: its header, and, when pyarrow's fast read has failed, the place of the problem.

Everything here streams: the file is decompressed and decoded a block at a time, so locating a
problem in a file of many gigabytes (or a small file that decompresses to many) holds one block,
never the whole.
"""

from __future__ import annotations

import codecs
import contextlib
import csv
import gzip
import io
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO, NoReturn, cast

from engine.errors import ScenarioError

__all__ = ["BOM", "explain", "head", "header", "member", "opened", "wrong_width"]

_BLOCK = 1 << 20
BOM = b"\xef\xbb\xbf"  # the UTF-8 byte order mark some writers put first


def member(z: zipfile.ZipFile, name: str) -> str:
    """The one file of a zip archive (a folder entry aside)."""
    members = [m for m in z.namelist() if not m.endswith("/")]
    if len(members) != 1:
        raise ScenarioError(name, "", f"a .zip must hold one CSV file, it holds {len(members)}")
    return members[0]


@contextlib.contextmanager
def opened(path: Path, name: str) -> Iterator[IO[bytes]]:
    """The file's bytes as a stream: ``.gz`` decompressed on the way, the one member of a
    ``.zip``, else the file itself; a file that cannot be read is one error naming it."""
    try:
        suffix = path.suffix.lower()
        if suffix == ".gz":
            with gzip.open(path) as f:
                yield cast(IO[bytes], f)
        elif suffix == ".zip":
            with zipfile.ZipFile(path) as z, z.open(member(z, name)) as f:
                yield f
        else:
            with path.open("rb") as f:
                yield f
    except (OSError, zipfile.BadZipFile, EOFError) as err:
        raise ScenarioError(name, "", f"cannot be read: {err}") from None


def head(path: Path, name: str) -> bytes:
    """The file's first 64 KiB (decompressed), for its header; a BOM left out."""
    with opened(path, name) as f:
        first = f.read(1 << 16)
    return first[3:] if first.startswith(BOM) else first


def header(first: bytes, name: str, delimiter: str) -> list[str]:
    """The header row of a file that begins with ``first``."""
    try:
        text = first.decode("utf-8")
    except UnicodeDecodeError as err:
        if err.start < len(first) - 4:  # not a character cut at the block's end
            raise ScenarioError(name, f"byte {err.start}", "not UTF-8 text") from None
        text = first[:err.start].decode("utf-8")
    try:
        row = next(csv.reader(io.StringIO(text), delimiter=delimiter), None)
    except csv.Error as err:
        raise ScenarioError(name, "", f"not a readable CSV file: {err}") from None
    if not row or not first.strip():
        raise ScenarioError(name, "", "is empty: no header row")
    return row


def _text(path: Path, name: str) -> Iterator[str]:
    """The file decoded block by block (a BOM left out); bytes that are not UTF-8 are one error
    naming their offset in the (decompressed) file."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    offset = 0
    with opened(path, name) as f:
        first = True
        while True:
            block = f.read(_BLOCK)
            if first and block.startswith(BOM):
                block, offset = block[3:], 3
            first = False
            try:
                yield decoder.decode(block, final=not block)
            except UnicodeDecodeError as err:
                at = offset + err.start - len(decoder.getstate()[0])
                raise ScenarioError(name, f"byte {max(at, offset)}", "not UTF-8 text") from None
            if not block:
                return
            offset += len(block)


def _records(path: Path, name: str, delimiter: str) -> Iterator[list[str]]:
    """The CSV records of the file, streamed (the csv module's field limit bounds a cell)."""
    lines = (line for chunk in _text(path, name)
             for line in io.StringIO(chunk).readlines())
    return csv.reader(_joined(lines), delimiter=delimiter)


def _joined(lines: Iterator[str]) -> Iterator[str]:
    """Lines cut at block ends put back together (a block may end inside a line)."""
    carry = ""
    for line in lines:
        if line.endswith(("\n", "\r")):
            yield carry + line
            carry = ""
        else:
            carry += line
    if carry:
        yield carry


def explain(path: Path, name: str, delimiter: str, err: Exception) -> NoReturn:
    """A pyarrow error as one line naming the place (found again with the standard library)."""
    try:
        for _ in _records(path, name, delimiter):
            pass
    except csv.Error as bad:
        raise ScenarioError(name, "", f"not a readable CSV file: {bad}") from None
    first = (str(err).splitlines() or [""])[0][:200]
    raise ScenarioError(name, "", f"not a readable CSV file: {first}") from None


def wrong_width(path: Path, name: str, delimiter: str, width: int) -> NoReturn:
    """The first row with more or fewer cells than the header (rows as a spreadsheet numbers
    them, records spanning lines counted once)."""
    try:
        for n, row in enumerate(_records(path, name, delimiter), start=1):
            if n > 1 and row and len(row) != width:
                raise ScenarioError(name, f"row {n}",
                                    f"has {len(row)} cells, the header has {width}")
    except csv.Error as bad:
        raise ScenarioError(name, "", f"not a readable CSV file: {bad}") from None
    raise ScenarioError(name, "", f"has rows whose cells do not match the header's {width}")
