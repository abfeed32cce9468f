"""Digits of candidates' counts: the last digit's mean and the counts ending in 0 or 5 against
their exact laws under clean counting, and the second digit beside Benford (descriptive).

Why the nulls come from the data: counts >= 10 are not uniform in their last digit when counts
thin out upwards (10-14 outnumber 15-19), so a fixed 4.5 or 0.2 flags every large clean
election. Redrawing every count around itself, then keeping the redrawn counts >= 10 as the
observed ones were kept, reproduces that lean (measured: 4.435 expected, 4.433 observed, on a
clean election of 100,000 precincts whose fixed-reference test gave p = 1e-57).
"""

from __future__ import annotations

import numpy as np
from scipy.special import ndtr  # the laws' functions, not scipy.stats (a second of start-up)

from engine.analysis.digit_laws import poisson_binomial_sf, tested_last_digit_law
from engine.analysis.forensics.findings import (
    CHUNK_CELLS,
    MIN_COUNTS,
    Finding,
    interval,
    too_few,
)
from engine.analysis.forensics.precincts import ForensicPrecincts
from engine.simulation.seeds import root_seed

__all__ = ["BENFORD_SECOND_DIGIT_MEAN", "DIGIT_BOOTSTRAP", "digit_tests", "second_digit"]

DIGIT_BOOTSTRAP = 2000  # resamples of digits (cheap: a multinomial over ten digits)

_d = np.arange(10)

# P(second digit = d) = sum_k log10(1 + 1 / (10 k + d)), k = 1..9 (Benford's law, 2nd digit)
_BENFORD_2 = np.log10(1 + 1 / (10 * np.arange(1, 10)[:, None] + _d)).sum(axis=0)

BENFORD_SECOND_DIGIT_MEAN = float(_BENFORD_2 @ _d)  # 4.1874


# -- digits -----------------------------------------------------------------------------------
_POWERS = 10 ** np.arange(19, dtype=np.int64)


def _second_digit(x: np.ndarray) -> np.ndarray:
    """Second digit of counts x >= 10."""
    digits = np.searchsorted(_POWERS, x, side="right")
    return (x // _POWERS[digits - 2]) % 10


def digit_tests(p: ForensicPrecincts) -> tuple[Finding, Finding]:
    """The last digits of candidates' vote counts >= 10: their mean, and their share ending in
    0 or 5, against the null in which every count x out of its precinct's n valid votes is
    redrawn X ~ Binomial(n, x / n) and tested when X >= 10, as the observed counts are.

    Redrawing every count, small ones included, then keeping X >= 10 reproduces what the
    cut at 10 does to clean counts (when counts thin out upwards, low last digits are more
    frequent); the laws are exact (:mod:`engine.analysis.digit_laws`).

    last digit mean: the reference is the null's expectation, the p-value two-sided, from a
        z-test of the sum of digits - 4.5 (a sum of independent bounded terms);
    counts ending in 0 or 5: the reference is the null's expected share, the p-value
        P(null >= observed), of the exact law of a sum of independent Bernoulli variables.
    """
    names = ("last digit mean", "counts ending in 0 or 5")
    x, n = p.candidate_votes, p.candidate_valid
    tested = x >= 10
    k = int(tested.sum())
    if k < MIN_COUNTS:
        return (too_few(names[0], np.nan, k, MIN_COUNTS, "counts >= 10"),
                too_few(names[1], np.nan, k, MIN_COUNTS, "counts >= 10"))
    x, n, tested = x[x > 0], n[x > 0], tested[x > 0]  # a count of 0 is redrawn as 0: untested
    centred = _d - 4.5
    e, v, h = np.empty(x.size), np.empty(x.size), np.empty(x.size)
    step = CHUNK_CELLS // 10
    for start in range(0, x.size, step):
        part = slice(start, start + step)
        law = tested_last_digit_law(x[part], n[part])
        e[part] = law @ centred
        v[part] = law @ centred**2 - e[part] ** 2
        h[part] = law[:, 0] + law[:, 5]
    last = x[tested] % 10
    expected, sd = float(e.sum()), float(np.sqrt(v.sum()))
    excess = float(centred[last].sum()) - expected
    p_mean = float(2 * ndtr(-abs(excess) / sd)) if sd > 0 else 1.0
    hits = int((last % 5 == 0).sum())
    return (
        Finding(names[0], 4.5 + float(centred[last].mean()), 4.5 + expected / k,
                p_value=min(p_mean, 1.0), n=k,
                note=f"null sd {sd / k:.4f}; 4.5 if last digits were uniform"),
        Finding(names[1], hits / k, float(h.sum()) / k, p_value=poisson_binomial_sf(h, hits),
                n=k, note=f"{hits:,} observed, null {h.sum():,.1f} ± "
                          f"{np.sqrt((h * (1 - h)).sum()):,.1f} (sd); 0.2 if uniform"),
    )


def second_digit(p: ForensicPrecincts, seed: int | np.random.SeedSequence = 0) -> Finding:
    """The mean second digit of candidates' counts >= 10 beside Benford's (4.187), with a
    bootstrap 95% interval. Descriptive: vote counts need not follow Benford's law (clean
    simulated precincts depart from it about 30% of the time at 1,000 precincts)."""
    name = "second digit mean"
    counts = p.candidate_votes[p.candidate_votes >= 10]
    n = counts.size
    if n < MIN_COUNTS:
        return too_few(name, BENFORD_SECOND_DIGIT_MEAN, n, MIN_COUNTS, "counts >= 10",
                        descriptive=True)
    freq = np.bincount(_second_digit(counts), minlength=10)
    # The bootstrap of a mean of digits is a multinomial over the ten digits' frequencies.
    boot = np.random.default_rng(root_seed(seed)).multinomial(
        n, freq / n, size=DIGIT_BOOTSTRAP) @ _d / n
    return Finding(name, float(freq @ _d / n), BENFORD_SECOND_DIGIT_MEAN,
                   interval=interval(boot), n=n, descriptive=True,
                   note="descriptive: vote counts need not follow Benford's law")
