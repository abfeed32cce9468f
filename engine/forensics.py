"""Election forensics on precinct counts: tests that observers and researchers run on published
results, vectorised over precincts.

Each test gives a :class:`Finding`: its statistic, the value a clean election is expected to give
(the reference), and a p-value or a 95% interval. None proves fraud and none proves its absence:
each measures one departure from what independent, honest counting tends to produce (README,
"Forensics and audits"). One-sided p-values look in the direction fraud would push.

- fingerprint: turnout against the leader's share, a 2D histogram weighted by registered voters
  (Klimek et al. 2012), summarised by the voter-weighted correlation of the two;
- integer percentages: precincts whose turnout or leader's share sits within 0.05 points of a
  whole percentage, against a binomial Monte-Carlo null (Kobak, Shpilkin, Pshenichnikov 2016);
- digits: the mean second digit of counts >= 10 against Benford's (4.187), the mean last digit
  against 4.5, the share of whole percentages and of counts ending in 0 or 5 against 0.2;
- shape: skewness and kurtosis (population formulas, kurtosis not excess) of turnout and the
  leader's share, and Hartigan's dip test of unimodality of turnout;
- turnout and the leader: the within-race slope of the leader's share on turnout (Sobyanin and
  Sukhovolsky) and the turnout-binned estimate of anomalous votes.

The leader of a precinct is its race's winner (else the candidate with most votes in the race);
shares are of valid votes, turnout of registered voters. Random draws come from children of
``SeedSequence(seed)``, one per test, so a seed fixes every number.
"""

from __future__ import annotations

import attrs
import numpy as np
from scipy import sparse, stats

from engine import _draws
from engine.tally import (
    UNKNOWN,
    PrecinctTable,
    RaceResults,
    race_results,
    race_totals,
)

__all__ = [
    "BENFORD_SECOND_DIGIT_MEAN",
    "Finding",
    "Fingerprint",
    "Forensics",
    "Precincts",
    "anomalous_votes",
    "digit_tests",
    "dip",
    "dip_test",
    "examine",
    "fingerprint",
    "integer_percentages",
    "precincts_of",
    "shape_moments",
    "simulated_election",
    "sobyanin_sukhovolsky",
]

ALPHA = 0.05
# Monte-Carlo elections of the integer-percentage null: 2 x 100 binomial draws per precinct
# (about 1 s for 100,000 precincts); p-values resolve to 1/101, enough for a 5% verdict.
NULL_RUNS = 100
BOOTSTRAP = 200        # resamples of precincts (moments, correlation, anomalous votes)
DIGIT_BOOTSTRAP = 2000  # resamples of digits (cheap: a multinomial over ten digits)
FINGERPRINT_BINS = 100  # 1-point bins on both axes

_d = np.arange(10)
# P(second digit = d) = sum_k log10(1 + 1 / (10 k + d)), k = 1..9 (Benford's law, 2nd digit)
_BENFORD_2 = np.log10(1 + 1 / (10 * np.arange(1, 10)[:, None] + _d)).sum(axis=0)
BENFORD_SECOND_DIGIT_MEAN = float(_BENFORD_2 @ _d)  # 4.1874


@attrs.frozen(eq=False)
class Precincts:
    """The precincts forensics reads: every count known, voters and valid votes > 0.

    race : (P,) int64; registered, cast, valid, leader (votes of the race's leader) : (P,) int64
    candidate_votes : (N,) int64, every candidate's votes in every precinct (digit tests)
    left_out : rows of the table left out for an unknown or impossible count
    """

    race: np.ndarray
    registered: np.ndarray
    cast: np.ndarray
    valid: np.ndarray
    leader: np.ndarray
    candidate_votes: np.ndarray
    left_out: int = 0

    @property
    def n(self) -> int:
        return int(self.race.shape[0])

    @property
    def turnout(self) -> np.ndarray:
        return self.cast / self.registered

    @property
    def share(self) -> np.ndarray:
        return self.leader / self.valid


