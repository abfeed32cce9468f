"""Types of the compiled kernels (``engine/tally/_kernels.c``). Private: reached only through
``engine.tally.ballots``, ``engine.tally.sums`` and ``engine.simulation.draws``."""

from typing import TypeAlias

import numpy as np
from typing_extensions import Buffer, CapsuleType

# The C side takes any buffer ("y*" read, "w*" written); numpy's stubs give ndarray its
# __buffer__ only from Python 3.12, so arrays are named as well.
_In: TypeAlias = Buffer | np.ndarray
_Out: TypeAlias = Buffer | np.ndarray

def count(codes: _In, offsets: _In, n_codes: int, out: _Out, /) -> tuple[int, int] | None:
    """Count uint8 codes per race into out (R * n_codes int64); None, or the first (race, code)
    whose code is >= n_codes."""

def group_sum(values: _In, group: _In, lo: int, hi: int, n_cols: int, out: _Out, /) -> int:
    """Sum the int64 rows whose group is in [lo, hi) into out ((hi - lo) * n_cols int64);
    returns the number of rows summed."""

def binomial(capsule: CapsuleType, n: _In, p: _In, out: _Out, /) -> None:
    """out[i] = Binomial(n[i], p[i]) (n, out: M int64; p: M float64), drawn from the numpy
    BitGenerator whose capsule is given."""

def multinomial(capsule: CapsuleType, n: _In, weights: _In, out: _Out, /) -> None:
    """Multinomial(n[i], weights[i] / sum) rows (n: M int64; weights: M * C float64;
    out: M * C int64), drawn from the numpy BitGenerator whose capsule is given."""
