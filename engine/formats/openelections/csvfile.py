"""An OpenElections CSV file parsed once: its rows read as published, each column coded (a code
per distinct cell), names compared folded (case and runs of spaces ignored)."""

from __future__ import annotations

import contextlib
import functools
import gc
import re
from collections import defaultdict
from collections.abc import Callable, Collection, Iterable, Iterator
from itertools import count
from operator import itemgetter
from pathlib import Path
from typing import cast, overload

import attrs
import numpy as np

from engine.errors import ScenarioError
from engine.formats.precinct_csv import read_records

__all__ = ["BAD", "COLUMNS", "Column", "Parsed", "factorize", "fold", "name_key", "parse"]

COLUMNS = ("county", "precinct", "office", "district", "party", "candidate", "votes")

BAD = -3            # a votes cell that is not a count (blank is -1); named when a race reads it


@functools.lru_cache(maxsize=1 << 16)  # offices, candidates and parties repeat row after row
def fold(text: str) -> str:
    """Names compared as one: case and runs of spaces ignored."""
    return " ".join(text.split()).casefold()


@functools.lru_cache(maxsize=1 << 16)
def name_key(text: str) -> str:
    """Candidates compared as one: case, spaces and punctuation ignored ("Kerry, John F." is
    "KERRY JOHN F")."""
    return " ".join(re.findall(r"\w+", text.casefold()))


@overload
def factorize(cells: Collection[str], n: None = None) -> tuple[np.ndarray, list[str]]: ...
@overload
def factorize(cells: Iterable[str], n: int) -> tuple[np.ndarray, list[str]]: ...
def factorize(cells: Iterable[str], n: int | None = None) -> tuple[np.ndarray, list[str]]:
    """(N,) int64 codes of ``cells`` (``n`` of them, if not a sequence) into their distinct
    values, in order of first appearance (one pass in C: a new cell takes the next number)."""
    index: defaultdict[str, int] = defaultdict(count().__next__)
    codes = np.fromiter(map(index.__getitem__, cells), np.int64,
                        count=len(cast("Collection[str]", cells)) if n is None else n)
    return codes, list(index)


@contextlib.contextmanager
def _collector_paused() -> Iterator[None]:
    """Read a file without the cyclic garbage collector: each of its rows is a new list, none is
    part of a cycle, and the collections a million of them would set off cost twice the read.
    The rows are freed before it resumes (else its first collection would visit them all)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


@attrs.frozen(eq=False)
class Column:
    """A column as codes (N,) int64 into its distinct values ``words``."""

    codes: np.ndarray
    words: list[str]

    def folded(self) -> Column:
        """The column with its values folded (case and runs of spaces ignored)."""
        codes, words = factorize([fold(w) for w in self.words])
        return Column(codes[self.codes], words)


# -- a file -------------------------------------------------------------------------------------
@attrs.frozen(eq=False)
class Parsed:
    """A CSV file as read: its header, the numbers of its body rows (the header is row 1; blank
    lines are skipped) and each column, its cells stripped."""

    name: str
    header: tuple[str, ...]
    numbers: np.ndarray            # (N,) int64
    columns: list[Column]          # one per header column


def parse(path: Path, shown: str, fail: Callable) -> Parsed:
    with _collector_paused():
        records = read_records(path, shown, fail, "files")
        header = tuple(h.strip() for h in records[0])
        width = len(header)
        lengths = np.fromiter(map(len, records), np.int64, count=len(records))[1:]
        kept = np.flatnonzero(lengths == width)
        for i in np.flatnonzero(lengths != width):
            if "".join(records[i + 1]).strip():
                raise ScenarioError(shown, f"row {i + 2}", f"has {lengths[i]} cells, the header "
                                    f"has {width}")
        body = records[1:] if kept.size == len(lengths) else [records[i + 1] for i in kept]
        del records
        columns = []
        for j in range(width):
            raw, spelled = factorize(map(itemgetter(j), body), len(body))
            stripped, words = factorize([w.strip() for w in spelled])
            columns.append(Column(stripped[raw], words))
        del body
    filled = np.zeros(len(kept), bool)
    for c in columns:
        filled |= np.array([w != "" for w in c.words], bool)[c.codes]
    if not filled.all():  # lines of empty cells
        columns = [Column(c.codes[filled], c.words) for c in columns]
    return Parsed(name=shown, header=header, numbers=(kept + 2)[filled], columns=columns)