def precincts_of(table: PrecinctTable, results: RaceResults) -> Precincts:
    """The usable precincts of a tallied election (a replay's or a simulated one's)."""
    c = table.counts
    registered, cast, invalid, against = (c[:, i] for i in range(4))
    votes = c[:, 4:]
    k = votes.shape[1]
    on_ballot = np.arange(k) < results.totals.n_candidates[table.race][:, None]
    votes = np.where(on_ballot, votes, 0)
    parts = votes.sum(axis=1) + np.maximum(against, 0)
    valid = np.where((cast >= 0) & (invalid >= 0), cast - invalid, parts)
    race_votes = np.where(np.arange(k) < results.totals.n_candidates[:, None],
                          results.totals.votes, -2)
    top = np.argmax(race_votes, axis=1) if k else np.zeros(table.n_races, np.int64)
    lead = np.where(results.winner >= 0, results.winner, top)
    leader = votes[np.arange(votes.shape[0]), lead[table.race]] if k else np.zeros_like(cast)
    ok = ((registered > 0) & (cast >= 0) & (cast <= registered) & (valid > 0)
          & (valid <= cast) & (parts <= valid) & (votes >= 0).all(axis=1)
          & ((against >= 0) | (against == UNKNOWN)))
    return Precincts(race=table.race[ok].astype(np.int64), registered=registered[ok],
                     cast=cast[ok], valid=valid[ok], leader=leader[ok],
                     candidate_votes=votes[ok][on_ballot[ok]], left_out=int((~ok).sum()))


def simulated_election(model: object, rules: object, seed: int) -> tuple[PrecinctTable,
                                                                          RaceResults]:
    """One election drawn from ``model``: run 0 of ``saylau simulate --seed seed``, precinct
    by precinct (irregularities included), tallied and decided by ``rules``."""
    from engine.simulate import draw_block

    d = draw_block(model, seed, 0, 1)
    k = model.k
    counts = np.empty((model.n_precincts, 4 + k), np.int64)
    counts[:, 0] = model.registered
    counts[:, 1] = d.cast[0]
    counts[:, 2] = d.invalid[0]
    counts[:, 3] = d.votes[0, :, k]
    counts[:, 4:] = d.votes[0, :, :k]
    table = PrecinctTable(race=model.race, counts=counts, n_races=model.n_races)
    totals = race_totals(table, model.n_candidates, against_all_line=rules.against_all)
    return table, race_results(totals, rules)


@attrs.frozen
class Finding:
    """One test: ``statistic`` against ``reference``, with a p-value or a 95% interval.

    flagged : the reference lies outside the interval, or p < alpha; None for descriptive
        figures that say nothing about fraud on their own (skewness, kurtosis, correlation)
    n : what the test counted (precincts or counts); too few gives nan and no verdict
    """

    name: str
    statistic: float
    reference: float
    p_value: float | None = None
    interval: tuple[float, float] | None = None
    n: int = 0
    flagged: bool | None = None
    note: str = ""


def _verdict(f: Finding, alpha: float, descriptive: bool = False) -> Finding:
    if descriptive or not np.isfinite(f.statistic):
        return f
    if f.p_value is not None:
        flagged = bool(f.p_value < alpha)
    else:
        lo, hi = f.interval
        flagged = bool(not lo <= f.reference <= hi)
    return attrs.evolve(f, flagged=flagged)


def _interval(values: np.ndarray) -> tuple[float, float]:
    """The 95% percentile interval of bootstrap values (those that are defined)."""
    values = values[np.isfinite(values)]
    if values.size == 0:
        return np.nan, np.nan
    lo, hi = np.quantile(values, [0.025, 0.975])
    return float(lo), float(hi)


# -- fingerprint ------------------------------------------------------------------------------
@attrs.frozen(eq=False)
class Fingerprint:
    """voters : (bins, bins) int64, registered voters of the precincts in each cell; rows are
    turnout bins, columns leader-share bins, both [i / bins, (i + 1) / bins), 100% in the last."""

    voters: np.ndarray

    @property
    def bins(self) -> int:
        return self.voters.shape[0]


