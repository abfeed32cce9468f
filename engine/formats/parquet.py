"""A replay as Parquet (``saylau replay --format parquet -o FILE``), for DuckDB, pandas and
polars: the tidy race x option table in FILE and the precinct x option table beside it
(``<stem>.precincts.parquet``), the columns of :mod:`engine.formats.tidy` (those of
``engine.formats.frames``). Counts are int64 with nulls where the source gave none; both files
are written with pyarrow, each atomically.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from engine.formats.tidy import precinct_columns, race_columns
from engine.replay.run import Replay

__all__ = ["precincts_path", "tables", "to_bytes"]


def _table(columns: dict[str, np.ndarray]) -> Any:
    import pyarrow as pa  # start-up: only this format pays for the import

    arrays = {}
    for name, values in columns.items():
        if values.dtype == np.int64:  # counts: -1 is a null
            arrays[name] = pa.array(values, pa.int64(), mask=values < 0)
        elif values.dtype.kind == "M":
            arrays[name] = pa.array(values, pa.date32())
        elif values.dtype == object:
            arrays[name] = pa.array(values.tolist(), pa.string())
        else:
            arrays[name] = pa.array(values)
    return pa.table(arrays)


def tables(rp: Replay) -> tuple[Any, Any]:
    """The race x option and precinct x option tables (pyarrow Tables)."""
    return _table(race_columns(rp)), _table(precinct_columns(rp))


def to_bytes(table: Any) -> bytes:
    """A pyarrow Table as the bytes of a Parquet file (zstd)."""
    import pyarrow as pa  # start-up: only this format pays for the import
    import pyarrow.parquet as pq

    sink = pa.BufferOutputStream()
    pq.write_table(table, sink, compression="zstd")
    return bytes(sink.getvalue().to_pybytes())


def precincts_path(output: str | Path) -> Path:
    """Where the precinct table goes beside ``output``: ``ky.parquet`` gives
    ``ky.precincts.parquet``."""
    path = Path(output)
    stem = path.name.removesuffix(".parquet")
    return path.with_name(f"{stem}.precincts.parquet")
