"""A forensic test's result (:class:`Finding`), its verdict, and the helpers every family of tests
shares: too few data, bootstrap intervals, draws cut into blocks of bounded memory."""

from __future__ import annotations

from collections.abc import Iterator

import attrs
import numpy as np

__all__ = ["ALPHA", "BOOTSTRAP", "CHUNK_CELLS", "MIN_COUNTS", "MIN_PRECINCTS", "Finding",
           "cannot_run", "interval", "judged", "resamples", "runs_in_chunks", "too_few"]

ALPHA = 0.05

MIN_PRECINCTS = 10  # fewer precincts: no verdict on a precinct-level test

MIN_COUNTS = 30     # fewer counts >= 10: no verdict on a digit test

BOOTSTRAP = 200        # resamples of precincts (moments, correlation, anomalous votes)
CHUNK_CELLS = 1 << 21  # cells per block of null draws or bootstrap weights (16 MB of int64)


@attrs.frozen
class Finding:
    """One test: ``statistic`` against ``reference``, with a p-value or a 95% interval.

    flagged : p < alpha, or (no p-value) the reference lies outside the interval; None when
        there is no verdict: too few data, or a descriptive figure
    n : what the test counted (precincts or counts); too few gives nan and no verdict
    descriptive : a figure that says nothing about fraud on its own (skewness, kurtosis,
        correlation, the second digit): never a verdict
    cannot : the data lack what the test needs (the note says what): it did not run
    """

    name: str
    statistic: float
    reference: float
    p_value: float | None = None
    interval: tuple[float, float] | None = None
    n: int = 0
    flagged: bool | None = None
    note: str = ""
    descriptive: bool = False
    cannot: bool = False

    @property
    def verdict(self) -> str:
        """The outcome in a word: FLAGGED, ``-`` (not flagged), descriptive, cannot run (the
        data lack what it needs), or no verdict (too few data, or the statistic undefined)."""
        if self.cannot:
            return "cannot run"
        if not np.isfinite(self.statistic):
            return "no verdict"
        if self.descriptive:
            return "descriptive"
        return {True: "FLAGGED", False: "-", None: "no verdict"}[self.flagged]


def judged(f: Finding, alpha: float) -> Finding:
    """``f`` with its verdict: none when the statistic is undefined (too few data) or the
    figure descriptive."""
    if f.descriptive or not np.isfinite(f.statistic):
        return f
    if f.p_value is not None:
        flagged = bool(f.p_value < alpha)
    else:
        assert f.interval is not None  # a test gives a p-value or an interval
        lo, hi = f.interval
        flagged = bool(not lo <= f.reference <= hi)
    return attrs.evolve(f, flagged=flagged)


def cannot_run(name: str, reference: float, why: str, descriptive: bool = False) -> Finding:
    """A test the data cannot feed: no statistic, and one line saying why."""
    return Finding(name, np.nan, reference, note=f"cannot run: {why}", descriptive=descriptive,
                   cannot=True)


def too_few(name: str, reference: float, n: int, needed: int, what: str,
             descriptive: bool = False) -> Finding:
    return Finding(name, np.nan, reference, n=n, note=f"needs {needed} {what}, got {n}",
                   descriptive=descriptive)


def interval(values: np.ndarray) -> tuple[float, float]:
    """The 95% percentile interval of bootstrap values (those that are defined)."""
    values = values[np.isfinite(values)]
    if values.size == 0:
        return np.nan, np.nan
    lo, hi = np.quantile(values, [0.025, 0.975])
    return float(lo), float(hi)


def runs_in_chunks(runs: int, width: int) -> Iterator[int]:
    """Runs per block so that a block of ``width`` cells per run holds about CHUNK_CELLS."""
    chunk = max(1, min(runs, CHUNK_CELLS // max(width, 1)))
    for start in range(0, runs, chunk):
        yield min(chunk, runs - start)


# -- shape: moments and the dip ---------------------------------------------------------------
def resamples(rng: np.random.Generator, n: int, runs: int) -> Iterator[np.ndarray]:
    """Bootstrap resamples of n precincts as blocks of weights (b, n): how often each precinct
    was drawn, n draws with replacement per resample."""
    for b in runs_in_chunks(runs, n):
        drawn = rng.integers(0, n, (b, n)) + n * np.arange(b)[:, None]
        yield np.bincount(drawn.ravel(), minlength=b * n).reshape(b, n).astype(np.float64)
