"""Hypothesis strategies: whole elections as precinct tables with consistent counts."""

from __future__ import annotations

import numpy as np
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from engine.tally.races import PrecinctTable


@st.composite
def elections(draw: st.DrawFn, max_races: int = 6, max_precincts: int = 40,
              max_candidates: int = 5) -> tuple[PrecinctTable, np.ndarray]:
    """A precinct table of 1..max_races races (each with >= 1 precinct) and their candidate counts.

    Every row is physically possible: votes + against all + invalid == cast <= registered.
    """
    r = draw(st.integers(1, max_races))
    k = draw(st.integers(1, max_candidates))
    n_cand = np.array(draw(st.lists(st.integers(1, k), min_size=r, max_size=r)), np.int64)
    p = draw(st.integers(r, max(r, max_precincts)))
    race = np.concatenate([np.arange(r), draw(hnp.arrays(np.int64, p - r,
                                                          elements=st.integers(0, r - 1)))])
    options = draw(hnp.arrays(np.int64, (p, k + 2), elements=st.integers(0, 3000)))
    options[:, :k] *= np.arange(k) < n_cand[race][:, None]  # zero past each race's candidates
    votes, against_all, invalid = options[:, :k], options[:, k], options[:, k + 1]
    cast = votes.sum(axis=1) + against_all + invalid
    abstained = draw(hnp.arrays(np.int64, p, elements=st.integers(0, 5000)))
    counts = np.column_stack([cast + abstained, cast, invalid, against_all, votes])
    return PrecinctTable(race=race, counts=counts, n_races=r), n_cand
