"""Precinct ids as 64-bit keys, made on whole Arrow arrays: the key of a row is its race and the
words of its id with case and runs of spaces folded (:func:`engine.formats.precinct_csv.fold`),
so two rows share a key when an in-memory read would call them one precinct (or, once in about
2**64 pairs, by chance: a key only says where to look).

A word's key is a polynomial hash of its folded UTF-8 bytes, finished by the splitmix64 mixer,
the same in every process (Python's ``hash`` is salted per process, and a cluster's workers
must agree). ASCII words are folded by Arrow's kernels; the others one by one by ``fold``.
"""

from __future__ import annotations

from typing import Any

import attrs
import numpy as np

from engine.formats.arrow_csv import numpy_of
from engine.formats.columns import dictionary, pyarrow
from engine.formats.counts import SPACE
from engine.formats.precinct_csv import fold

__all__ = ["IdColumn", "id_column", "row_keys", "word_keys"]

_P = np.uint64(0x100000001B3)          # the FNV prime, as the polynomial's base
_MIX = np.uint64(0x9E3779B97F4A7C15)   # the golden-ratio multiplier of Fibonacci hashing
# what str.split() splits ASCII text on (fold's runs of spaces)
_ASCII_SPACE = r"[\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f ]+"


@attrs.frozen(eq=False)
class IdColumn:
    """One id column of a batch: ``codes`` (n,) into ``words`` (an Arrow string array, the
    cells as written) and ``keys`` (one per word)."""

    codes: np.ndarray
    words: Any
    keys: np.ndarray

    def word(self, row: int) -> str:
        """Row ``row``'s word, trimmed as an in-memory read trims it."""
        return str(self.words[int(self.codes[row])].as_py()).strip(SPACE)


def id_column(arr: Any) -> IdColumn:
    """A batch's id column coded, each distinct cell's key made once."""
    index, words = dictionary(arr)
    return IdColumn(codes=index.astype(np.int64), words=words, keys=word_keys(words))


def word_keys(words: Any) -> np.ndarray:
    """(n,) uint64: each word's key, of its folded form (made with Arrow's kernels, never
    ``to_numpy`` or ``pa.array`` of Python objects: they import pandas where installed)."""
    import pyarrow.compute as pc  # with pyarrow (start-up)

    folded = pc.utf8_trim(pc.replace_substring_regex(pc.ascii_lower(words), _ASCII_SPACE, " "),
                          " ")
    keys = _hash(folded)
    other = pc.indices_nonzero(pc.invert(pc.string_is_ascii(words)))
    if len(other):
        texts = [fold(str(w)) for w in words.take(other).to_pylist()]
        keys[numpy_of(other)] = _hash(_strings(texts))
    return keys


def _strings(texts: list[str]) -> Any:
    """An Arrow large string array of ``texts``, built from its buffers."""
    pa = pyarrow()
    data = [t.encode() for t in texts]
    offsets = np.r_[0, np.cumsum([len(b) for b in data], dtype=np.int64)].astype(np.int64)
    return pa.LargeStringArray.from_buffers(len(data), pa.py_buffer(offsets),
                                            pa.py_buffer(b"".join(data)))


def _hash(words: Any) -> np.ndarray:
    """The polynomial hash of each string's UTF-8 bytes (mod 2**64), length mixed in."""
    pa = pyarrow()
    words = words.cast(pa.large_string()) if not pa.types.is_large_string(words.type) else words
    bufs = words.buffers()
    n = len(words)
    offsets = np.frombuffer(bufs[1], np.int64, count=n + 1 + words.offset)[words.offset:]
    raw = (np.frombuffer(bufs[2], np.uint8) if bufs[2] is not None else np.zeros(0, np.uint8))
    start, end = int(offsets[0]), int(offsets[-1])
    body = raw[start:end].astype(np.uint64) + np.uint64(1)
    lens = np.diff(offsets)
    pos = np.arange(end - start, dtype=np.int64) - np.repeat(offsets[:-1] - start, lens)
    longest = int(lens.max(initial=0))
    with np.errstate(over="ignore"):
        powers = np.cumprod(np.r_[np.uint64(1), np.full(max(longest - 1, 0), _P, np.uint64)]
                            ).astype(np.uint64)[:longest]
        summed = np.r_[np.uint64(0), np.cumsum(body * powers[pos], dtype=np.uint64)]
        h = summed[offsets[1:] - start] - summed[offsets[:-1] - start]
        h = (h ^ lens.astype(np.uint64)) * _MIX
        return _splitmix(h)


def _splitmix(x: np.ndarray) -> np.ndarray:
    """The splitmix64 finaliser: every bit of the input moves every bit of the output."""
    with np.errstate(over="ignore"):
        x = (x ^ (x >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        x = (x ^ (x >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        return x ^ (x >> np.uint64(31))


def row_keys(race: np.ndarray, columns: list[IdColumn]) -> np.ndarray:
    """(n,) uint64: each row's key, of its race and its id's columns in order."""
    with np.errstate(over="ignore"):
        key = _splitmix((race.astype(np.uint64) + np.uint64(1)) * _MIX)
        for c in columns:
            key = _splitmix((key * _P) ^ c.keys[c.codes])
        return key
