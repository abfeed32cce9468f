"""The shape of precinct turnout and leaders' shares: skewness, kurtosis and the voter-weighted
correlation (descriptive), and Hartigan's dip test of unimodality of turnout."""

from __future__ import annotations

import numpy as np

from engine.analysis.dip import DIP_MIN_N, dip, dip_p_value
from engine.analysis.forensics.findings import (
    BOOTSTRAP,
    MIN_PRECINCTS,
    Finding,
    interval,
    resamples,
    too_few,
)
from engine.analysis.forensics.precincts import ForensicPrecincts
from engine.simulation.seeds import root_seed

__all__ = ["dip_test", "shape_moments"]


def _moments(w: np.ndarray, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Skewness and kurtosis (population, not excess) of columns of x : (n, m) under weights
    w : (b, n); returns two (b, m) arrays."""
    x = x - x.mean(axis=0)  # centred first: the raw sums below then lose no precision
    s0 = w.sum(axis=1)[:, None]
    s = [w @ x**k / s0 for k in (1, 2, 3, 4)]
    mu = s[0]
    m2 = s[1] - mu**2
    m3 = s[2] - 3 * mu * s[1] + 2 * mu**3
    m4 = s[3] - 4 * mu * s[2] + 6 * mu**2 * s[1] - 3 * mu**4
    with np.errstate(invalid="ignore", divide="ignore"):
        return m3 / m2**1.5, m4 / m2**2


def _correlation(w: np.ndarray, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Weighted Pearson correlation of x and y for each row of weights w : (b, n)."""
    s0 = w.sum(axis=1)
    mx, my = w @ x / s0, w @ y / s0
    cxy = w @ (x * y) / s0 - mx * my
    cxx, cyy = w @ (x * x) / s0 - mx**2, w @ (y * y) / s0 - my**2
    with np.errstate(invalid="ignore", divide="ignore"):
        return cxy / np.sqrt(cxx * cyy)


def shape_moments(p: ForensicPrecincts, seed: int | np.random.SeedSequence = 0, *,
                  runs: int = BOOTSTRAP) -> tuple[Finding, ...]:
    """Skewness (reference 0) and kurtosis (reference 3, a normal's) of precinct turnout and of
    the leader's share, with bootstrap 95% intervals; and the fingerprint's voter-weighted
    correlation of turnout and share (reference 0). Descriptive: no verdict."""
    names = ("turnout skewness", "leader share skewness", "turnout kurtosis",
             "leader share kurtosis", "turnout-share correlation (voters)")
    refs = (0.0, 0.0, 3.0, 3.0, 0.0)
    if p.n < 3:
        return tuple(too_few(nm, r, p.n, 3, "precincts", descriptive=True)
                     for nm, r in zip(names, refs, strict=True))
    x = np.column_stack([p.turnout, p.share])
    reg = p.registered.astype(np.float64)

    def all_of(w: np.ndarray) -> np.ndarray:
        skew, kurt = _moments(w, x)
        return np.column_stack([skew, kurt, _correlation(w * reg, x[:, 0], x[:, 1])])

    observed = all_of(np.ones((1, p.n)))[0]
    rng = np.random.default_rng(root_seed(seed))
    boot = np.concatenate([all_of(w) for w in resamples(rng, p.n, runs)])
    return tuple(Finding(nm, float(observed[i]), r, interval=interval(boot[:, i]), n=p.n,
                         descriptive=True)
                 for i, (nm, r) in enumerate(zip(names, refs, strict=True)))


def dip_test(x: np.ndarray) -> Finding:
    """Hartigan's dip test of unimodality of ``x`` (precinct turnout), against uniform samples
    of the same size (:mod:`engine.analysis.dip`); the reference is the null's median dip."""
    name = "turnout dip (unimodality)"
    n = int(np.asarray(x).size)
    if n < max(MIN_PRECINCTS, DIP_MIN_N):
        return too_few(name, np.nan, n, max(MIN_PRECINCTS, DIP_MIN_N), "precincts")
    d = dip(x)
    p_value, median = dip_p_value(d, n)
    return Finding(name, d, median, p_value=p_value, n=n,
                   note="reference: the null median dip")
