"""Replay results as tidy pandas DataFrames, for notebooks (the optional ``pandas`` extra).

:func:`race_frame` has one row per race and option, :func:`precinct_frame` one per precinct and
option (:mod:`engine.formats.tidy` says which); options are the candidates in ballot order, then
against all (``kind`` says which) where the ballot has that line. A race without precinct rows
is one precinct, named "". Counts are pandas' nullable ``Int64``: the int64 counts, ``<NA>``
where the source gave none (never -1, so that a sum cannot go wrong); shares and turnout are
float percentages, derived.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from engine.formats.tidy import AGAINST_ALL, precinct_columns, race_columns
from engine.replay.run import Replay

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["AGAINST_ALL", "precinct_frame", "race_frame"]


def _pandas() -> Any:
    try:
        import pandas as pd
    except ImportError as err:  # an optional extra: say how to get it
        msg = "results as DataFrames need pandas: pip install 'saylau[pandas]'"
        raise ImportError(msg) from err
    return pd


def _counts(pd: Any, values: np.ndarray) -> Any:
    """int64 counts with -1 unknown -> a nullable Int64 array."""
    values = np.asarray(values, dtype=np.int64)
    return pd.arrays.IntegerArray(np.where(values >= 0, values, 0), values < 0)


def _frame(pd: Any, columns: dict[str, np.ndarray]) -> pd.DataFrame:
    """Counts (int64 columns) nullable, dates as datetimes, the rest as they are."""
    out = {}
    for name, values in columns.items():
        if values.dtype == np.int64:
            out[name] = _counts(pd, values)
        elif values.dtype.kind == "M":
            out[name] = pd.to_datetime(values)
        else:
            out[name] = values
    return pd.DataFrame(out)


def race_frame(rp: Replay) -> pd.DataFrame:
    """One row per race and option: votes, share (% of valid), elected, and the race's counts,
    turnout and outcome repeated on each of its rows."""
    return _frame(_pandas(), race_columns(rp))


def precinct_frame(rp: Replay) -> pd.DataFrame:
    """One row per precinct and option: its votes and the precinct's registered voters, ballots
    cast and invalid ballots (and its county and votes by method, where a file gave them)."""
    return _frame(_pandas(), precinct_columns(rp))
