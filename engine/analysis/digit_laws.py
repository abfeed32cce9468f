"""Exact laws behind the digit tests of :mod:`engine.analysis.forensics`: the last digit of a
binomial count, and the sum of independent Bernoulli variables (the Poisson binomial law).

Each kernel is checked in ``tests/analysis/test_forensics.py`` against a slow obvious reference
(sums of the binomial pmf, the Bernoulli convolution one term at a time).
"""

from __future__ import annotations

import numpy as np
from scipy.special import ndtr  # the laws' functions, not scipy.stats (a second of start-up)

__all__ = ["EXACT_MAX", "last_digit_law", "poisson_binomial_pmf", "poisson_binomial_sf",
           "tested_last_digit_law"]

EXACT_MAX = 20_000  # the Poisson binomial tail exactly up to this many terms, normal beyond
_DIGITS = np.arange(10)
# The law of X mod 10 from the characteristic function at the angles 2 pi j / 10: j = 0 gives
# 1 / 10, j and 10 - j are conjugate (twice j = 1..4), j = 5 is its own.
_J = np.arange(1, 6)
_ANGLE = 2 * np.pi * _J / 10
_WEIGHT = np.array([2, 2, 2, 2, 1]) / 10
_COS_JD = np.cos(np.outer(_ANGLE, _DIGITS)) * _WEIGHT[:, None]
_SIN_JD = np.sin(np.outer(_ANGLE, _DIGITS)) * _WEIGHT[:, None]
# A binomial of variance >= 150 has a uniform last digit to 1e-12 (|phi| <= e^{-2 pi^2 var/100}),
# and one of mean >= 100 is >= 10 but with chance below 1e-17.
_UNIFORM_VARIANCE = 150
_NEVER_SMALL = 100
_ONE_MINUS_COS = 1 - np.cos(_ANGLE)
_ROUNDING = 1e-13  # the laws' rounding error is below this; smaller chances are 0


def last_digit_law(x: np.ndarray, n: np.ndarray) -> np.ndarray:
    """(N, 10) P(X mod 10 = d), X ~ Binomial(n, x / n), for counts x : (N,) of totals n : (N,):
    the inverse DFT of the characteristic function (1 - q + q e^{it})^n at t = 2 pi j / 10,
    exact to rounding (modulus and phase apart, so n in the millions loses nothing)."""
    q = (x / n)[:, None]
    m = n[:, None].astype(np.float64)
    with np.errstate(divide="ignore"):  # |1 - q + q e^{it}| = 0 at q = 1/2, t = pi
        modulus = np.exp(0.5 * m * np.log1p(-2 * q * (1 - q) * _ONE_MINUS_COS))
    phase = m * np.arctan2(q * np.sin(_ANGLE), 1 - q * _ONE_MINUS_COS)
    return 0.1 + (modulus * np.cos(phase)) @ _COS_JD + (modulus * np.sin(phase)) @ _SIN_JD


def _small_values_pmf(x: np.ndarray, n: np.ndarray) -> np.ndarray:
    """(N, 10) P(X = v), v = 0..9, X ~ Binomial(n, x / n), for counts x < _NEVER_SMALL."""
    q = x / n
    out = np.zeros((x.size, 10))
    with np.errstate(divide="ignore"):
        out[:, 0] = np.exp(n * np.log1p(-q))  # >= 1e-200 while x < 100: no underflow
    odds = np.where(q < 1, q / np.where(q < 1, 1 - q, 1.0), 0.0)
    for v in range(1, 10):
        out[:, v] = out[:, v - 1] * np.maximum(n - v + 1, 0) / v * odds
    whole = np.flatnonzero((q == 1) & (n < 10))  # X == n
    out[whole, n[whole]] = 1.0
    return out


def tested_last_digit_law(x: np.ndarray, n: np.ndarray) -> np.ndarray:
    """(N, 10) P(X mod 10 = d and X >= 10), X ~ Binomial(n, x / n): the last digit of a count
    redrawn around itself, when the redrawn count is big enough to be tested."""
    out = np.full((x.size, 10), 0.1)
    rough = x * (1 - x / n) < _UNIFORM_VARIANCE
    out[rough] = last_digit_law(x[rough], n[rough])
    small = x < _NEVER_SMALL
    out[small] -= _small_values_pmf(x[small], n[small])
    return np.where(out < _ROUNDING, 0.0, np.minimum(out, 1.0))  # rounding is not a chance


def poisson_binomial_pmf(q: np.ndarray) -> np.ndarray:
    """The law of a sum of independent Bernoulli(q_i): (N + 1,) pmf, from pairwise products of
    the polynomials (1 - q_i + q_i z), batched; FFT products once they are long."""
    polys = np.stack([1 - q, q], axis=1)
    while polys.shape[0] > 1:
        if polys.shape[0] % 2:
            one = np.zeros((1, polys.shape[1]))
            one[0, 0] = 1.0
            polys = np.vstack([polys, one])
        a, b = polys[0::2], polys[1::2]
        width = polys.shape[1]
        if width <= 32:
            out = np.zeros((a.shape[0], 2 * width - 1))
            for j in range(width):
                out[:, j:j + width] += a[:, j:j + 1] * b
        else:
            size = 1 << (2 * width - 2).bit_length()
            out = np.fft.irfft(np.fft.rfft(a, size, axis=1) * np.fft.rfft(b, size, axis=1),
                               size, axis=1)[:, :2 * width - 1]
            np.maximum(out, 0.0, out=out)
        polys = out
    pmf = polys[0, :q.size + 1]  # padding rows added zeros at the top
    return pmf / pmf.sum()


def poisson_binomial_sf(q: np.ndarray, k: int) -> float:
    """P(S >= k) for S a sum of independent Bernoulli(q): exact up to EXACT_MAX terms, else
    normal with a continuity correction (the sd is then large: the error is below 1e-3)."""
    q = q[q > 0]
    if q.size <= EXACT_MAX:
        return float(min(1.0, poisson_binomial_pmf(q)[k:].sum())) if q.size else float(k <= 0)
    sd = float(np.sqrt((q * (1 - q)).sum()))
    return float(ndtr(-(k - 0.5 - q.sum()) / sd)) if sd > 0 else float(k <= q.sum())