def fingerprint(p: Precincts, bins: int = FINGERPRINT_BINS) -> Fingerprint:
    """The turnout x leader-share histogram of precincts, weighted by registered voters."""
    t = np.minimum(bins * p.cast // p.registered, bins - 1)
    s = np.minimum(bins * p.leader // p.valid, bins - 1)
    cells = np.bincount(t * bins + s, weights=p.registered, minlength=bins * bins)
    return Fingerprint(voters=cells.round().astype(np.int64).reshape(bins, bins))


# -- integer percentages ----------------------------------------------------------------------
def _near_integer(x: np.ndarray, n: np.ndarray) -> np.ndarray:
    """100 x / n within 0.05 of a whole number, exactly: |2000 x - 20 k n| <= n for some k."""
    r = (2000 * x) % (20 * n)
    return (r <= n) | (r >= 19 * n)


def integer_percentages(p: Precincts, seed: int | np.random.SeedSequence = 0, *,
                        runs: int = NULL_RUNS) -> Finding:
    """Precincts whose turnout or leader's share is within 0.05 points of a whole percentage.

    Among precincts with >= 100 registered voters, turnout and leader's share <= 99%; the null
    redraws turnout ~ Binomial(registered, observed turnout) / registered and the share ~
    Binomial(valid, observed share) / valid, ``runs`` times. The statistic is the excess
    (observed - null mean), the reference 0, the p-value P(null >= observed) with the +1 rule.
    """
    ok = (p.registered >= 100) & (100 * p.cast <= 99 * p.registered) & (
        100 * p.leader <= 99 * p.valid)
    reg, cast, valid, lead = p.registered[ok], p.cast[ok], p.valid[ok], p.leader[ok]
    observed = int((_near_integer(cast, reg) | _near_integer(lead, valid)).sum())
    if reg.size == 0:
        return Finding("integer percentages", np.nan, 0.0, note="no precinct qualifies")
    t, s = cast / reg, lead / valid
    chunk = max(1, min(runs, (1 << 21) // reg.size))
    blocks = [(start, min(runs, start + chunk)) for start in range(0, runs, chunk)]
    seeds = _seq(seed).spawn(len(blocks))

    def null(i: int) -> np.ndarray:
        rng = np.random.default_rng(seeds[i])
        m = blocks[i][1] - blocks[i][0]
        x = _draws._binomial(rng, np.broadcast_to(reg, (m, reg.size)),
                             np.broadcast_to(t, (m, reg.size)))
        y = _draws._binomial(rng, np.broadcast_to(valid, (m, reg.size)),
                             np.broadcast_to(s, (m, reg.size)))
        return (_near_integer(x, reg) | _near_integer(y, valid)).sum(axis=1)

    counts = np.concatenate([null(i) for i in range(len(blocks))])
    mean, sd = float(counts.mean()), float(counts.std(ddof=1)) if runs > 1 else 0.0
    p_value = (1 + int((counts >= observed).sum())) / (runs + 1)
    return Finding("integer percentages", observed - mean, 0.0, p_value=p_value,
                   n=int(reg.size),
                   note=f"{observed:,} observed, null {mean:.1f} ± {sd:.1f} (sd)")


def _seq(seed: int | np.random.SeedSequence) -> np.random.SeedSequence:
    return seed if isinstance(seed, np.random.SeedSequence) else np.random.SeedSequence(seed)


# -- digits -----------------------------------------------------------------------------------
_POWERS = 10 ** np.arange(19, dtype=np.int64)


def _second_digit(x: np.ndarray) -> np.ndarray:
    """Second digit of counts x >= 10."""
    digits = np.searchsorted(_POWERS, x, side="right")
    return (x // _POWERS[digits - 2]) % 10


def _mean_digit(name: str, digits: np.ndarray, reference: float,
                rng: np.random.Generator) -> Finding:
    n = digits.size
    if n == 0:
        return Finding(name, np.nan, reference, note="no count >= 10")
    freq = np.bincount(digits, minlength=10)
    # The bootstrap of a mean of digits is a multinomial over the ten digits' frequencies.
    boot = rng.multinomial(n, freq / n, size=DIGIT_BOOTSTRAP) @ _d / n
    return Finding(name, float(freq @ _d / n), reference, interval=_interval(boot), n=n)


def _share_0_5(name: str, hits: int, n: int) -> Finding:
    if n == 0:
        return Finding(name, np.nan, 0.2, note="nothing to count")
    # The bootstrap of a proportion is Binomial(n, observed) / n: its quantiles, exactly.
    lo, hi = stats.binom.ppf([0.025, 0.975], n, hits / n) / n
    return Finding(name, hits / n, 0.2, interval=(float(lo), float(hi)), n=n)


def _whole_percent(x: np.ndarray, n: np.ndarray) -> np.ndarray:
    """100 x / n rounded to a whole number, halves up, exactly in integers."""
    return (200 * x + n) // (2 * n)


def digit_tests(p: Precincts, seed: int | np.random.SeedSequence = 0) -> tuple[Finding, ...]:
    """Second and last digits of candidates' vote counts >= 10; whole percentages (turnout and
    the leader's share, rounded half up) and counts >= 10 ending in 0 or 5."""
    rng = np.random.default_rng(_seq(seed))
    counts = p.candidate_votes[p.candidate_votes >= 10]
    last = counts % 10
    pct = np.concatenate([_whole_percent(p.cast, p.registered),
                          _whole_percent(p.leader, p.valid)])
    return (
        _mean_digit("second digit mean", _second_digit(counts), BENFORD_SECOND_DIGIT_MEAN, rng),
        _mean_digit("last digit mean", last, 4.5, rng),
        _share_0_5("percentages ending in 0 or 5", int((pct % 5 == 0).sum()), pct.size),
        _share_0_5("counts ending in 0 or 5", int((last % 5 == 0).sum()), last.size),
    )


# -- shape: moments and the dip ---------------------------------------------------------------
def _resamples(rng: np.random.Generator, n: int, runs: int):
    """Bootstrap resamples of n precincts as blocks of weights (b, n): how often each precinct
    was drawn, n draws with replacement per resample."""
    chunk = max(1, min(runs, (1 << 21) // max(n, 1)))
    for start in range(0, runs, chunk):
        b = min(chunk, runs - start)
        drawn = rng.integers(0, n, (b, n)) + n * np.arange(b)[:, None]
        yield np.bincount(drawn.ravel(), minlength=b * n).reshape(b, n).astype(np.float64)


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


def shape_moments(p: Precincts, seed: int | np.random.SeedSequence = 0, *,
                  runs: int = BOOTSTRAP) -> tuple[Finding, ...]:
    """Skewness (reference 0) and kurtosis (reference 3, a normal's) of precinct turnout and of
    the leader's share, with bootstrap 95% intervals; and the fingerprint's voter-weighted
    correlation of turnout and share (reference 0). Descriptive: no verdict."""
    names = ("turnout skewness", "leader share skewness", "turnout kurtosis",
             "leader share kurtosis", "turnout-share correlation (voters)")
    refs = (0.0, 0.0, 3.0, 3.0, 0.0)
    if p.n < 3:
        return tuple(Finding(nm, np.nan, r, n=p.n, note="too few precincts")
                     for nm, r in zip(names, refs, strict=True))
    x = np.column_stack([p.turnout, p.share])
    reg = p.registered.astype(np.float64)

    def all_of(w: np.ndarray) -> np.ndarray:
        skew, kurt = _moments(w, x)
        return np.column_stack([skew, kurt, _correlation(w * reg, x[:, 0], x[:, 1])])

    observed = all_of(np.ones((1, p.n)))[0]
    rng = np.random.default_rng(_seq(seed))
    boot = np.concatenate([all_of(w) for w in _resamples(rng, p.n, runs)])
    return tuple(Finding(nm, float(observed[i]), r, interval=_interval(boot[:, i]), n=p.n)
                 for i, (nm, r) in enumerate(zip(names, refs, strict=True)))


def dip(x: np.ndarray) -> float:
    """Hartigan's dip statistic of the sample ``x``: the largest distance between its empirical
    distribution and the nearest unimodal one (Hartigan and Hartigan 1985; the computation is
    algorithm AS 217, P. M. Hartigan 1985, with Maechler's two fixes).

    The greatest convex minorant and least concave majorant are walked on their change points;
    the hull pointers are one sequential scan each (amortised O(n)), the gaps between hull
    and data are numpy over the points.
    """
    x = np.sort(np.asarray(x, dtype=np.float64))
    n = x.size
    if n < 2 or x[0] == x[-1]:
        return 1.0 / (2 * max(n, 1))
    xs = [0.0, *x.tolist()]  # 1-based, as in the published algorithm
    xa = np.asarray(xs)
    # mn[j]: the point before j on the convex minorant of points 1..j; mj[k]: the point after
    # k on the concave majorant of points k..n.
    mn = [0] * (n + 1)
    mn[1] = 1
    for j in range(2, n + 1):
        m = j - 1
        while m != 1 and not (xs[j] - xs[m]) * (m - mn[m]) < (xs[m] - xs[mn[m]]) * (j - m):
            m = mn[m]
        mn[j] = m
    mj = [0] * (n + 1)
    mj[n] = n
    for k in range(n - 1, 0, -1):
        m = k + 1
        while m != n and not (xs[k] - xs[m]) * (m - mj[m]) < (xs[m] - xs[mj[m]]) * (k - m):
            m = mj[m]
        mj[k] = m
    low, high, best = 1, n, 1.0  # best: the dip so far, in units of 1 / (2n)
    while True:
        gcm = [0, high]
        while gcm[-1] > low:
            gcm.append(mn[gcm[-1]])
        lcm = [0, low]
        while lcm[-1] < high:
            lcm.append(mj[lcm[-1]])
        l_gcm, l_lcm = len(gcm) - 1, len(lcm) - 1
        ig, ih, ix, iv, d = l_gcm, l_lcm, l_gcm - 1, 2, 0.0
        if l_gcm != 2 or l_lcm != 2:
            # The largest distance between the minorant and the majorant from low to high.
            while True:
                g, v = gcm[ix], lcm[iv]
                if g > v:
                    g1 = gcm[ix + 1]
                    dx = (v - g1 + 1) - (xs[v] - xs[g1]) * (g - g1) / (xs[g] - xs[g1])
                    iv += 1
                    if dx >= d:
                        d, ig, ih = dx, ix + 1, iv - 1
                else:
                    v1 = lcm[iv - 1]
                    dx = (xs[g] - xs[v1]) * (v - v1) / (xs[v] - xs[v1]) - (g - v1 - 1)
                    ix -= 1
                    if dx >= d:
                        d, ig, ih = dx, ix + 1, iv
                ix, iv = max(ix, 1), min(iv, l_lcm)
                if gcm[ix] == lcm[iv]:
                    break
        else:
            d = 1.0
        if d < best:
            break
        best = max(best, _hull_gap(xa, np.array(gcm[ig:l_gcm + 1][::-1]), lower=True),
                   _hull_gap(xa, np.array(lcm[ih:l_lcm + 1]), lower=False))
        if low == gcm[ig] and high == lcm[ih]:
            break
        low, high = gcm[ig], lcm[ih]
    return best / (2 * n)


def _hull_gap(x: np.ndarray, knots: np.ndarray, *, lower: bool) -> float:
    """The largest gap, in points, between the data and a hull through ``knots`` (ascending
    1-based indices): below the points for the minorant, above them for the majorant."""
    jb, je = knots[:-1], knots[1:]
    width = je - jb
    ok = (width > 1) & (x[je] != x[jb])
    if not ok.any():
        return 1.0
    jb, je, width = jb[ok], je[ok], width[ok]
    seg = np.repeat(np.arange(jb.size), width + 1)
    start = np.cumsum(width + 1) - (width + 1)
    r = jb[seg] + np.arange(seg.size) - start[seg]
    rise = (x[r] - x[jb[seg]]) * (width / (x[je] - x[jb]))[seg]
    gap = (r - jb[seg] + 1) - rise if lower else rise - (r - jb[seg] - 1)
    return max(1.0, float(gap.max()))


# Null quantiles of sqrt(n) * dip for uniform samples (the least favourable unimodal law, so
# p-values are conservative for any other), at probabilities _DIP_PROBS and sizes _DIP_N:
# 40,000 samples of each size from default_rng([8, n]), the statistic of :func:`dip` (equal to
# R diptest's on 6,000 checked samples); the first column is the smallest dip possible.
_DIP_PROBS = np.array([0, .05, .1, .15, .2, .25, .3, .35, .4, .45, .5, .55, .6, .65, .7, .75,
                       .8, .85, .9, .95, .975, .99, .995, .999])
_DIP_N = np.array([10, 15, 20, 30, 50, 100, 200, 500, 1000, 2000, 5000, 20000])
_DIP_TABLE = np.array([
    [0.1581, 0.2277, 0.2471, 0.2599, 0.2703, 0.2785, 0.2859, 0.2922, 0.2984, 0.3043, 0.3096,
     0.3146, 0.3240, 0.3362, 0.3489, 0.3622, 0.3766, 0.3931, 0.4132, 0.4417, 0.4682, 0.5053,
     0.5287, 0.5688],
    [0.1291, 0.2361, 0.2485, 0.2567, 0.2671, 0.2783, 0.2881, 0.2974, 0.3065, 0.3152, 0.3236,
     0.3324, 0.3414, 0.3507, 0.3605, 0.3717, 0.3857, 0.4034, 0.4247, 0.4594, 0.4897, 0.5274,
     0.5538, 0.5956],
    [0.1118, 0.2356, 0.2534, 0.2669, 0.2778, 0.2869, 0.2954, 0.3035, 0.3116, 0.3200, 0.3286,
     0.3379, 0.3475, 0.3578, 0.3688, 0.3807, 0.3952, 0.4127, 0.4357, 0.4711, 0.5028, 0.5411,
     0.5655, 0.6207],
    [0.0913, 0.2436, 0.2593, 0.2715, 0.2826, 0.2922, 0.3011, 0.3100, 0.3189, 0.3275, 0.3363,
     0.3454, 0.3554, 0.3663, 0.3779, 0.3901, 0.4055, 0.4235, 0.4476, 0.4841, 0.5169, 0.5553,
     0.5817, 0.6347],
    [0.0707, 0.2490, 0.2665, 0.2795, 0.2905, 0.3002, 0.3094, 0.3185, 0.3270, 0.3358, 0.3447,
     0.3541, 0.3642, 0.3752, 0.3866, 0.3997, 0.4151, 0.4333, 0.4580, 0.4973, 0.5319, 0.5737,
     0.6027, 0.6704],
    [0.0500, 0.2567, 0.2741, 0.2873, 0.2988, 0.3089, 0.3181, 0.3273, 0.3364, 0.3454, 0.3544,
     0.3640, 0.3744, 0.3856, 0.3978, 0.4113, 0.4270, 0.4458, 0.4704, 0.5100, 0.5467, 0.5897,
     0.6207, 0.6809],
    [0.0354, 0.2624, 0.2803, 0.2938, 0.3052, 0.3151, 0.3248, 0.3347, 0.3441, 0.3533, 0.3629,
     0.3729, 0.3830, 0.3943, 0.4066, 0.4203, 0.4361, 0.4555, 0.4822, 0.5227, 0.5608, 0.6065,
     0.6370, 0.7058],
    [0.0224, 0.2664, 0.2846, 0.2982, 0.3094, 0.3199, 0.3297, 0.3387, 0.3481, 0.3576, 0.3676,
     0.3777, 0.3883, 0.4002, 0.4127, 0.4270, 0.4437, 0.4634, 0.4887, 0.5297, 0.5670, 0.6101,
     0.6456, 0.7167],
    [0.0158, 0.2692, 0.2883, 0.3015, 0.3132, 0.3233, 0.3331, 0.3423, 0.3516, 0.3613, 0.3712,
     0.3814, 0.3920, 0.4034, 0.4162, 0.4304, 0.4470, 0.4663, 0.4922, 0.5355, 0.5722, 0.6197,
     0.6508, 0.7226],
    [0.0112, 0.2713, 0.2893, 0.3028, 0.3149, 0.3253, 0.3354, 0.3450, 0.3549, 0.3642, 0.3739,
     0.3849, 0.3955, 0.4070, 0.4194, 0.4336, 0.4501, 0.4701, 0.4966, 0.5383, 0.5773, 0.6268,
     0.6574, 0.7212],
    [0.0071, 0.2736, 0.2918, 0.3053, 0.3171, 0.3279, 0.3377, 0.3472, 0.3570, 0.3662, 0.3757,
     0.3859, 0.3967, 0.4080, 0.4207, 0.4345, 0.4516, 0.4720, 0.4981, 0.5383, 0.5792, 0.6221,
     0.6527, 0.7239],
    [0.0035, 0.2747, 0.2932, 0.3065, 0.3181, 0.3284, 0.3385, 0.3481, 0.3577, 0.3674, 0.3773,
     0.3874, 0.3978, 0.4101, 0.4232, 0.4375, 0.4537, 0.4740, 0.5007, 0.5410, 0.5795, 0.6293,
     0.6600, 0.7296],
])
DIP_MIN_N = 10


def dip_test(x: np.ndarray) -> Finding:
    """Hartigan's dip test of unimodality of ``x`` (precinct turnout): the p-value of the dip
    against uniform samples of the same size, interpolated in the null table (sizes beyond the
    table use its largest, where sqrt(n) * dip has settled); reported down to 0.001."""
    n = int(np.asarray(x).size)
    if n < DIP_MIN_N:
        return Finding("turnout dip (unimodality)", np.nan, np.nan, n=n,
                       note=f"needs {DIP_MIN_N} precincts")
    d = dip(x)
    rn = np.sqrt(n)
    # interpolate the table's rows in log n, then the probability in the row
    li = np.log(np.clip(n, _DIP_N[0], _DIP_N[-1]))
    row = np.array([np.interp(li, np.log(_DIP_N), _DIP_TABLE[:, j])
                    for j in range(_DIP_PROBS.size)])
    p_value = max(1 - float(np.interp(rn * d, row, _DIP_PROBS)), 1 - _DIP_PROBS[-1])
    median = float(np.interp(0.5, _DIP_PROBS, row)) / rn
    return Finding("turnout dip (unimodality)", d, median, p_value=p_value, n=n,
                   note="reference: the null median dip")


# -- the leader against turnout ---------------------------------------------------------------
def sobyanin_sukhovolsky(p: Precincts) -> Finding:
    """The slope of the leader's share on turnout within races (race means removed), with a
    heteroscedasticity-robust (HC0) standard error; one-sided p-value for a positive slope,
    which ballots added for the leader produce."""
    if p.n < 3:
        return Finding("share-turnout slope", np.nan, 0.0, n=p.n, note="too few precincts")
    r = int(p.race.max()) + 1
    per = np.bincount(p.race, minlength=r).astype(np.float64)
    t, s = p.turnout, p.share
    tc = t - (np.bincount(p.race, weights=t, minlength=r) / np.maximum(per, 1))[p.race]
    sc = s - (np.bincount(p.race, weights=s, minlength=r) / np.maximum(per, 1))[p.race]
    sxx = float(tc @ tc)
    if sxx == 0:
        return Finding("share-turnout slope", np.nan, 0.0, n=p.n, note="turnout does not vary")
    b = float(tc @ sc) / sxx
    e = sc - b * tc
    se = float(np.sqrt((tc**2) @ (e**2))) / sxx
    z = b / se if se > 0 else np.inf * np.sign(b)
    return Finding("share-turnout slope", b, 0.0, p_value=float(stats.norm.sf(z)), n=p.n,
                   interval=(b - 1.959963984540054 * se, b + 1.959963984540054 * se))


def _anomalous(sums: np.ndarray, bins: int) -> np.ndarray:
    """The anomalous-votes estimate from per-bin sums (b, 3 bins + 2): valid, leader, others
    per bin, then cast and registered; one estimate per row (nan where no bin qualifies)."""
    valid, lead, others = sums[:, :bins], sums[:, bins:2 * bins], sums[:, 2 * bins:3 * bins]
    official = sums[:, -2] / sums[:, -1]
    below = np.arange(bins) + 1 <= np.floor(100 * official)[:, None]
    peak = np.argmax(np.where(below & (valid > 0), valid, -1), axis=1)
    found = (below & (valid > 0)).any(axis=1)
    rows = np.arange(sums.shape[0])
    with np.errstate(invalid="ignore", divide="ignore"):
        ratio = lead[rows, peak] / others[rows, peak]
    above = np.arange(bins) > peak[:, None]
    excess = np.where(above, lead - ratio[:, None] * others, 0.0).sum(axis=1)
    return np.where(found & np.isfinite(ratio), excess, np.nan)


def anomalous_votes(p: Precincts, seed: int | np.random.SeedSequence = 0, *,
                    runs: int = BOOTSTRAP) -> Finding:
    """Votes for the leader beyond what the clean peak predicts (bootstrap interval).

    Precincts are binned by whole percent of turnout; among the bins below the official
    turnout, the one with the most valid votes is the clean peak; its leader/others ratio times
    the others' votes is the leader's expected vote in every higher bin; the excess over it,
    summed, is the estimate (reference 0).
    """
    bins = 101  # 0%, 1%, ..., 100%
    if p.n < 3:
        return Finding("anomalous votes", np.nan, 0.0, n=p.n, note="too few precincts")
    b = (100 * p.cast // p.registered).astype(np.int64)
    cols = np.concatenate([b, b + bins, b + 2 * bins])
    vals = np.concatenate([p.valid, p.leader, p.valid - p.leader]).astype(np.float64)
    rows = np.tile(np.arange(p.n), 3)
    z = sparse.csr_array((vals, (rows, cols)), shape=(p.n, 3 * bins))
    extra = np.column_stack([p.cast, p.registered]).astype(np.float64)

    def estimate(w: np.ndarray) -> np.ndarray:
        return _anomalous(np.column_stack([(z.T @ w.T).T, w @ extra]), bins)

    observed = float(estimate(np.ones((1, p.n)))[0])
    rng = np.random.default_rng(_seq(seed))
    boot = np.concatenate([estimate(w) for w in _resamples(rng, p.n, runs)])
    share = observed / max(int(p.leader.sum()), 1)
    return Finding("anomalous votes", observed, 0.0, interval=_interval(boot), n=p.n,
                   note=f"{share:.2%} of the leaders' votes")


# -- all of them ------------------------------------------------------------------------------
@attrs.frozen(eq=False)
class Forensics:
    """Every test on one election: ``findings`` in a fixed order, the ``fingerprint``."""

    precincts: int
    left_out: int
    registered: int
    cast: int
    findings: tuple[Finding, ...]
    fingerprint: Fingerprint
    seed: int
    alpha: float

    @property
    def flagged(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.flagged)


def examine(p: Precincts, seed: int = 0, *, alpha: float = ALPHA, null_runs: int = NULL_RUNS,
            bootstrap: int = BOOTSTRAP) -> Forensics:
    """Run every test on ``p``; ``seed`` fixes every random draw, each test its own stream."""
    s = np.random.SeedSequence(seed).spawn(4)
    descriptive = shape_moments(p, s[2], runs=bootstrap)
    tested = (integer_percentages(p, s[0], runs=null_runs), *digit_tests(p, s[1]),
              dip_test(p.turnout), sobyanin_sukhovolsky(p),
              anomalous_votes(p, s[3], runs=bootstrap))
    findings = (*(_verdict(f, alpha) for f in tested),
                *(_verdict(f, alpha, descriptive=True) for f in descriptive))
    return Forensics(precincts=p.n, left_out=p.left_out, registered=int(p.registered.sum()),
                     cast=int(p.cast.sum()), findings=findings, fingerprint=fingerprint(p),
                     seed=seed, alpha=alpha)
