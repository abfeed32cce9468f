"""Precinct ids as 64-bit keys: ids an in-memory read calls one precinct share a key."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
from hypothesis import given
from hypothesis import strategies as st

from engine.formats.id_keys import id_column, row_keys, word_keys
from engine.formats.precinct_csv import fold

_WORDS = st.lists(st.text(alphabet="aAbB 1\t\x1fßSsÄä\u00a0", max_size=8), min_size=1,
                  max_size=30)


@given(words=_WORDS)
def test_words_that_fold_alike_share_a_key(words):
    """Case, runs of spaces (ASCII or not, as str.split sees them) and ß/SS: one key; words
    that fold apart get keys apart (no collision among these few)."""
    keys = word_keys(pa.array(words, pa.string())).tolist()
    by_fold: dict[str, int] = {}
    for w, k in zip(words, keys, strict=True):
        assert by_fold.setdefault(fold(w), k) == k
    assert len(set(by_fold.values())) == len(by_fold)


def test_a_row_key_is_its_race_and_every_column():
    """The same number in two races, or two columns swapped, are other keys; a cell with
    spaces around it is the same precinct."""
    region = id_column(pa.array(["North", "North", "South", "north ", "1"]))
    number = id_column(pa.array(["1", "1", "1", "1", "North"]))
    keys = row_keys(np.array([0, 1, 0, 0, 0]), [region, number]).tolist()
    assert keys[0] != keys[1]  # another race
    assert keys[0] != keys[2]  # another region
    assert keys[0] == keys[3]  # case and spaces folded
    assert keys[0] != keys[4]  # columns swapped
    assert region.word(3) == "north"
