"""Percentages written to order (Kobak, Shpilkin, Pshenichnikov 2016): turnouts and leaders' shares
at whole percentages, and whole percentages ending in 0 or 5, against a binomial Monte-Carlo null
built from the data."""

from __future__ import annotations

import numpy as np

from engine.analysis.forensics.findings import MIN_PRECINCTS, Finding, runs_in_chunks, too_few
from engine.analysis.forensics.precincts import ForensicPrecincts
from engine.simulation.draws import binomial
from engine.simulation.seeds import root_seed

__all__ = ["NULL_RUNS", "percentage_tests"]

# Monte-Carlo elections of the percentage null: 2 x 100 binomial draws per precinct (about 1 s
# for 100,000 precincts); p-values resolve to 1/101, enough for a 5% verdict.
NULL_RUNS = 100



# -- percentages ------------------------------------------------------------------------------
def _near_integer(x: np.ndarray, n: np.ndarray) -> np.ndarray:
    """100 x / n within 0.05 of a whole number, exactly: |2000 x - 20 k n| <= n for some k."""
    r = (2000 * x) % (20 * n)
    return (r <= n) | (r >= 19 * n)


def _whole_percent(x: np.ndarray, n: np.ndarray) -> np.ndarray:
    """100 x / n rounded to a whole number, halves up, exactly in integers."""
    return (200 * x + n) // (2 * n)


def _percent_counts(p: ForensicPrecincts, qualifies: np.ndarray, cast: np.ndarray,
                    leader: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per row of ``cast`` and ``leader`` (b, P): qualifying precincts near a whole percentage,
    and whole percentages (turnout and share) ending in 0 or 5."""
    near = (_near_integer(cast, p.registered) | _near_integer(leader, p.valid)) & qualifies
    round_5 = ((_whole_percent(cast, p.registered) % 5 == 0).astype(np.int64)
               + (_whole_percent(leader, p.valid) % 5 == 0))
    return near.sum(axis=-1), round_5.sum(axis=-1)


def percentage_tests(p: ForensicPrecincts, seed: int | np.random.SeedSequence = 0, *,
                     runs: int = NULL_RUNS) -> tuple[Finding, Finding]:
    """Integer percentages, and whole percentages ending in 0 or 5, against one Monte-Carlo
    null: ``runs`` times, every precinct's turnout redrawn ~ Binomial(registered, observed
    turnout) / registered and its leader's share ~ Binomial(valid, observed share) / valid.

    integer percentages: precincts with >= 100 registered voters, turnout and leader's share
        <= 99%, whose turnout or share is within 0.05 points of a whole percentage; the
        statistic is the excess (observed - null mean), the reference 0;
    percentages ending in 0 or 5: turnout and leader's share of every precinct rounded half up;
        the statistic is their share ending in 0 or 5, the reference the null's mean share.
    Both p-values are P(null >= observed), with the +1 rule.
    """
    names = ("integer percentages", "percentages ending in 0 or 5")
    qualifies = (p.registered >= 100) & (100 * p.cast <= 99 * p.registered) & (
        100 * p.leader <= 99 * p.valid)
    q = int(qualifies.sum())
    if p.n < MIN_PRECINCTS:
        return (too_few(names[0], 0.0, q, MIN_PRECINCTS, "qualifying precincts"),
                too_few(names[1], np.nan, p.n, MIN_PRECINCTS, "precincts"))
    near, round_5 = (int(v) for v in _percent_counts(p, qualifies, p.cast, p.leader))
    rng = np.random.default_rng(root_seed(seed))
    null_near, null_5 = [], []
    for m in runs_in_chunks(runs, p.n):
        x = binomial(rng, np.broadcast_to(p.registered, (m, p.n)),
                             np.broadcast_to(p.turnout, (m, p.n)))
        y = binomial(rng, np.broadcast_to(p.valid, (m, p.n)),
                             np.broadcast_to(p.share, (m, p.n)))
        a, b = _percent_counts(p, qualifies, x, y)
        null_near.append(a)
        null_5.append(b)
    (near_mean, near_sd, near_p), (r5_mean, r5_sd, r5_p) = (
        _against(observed, np.concatenate(null), runs)
        for observed, null in ((near, null_near), (round_5, null_5)))
    integer = (too_few(names[0], 0.0, q, MIN_PRECINCTS, "qualifying precincts")
               if q < MIN_PRECINCTS else
               Finding(names[0], near - near_mean, 0.0, p_value=near_p, n=q,
                       note=f"{near:,} observed, null {near_mean:,.1f} ± {near_sd:,.1f} (sd)"))
    n5 = 2 * p.n
    return integer, Finding(
        names[1], round_5 / n5, r5_mean / n5, p_value=r5_p, n=n5,
        note=f"{round_5:,} observed, null {r5_mean:,.1f} ± {r5_sd:,.1f} (sd); 0.2 if uniform")


def _against(observed: int, null: np.ndarray, runs: int) -> tuple[float, float, float]:
    """The null's mean and sd, and P(null >= observed) with the +1 rule."""
    sd = float(null.std(ddof=1)) if runs > 1 else 0.0
    return float(null.mean()), sd, (1 + int((null >= observed).sum())) / (runs + 1)
