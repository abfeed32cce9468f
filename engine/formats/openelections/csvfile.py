"""An OpenElections CSV file parsed once (plain or gzip, with pyarrow): its header, the numbers of
its rows, and each column coded (a code per distinct cell, cells stripped of spaces)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Collection, Iterable
from itertools import count
from pathlib import Path
from typing import cast, overload

import attrs
import numpy as np

from engine.formats.arrow_csv import read_coded

__all__ = ["Column", "Parsed", "factorize", "parse"]


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


@attrs.frozen(eq=False)
class Column:
    """A column as codes (N,) into its distinct values ``words``."""

    codes: np.ndarray
    words: list[str]

    def mapped(self, values: list[str]) -> Column:
        """The column with each distinct value replaced by ``values[code]`` (then coded
        again: values that become equal share a code)."""
        if values == self.words:  # nothing changes (cells without spaces around them)
            return self
        codes, words = factorize(values)
        return Column(codes.astype(np.int32)[self.codes], words)

    def take(self, rows: np.ndarray | slice) -> Column:
        return Column(self.codes[rows], self.words)

    def compact(self) -> Column:
        """Only the values some row holds, coded again (a count per value: no sort). A table
        of one office of a large file then works on its own few names, not the file's."""
        if 4 * self.codes.size < len(self.words):  # a few rows of many words: sort the rows
            distinct, inverse = np.unique(self.codes, return_inverse=True)
            return Column(inverse.reshape(-1).astype(np.int32),
                          [self.words[i] for i in distinct.tolist()])
        used = np.bincount(self.codes, minlength=len(self.words)) > 0
        if used.all():
            return self
        renumber = (np.cumsum(used) - 1).astype(np.int32)
        return Column(renumber[self.codes], [self.words[i] for i in np.flatnonzero(used)])

    def test(self, predicate: Callable[[str], bool]) -> np.ndarray:
        """(N,) bool: ``predicate`` of each row's value, worked out once per distinct value."""
        return np.fromiter(map(predicate, self.words), bool, count=len(self.words))[self.codes]


@attrs.frozen(eq=False)
class Parsed:
    """A CSV file as read: its header, the numbers of its body rows (the header is row 1; rows
    whose every cell is blank are left out) and each column, its cells stripped."""

    name: str
    header: tuple[str, ...]
    numbers: np.ndarray            # (N,) int64
    columns: list[Column]          # one per header column


def parse(path: Path, shown: str, fail: Callable) -> Parsed:
    """Read ``path`` (``shown`` in messages) once, whatever the tables that take its rows."""
    coded = read_coded(path, shown, fail, "files")
    header = tuple(h.strip() for h in coded.header)
    n = coded.rows
    columns = [Column(codes, words).mapped([w.strip() for w in words])
               for codes, words in zip(coded.codes, coded.words, strict=True)]
    numbers = np.arange(2, n + 2, dtype=np.int64)
    if all("" in c.words for c in columns):  # a row may be empty only if every column can be
        filled = np.zeros(n, bool)
        for c in columns:
            filled |= c.test(bool)
    else:
        filled = np.ones(n, bool)
    if not filled.all():  # blank lines, or lines of empty cells
        keep = np.flatnonzero(filled)
        columns = [c.take(keep) for c in columns]
        numbers = numbers[keep]
    return Parsed(name=shown, header=header, numbers=numbers, columns=columns)
