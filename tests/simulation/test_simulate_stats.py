"""The simulation's generators against their theoretical distributions (issue 4, item 6).

Every draw here comes from a fixed seed, so the suite is deterministic; the thresholds say how
unlucky a seed would have to be for a correct generator to fail. Each statistical check has a
false-alarm probability of at most 1e-6: a goodness-of-fit p-value must exceed ``P_MIN = 1e-6``,
and a moment must lie within ``SIGMAS = 5`` standard errors of its expected value (5.7e-7
two-sided for a normal estimate). The file makes fewer than 80 such checks, so a correct
generator fails it, whatever the seeds, with probability below 8e-5: less than once in 10,000
runs of the suite. The checks still have power: the samples hold thousands of draws, so a wrong
parameter (a swapped race, a missing over-dispersion factor, a wrong conditional) moves the
statistics by far more than five standard errors.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy import stats
from scipy.special import expit, logit

from engine.law.rules import Outcome, decide, preset
from engine.simulation.draws import Draws, draw, draw_block
from engine.simulation.histograms import Histogram
from engine.simulation.model import Model
from engine.simulation.runner import run
from engine.simulation.seeds import BLOCK_RUNS, block_seed
from engine.simulation.summary import Grouping, Summary
from engine.tally.sums import sum_by_group

P_MIN = 1e-6
SIGMAS = 5.0
INF = np.inf
RURAL = preset("kz-2021-rural")


def _draw(model: Model, runs: int, seed: int) -> Draws:
    """``runs`` runs of ``model`` from two generators seeded by ``seed``."""
    race_seq, precinct_seq = np.random.SeedSequence(seed).spawn(2)
    return draw(model, runs, np.random.default_rng(race_seq),
                         np.random.default_rng(precinct_seq))


def _chisquare_p(sample: np.ndarray, pmf: np.ndarray) -> float:
    """Pearson's chi-square p-value of integer ``sample`` against ``pmf`` on 0..len(pmf) - 1.

    Neighbouring values are pooled until each bin expects at least 5 draws (a short last bin
    joins the one before), so the chi-square approximation of the statistic holds.
    """
    sample = np.asarray(sample).ravel()
    observed = np.bincount(sample, minlength=pmf.size)
    assert observed.size == pmf.size, "a draw beyond the distribution's support"
    assert not observed[pmf == 0].any(), "a draw of a value the distribution never gives"
    expected = sample.size * pmf / pmf.sum()
    edges, acc = [0], 0.0
    for i, e in enumerate(expected):
        acc += e
        if acc >= 5:
            edges.append(i + 1)
            acc = 0.0
    if edges[-1] != pmf.size:
        if len(edges) > 1:
            edges[-1] = pmf.size
        else:
            edges.append(pmf.size)
    starts = edges[:-1]
    assert len(starts) >= 2, "too few draws for a chi-square test"
    return float(stats.chisquare(np.add.reduceat(observed, starts),
                                 np.add.reduceat(expected, starts)).pvalue)


def _central_moments(pmf: np.ndarray) -> tuple[float, float, float]:
    """Mean, variance and fourth central moment of ``pmf`` on 0..len(pmf) - 1."""
    x = np.arange(pmf.size)
    mean = float((x * pmf).sum())
    var = float(((x - mean) ** 2 * pmf).sum())
    mu4 = float(((x - mean) ** 4 * pmf).sum())
    return mean, var, mu4


def _check_mean_and_variance(sample: np.ndarray, pmf: np.ndarray) -> None:
    """The sample's mean and variance lie within SIGMAS standard errors of ``pmf``'s.

    Standard errors: sqrt(var / N) for the mean, sqrt((mu4 - var^2) / N) for the variance.
    """
    sample = np.asarray(sample, np.float64).ravel()
    n = sample.size
    mean, var, mu4 = _central_moments(pmf)
    assert abs(sample.mean() - mean) < SIGMAS * math.sqrt(var / n)
    assert abs(sample.var(ddof=1) - var) < SIGMAS * math.sqrt((mu4 - var**2) / n)


def _check_covariance(x: np.ndarray, y: np.ndarray, expected: float) -> None:
    """The sample covariance of x and y lies within SIGMAS standard errors of ``expected``
    (the standard error estimated from the products of the deviations)."""
    x = np.asarray(x, np.float64).ravel()
    y = np.asarray(y, np.float64).ravel()
    products = (x - x.mean()) * (y - y.mean())
    se = products.std(ddof=1) / math.sqrt(x.size)
    assert abs(products.mean() - expected) < SIGMAS * se


def _normal_expectation(f, n: int = 80) -> float:
    """E f(Z) for a standard normal Z, by Gauss-Hermite quadrature (exact for smooth f)."""
    z, w = np.polynomial.hermite_e.hermegauss(n)
    return float((w * f(z)).sum() / math.sqrt(2 * math.pi))


# -- turnout, cast, invalid ---------------------------------------------------------------------


def test_precinct_turnout_is_beta_and_cast_is_beta_binomial():
    """Without swing, precinct turnout ~ Beta(m k, (1 - m) k) and cast ~ BetaBinomial(n, m k,
    (1 - m) k), each race with its own parameters (the races' precincts are interleaved)."""
    m, k, reg = np.array([0.6, 0.25]), np.array([30.0, 8.0]), np.array([50, 20])
    race = np.tile([0, 1], 100)
    model = Model.build(race, reg[race], [2, 2], turnout_mean=m, turnout_concentration=k,
                        invalid_rate=0.0, swing_sd=0.0)
    d = _draw(model, 100, seed=101)
    assert (d.turnout_mean == m).all()  # no swing: the race means as given, bit for bit
    for r in range(2):
        a, b, n = m[r] * k[r], (1 - m[r]) * k[r], reg[r]
        turnout = d.turnout[:, race == r].ravel()
        assert turnout.size == 10_000
        assert stats.kstest(turnout, stats.beta(a, b).cdf).pvalue > P_MIN
        cast = d.cast[:, race == r]
        pmf = stats.betabinom(n, a, b).pmf(np.arange(n + 1))
        assert _chisquare_p(cast, pmf) > P_MIN
        # The beta-binomial's moments in closed form, which the sample must match.
        mean, var, _ = _central_moments(pmf)
        assert mean == pytest.approx(n * m[r])
        assert var == pytest.approx(n * m[r] * (1 - m[r]) * (n + k[r]) / (1 + k[r]))
        _check_mean_and_variance(cast, pmf)


def test_invalid_ballots_are_binomial_given_cast():
    """invalid | cast ~ Binomial(cast, rate): the randomised probability integral transform of
    every draw, under the binomial of its own cast, is uniform; the total is rate * total cast."""
    rate = np.array([0.1, 0.35])
    race = np.repeat([0, 1], 50)
    model = Model.build(race, np.where(race == 0, 80, 30), [3, 3], invalid_rate=rate,
                        turnout_mean=0.5, turnout_concentration=5.0, swing_sd=0.2)
    d = _draw(model, 200, seed=102)
    u_rng = np.random.default_rng(1102)
    for r in range(2):
        cast, invalid = d.cast[:, race == r], d.invalid[:, race == r]
        assert np.unique(cast).size > 20  # cast really varies, so this is a conditional test
        dist = stats.binom(cast, rate[r])
        below, at = dist.cdf(invalid - 1), dist.cdf(invalid)
        pit = below + u_rng.random(invalid.shape) * (at - below)
        assert stats.kstest(pit.ravel(), "uniform").pvalue > P_MIN
        sd = math.sqrt((cast * rate[r] * (1 - rate[r])).sum())
        assert abs(invalid.sum() - rate[r] * cast.sum()) < SIGMAS * sd


# -- votes ----------------------------------------------------------------------------------------


def _fixed_valid_model(n: np.ndarray, share_mean: np.ndarray, n_candidates: list[int],
                       share_concentration: float, precincts: int) -> tuple[Model, np.ndarray]:
    """``precincts`` precincts per race, every registered voter votes validly: valid == n."""
    race = np.repeat(np.arange(len(n)), precincts)
    return Model.build(race, n[race], n_candidates, share_mean, turnout_mean=1.0,
                       turnout_concentration=INF, invalid_rate=0.0,
                       share_concentration=share_concentration, swing_sd=0.0), race


def test_votes_without_share_noise_are_multinomial():
    """With an infinite share concentration, votes ~ Multinomial(valid, s): each option's
    marginal is Binomial(valid, s_j), two options covary by -valid s_i s_j, zero shares get 0."""
    n = np.array([40, 25])
    s = np.array([[0.5, 0.3, 0.15, 0.0, 0.05],
                  [0.7, 0.3, 0.0, 0.0, 0.0]])
    model, race = _fixed_valid_model(n, s, [3, 2], INF, precincts=50)
    d = _draw(model, 200, seed=103)
    assert (d.votes.sum(axis=-1) == n[race]).all()
    assert (d.share_mean == s).all()
    for r in range(2):
        votes = d.votes[:, race == r, :]
        for j in range(s.shape[1]):
            if s[r, j] == 0:
                assert not votes[..., j].any()
            else:
                pmf = stats.binom(n[r], s[r, j]).pmf(np.arange(n[r] + 1))
                assert _chisquare_p(votes[..., j], pmf) > P_MIN
        _check_covariance(votes[..., 0], votes[..., 1], -n[r] * s[r, 0] * s[r, 1])


def test_votes_with_share_noise_are_dirichlet_multinomial():
    """With share concentration k, votes ~ DirichletMultinomial(valid, k s): option j is
    BetaBinomial(n, k s_j, k (1 - s_j)), whose variance n s_j (1 - s_j) (n + k) / (1 + k) is
    (n + k) / (1 + k) times the multinomial's; two options covary by -n s_i s_j (n + k) / (1 + k).
    """
    n, k = 60, 10.0
    s = np.array([[0.45, 0.35, 0.2]])  # two candidates and against all
    model, _ = _fixed_valid_model(np.array([n]), s, [2], k, precincts=200)
    d = _draw(model, 100, seed=104)
    votes = d.votes.reshape(-1, 3)
    assert votes.shape[0] == 20_000
    assert (votes.sum(axis=-1) == n).all()
    inflation = (n + k) / (1 + k)
    for j in range(3):
        sj = s[0, j]
        pmf = stats.betabinom(n, k * sj, k * (1 - sj)).pmf(np.arange(n + 1))
        assert _chisquare_p(votes[:, j], pmf) > P_MIN
        _, var, mu4 = _central_moments(pmf)
        assert var == pytest.approx(n * sj * (1 - sj) * inflation)
        _check_mean_and_variance(votes[:, j], pmf)
        # Over-dispersed: the sample variance exceeds the multinomial's by many standard errors.
        se = math.sqrt((mu4 - var**2) / votes.shape[0])
        assert votes[:, j].var(ddof=1) > n * sj * (1 - sj) + SIGMAS * se
    _check_covariance(votes[:, 0], votes[:, 1], -n * s[0, 0] * s[0, 1] * inflation)


# -- invariants of every draw ---------------------------------------------------------------------


@st.composite
def models(draw: st.DrawFn) -> Model:
    """A small model of 1..3 races with zero shares (padding, a listed candidate with no
    support, no against all), every concentration from tiny to infinite, any swing."""
    r = draw(st.integers(1, 3))
    k = draw(st.integers(1, 4))
    n_cand = [draw(st.integers(1, k)) for _ in range(r)]
    share_mean = np.zeros((r, k + 1))
    for i, nc in enumerate(n_cand):
        w = draw(st.lists(st.integers(0, 5), min_size=nc + 1, max_size=nc + 1)
                 .filter(lambda w: sum(w) > 0))
        share_mean[i, :nc] = w[:-1]
        share_mean[i, k] = w[-1]
    share_mean /= share_mean.sum(axis=1, keepdims=True)
    p = draw(st.integers(r, 8))
    race = list(range(r)) + [draw(st.integers(0, r - 1)) for _ in range(p - r)]
    registered = [draw(st.integers(0, 400)) for _ in range(p)]
    conc = st.sampled_from([1e-3, 1.0, 50.0, INF])
    t_conc = [draw(conc) for _ in range(r)]
    t_mean = [draw(st.floats(0, 1) if c == INF else st.floats(1e-3, 1 - 1e-3)) for c in t_conc]
    return Model(race=race, registered=registered, n_candidates=n_cand, turnout_mean=t_mean,
                 turnout_concentration=t_conc,
                 invalid_rate=[draw(st.sampled_from([0.0, 0.02, 0.5, 1.0])) for _ in range(r)],
                 share_mean=share_mean, share_concentration=[draw(conc) for _ in range(r)],
                 swing_sd=[draw(st.sampled_from([0.0, 0.1, 1.0])) for _ in range(r)])


@given(models(), st.integers(1, 20), st.integers(0, 2**32 - 1))
def test_every_draw_conserves_ballots_and_zero_shares_get_no_votes(model, runs, seed):
    """votes + invalid == cast <= registered in every precinct and run; an option whose mean
    share is 0 (padding, a candidate without support, no against all) never gets a vote, even
    after the swing and the Dirichlet noise; a swing never moves a race without one."""
    d = _draw(model, runs, seed)
    p, c = model.n_precincts, model.k + 1
    assert d.votes.shape == (runs, p, c)
    assert d.cast.shape == d.invalid.shape == d.turnout.shape == (runs, p)
    assert (d.votes >= 0).all()
    assert (d.invalid >= 0).all()
    assert (d.votes.sum(axis=-1) + d.invalid == d.cast).all()
    assert (d.cast <= model.registered).all()
    assert ((d.turnout >= 0) & (d.turnout <= 1)).all()
    zero = model.share_mean[model.race] == 0  # (P, C)
    assert not d.votes[:, zero].any()
    assert not d.share_mean[:, model.share_mean == 0].any()
    assert np.allclose(d.share_mean.sum(axis=-1), 1)
    rate = model.invalid_rate[model.race]
    assert not d.invalid[:, rate == 0].any()
    assert (d.invalid[:, rate == 1] == d.cast[:, rate == 1]).all()
    still = model.swing_sd == 0
    assert (d.turnout_mean[:, still] == model.turnout_mean[still]).all()
    assert (d.share_mean[:, still] == model.share_mean[still]).all()
    exact = np.isinf(model.turnout_concentration[model.race])
    assert (d.turnout[:, exact] == d.turnout_mean[:, model.race[exact]]).all()


# -- the race swing -------------------------------------------------------------------------------


def test_race_swing_is_logit_normal_for_turnout_and_logistic_normal_for_shares():
    """Race turnout mean = expit(logit(m) + sd z); log(s_i / s_j) after the swing =
    log(s_i / s_j) + sd (z_i - z_j) ~ Normal(log(s_i / s_j), 2 sd^2); with infinite
    concentrations every precinct of the race takes exactly its race's draw."""
    m = np.array([0.3, 0.6, 0.85])
    sd = np.array([0.05, 0.2, 0.6])
    s = np.array([[0.5, 0.3, 0.0, 0.2],
                  [0.1, 0.6, 0.3, 0.0],
                  [0.25, 0.25, 0.25, 0.25]])
    race = np.repeat(np.arange(3), 2)
    model = Model.build(race, np.full(6, 100), [3, 3, 3], s, turnout_mean=m,
                        turnout_concentration=INF, share_concentration=INF, swing_sd=sd)
    d = _draw(model, 20_000, seed=105)
    assert (d.turnout == d.turnout_mean[:, race]).all()
    for r in range(3):
        # KS is invariant under the monotone logit, so this is the KS test against the
        # logit-normal distribution of the turnout mean itself.
        assert stats.kstest(logit(d.turnout_mean[:, r]), stats.norm(logit(m[r]), sd[r]).cdf
                            ).pvalue > P_MIN
        i, j = np.flatnonzero(s[r])[[0, -1]]
        ratio = np.log(d.share_mean[:, r, i] / d.share_mean[:, r, j])
        law = stats.norm(np.log(s[r, i] / s[r, j]), math.sqrt(2) * sd[r])
        assert stats.kstest(ratio, law.cdf).pvalue > P_MIN
    assert not d.share_mean[:, s == 0].any()


def test_precincts_of_one_race_move_together():
    """The swing is shared by a race's precincts: their turnouts correlate by
    Var(M) / (Var(M) + E[M (1 - M)] / (k + 1)) with M = expit(logit(m) + sd Z), while
    precincts of two races (independent shocks) do not correlate."""
    m, k, sd, runs = 0.6, 50.0, 0.3, 10_000
    race = np.repeat([0, 1], 3)
    model = Model.build(race, np.full(6, 1000), [2, 2], turnout_mean=m,
                        turnout_concentration=k, swing_sd=sd)
    turnout = _draw(model, runs, seed=106).turnout
    mean_m = _normal_expectation(lambda z: expit(logit(m) + sd * z))
    var_m = _normal_expectation(lambda z: expit(logit(m) + sd * z) ** 2) - mean_m**2
    within = _normal_expectation(lambda z: expit(logit(m) + sd * z)
                                 * (1 - expit(logit(m) + sd * z))) / (k + 1)
    rho = var_m / (var_m + within)
    assert rho > 0.4  # a strong effect, so the test below has power
    corr = np.corrcoef(turnout.T)
    for a in range(6):
        for b in range(a + 1, 6):
            if race[a] == race[b]:
                # sd of a sample correlation: about (1 - rho^2) / sqrt(N) = 0.008 here; 0.05 is
                # over six of them, which leaves room for the turnouts not being normal.
                assert abs(corr[a, b] - rho) < 0.05
            else:
                # Independent: sqrt(N) r -> Normal(0, 1) whatever the distributions.
                assert abs(corr[a, b]) < SIGMAS / math.sqrt(runs)


# -- a race with a closed form, through run() -----------------------------------------------------


@pytest.mark.parametrize("n", [30, 31])
def test_two_candidate_race_matches_the_binomial(n):
    """One precinct of n voters who all vote validly, shares (p, 1 - p), no noise at all: the
    first candidate's votes X ~ Binomial(n, p). Candidate 1 wins when X > n / 2, candidate 2 when
    X < n / 2, and X == n / 2 is a tie (no winner): run()'s counts match within 5 sigma, and its
    margin histogram (|2 X - n|) passes a chi-square test against the exact law."""
    p, runs = 0.55, 20_000
    model = Model.build([0], [n], [2], [[p, 1 - p, 0.0]], turnout_mean=1.0,
                        turnout_concentration=INF, invalid_rate=0.0,
                        share_concentration=INF, swing_sd=0.0)
    summary = run(model, RURAL, runs, seed=107, jobs=2)
    x = stats.binom(n, p)
    p_win = x.sf(n // 2)  # X > n / 2, i.e. X >= floor(n / 2) + 1
    p_tie = x.pmf(n / 2) if n % 2 == 0 else 0.0
    p_lose = x.cdf((n - 1) // 2)  # X < n / 2

    def close(count: int, prob: float) -> bool:
        return abs(count - runs * prob) <= SIGMAS * math.sqrt(runs * prob * (1 - prob))

    assert p_win + p_tie + p_lose == pytest.approx(1)
    assert close(summary.win_count[0, 0], p_win)
    assert close(summary.win_count[0, 1], p_lose)
    assert close(summary.tie_count[0], p_tie)
    assert summary.outcome_count[0, Outcome.TIE] == summary.tie_count[0]
    assert (summary.outcome_count[0, Outcome.ELECTED]
            == summary.win_count[0].sum() == runs - summary.tie_count[0])
    assert summary.outcome_count.sum() == runs
    assert summary.against_all_top[0] == 0
    # |2 X - n| <= d  <=>  ceil((n - d) / 2) <= X <= floor((n + d) / 2)
    def p_margin_at_most(d: int) -> float:
        return x.cdf((n + d) // 2) - x.cdf(math.ceil((n - d) / 2) - 1)

    assert close(summary.margin_le_1[0], p_margin_at_most(1))
    assert close(summary.margin_le_10[0], p_margin_at_most(10))
    # 1% of 30 or 31 valid votes is under one vote: only a tie is that close.
    assert summary.margin_le_1pct[0] == summary.tie_count[0]
    # Every run casts n ballots; the margin |2 X - n| follows the law of X.
    assert summary.cast.row(0)[0].tolist() == [n]
    assert summary.turnout_quantiles().tolist() == [[1.0, 1.0, 1.0]]
    values, counts = summary.margin.row(0)
    margin_pmf = np.zeros(n + 1)
    np.add.at(margin_pmf, np.abs(2 * np.arange(n + 1) - n), x.pmf(np.arange(n + 1)))
    assert _chisquare_p(np.repeat(values, counts), margin_pmf) > P_MIN


# -- reproducibility ------------------------------------------------------------------------------


def _small_election() -> tuple[Model, Grouping]:
    race = np.array([0, 0, 1, 1, 1, 2, 2, 2, 2, 0])
    model = Model.build(race, np.arange(10) * 7 + 20, [2, 3, 4], turnout_concentration=20.0,
                        share_concentration=15.0, swing_sd=0.2)
    grouping = Grouping.of([("North", "A"), ("North", "B"), ("South",)],
                           np.array([[0, 1, -1, -1], [1, 0, 2, -1], [2, 1, 0, 1]]),
                           ("P1", "P2", "P3"))
    return model, grouping


def _arrays(s: Summary) -> dict[str, np.ndarray]:
    out = {name: getattr(s, name) for name in
           ("win_count", "outcome_count", "tie_count", "against_all_top", "margin_le_1",
            "margin_le_10", "margin_le_1pct")}
    for name in ("cast", "margin", "margin_bp", "area_counts"):
        h = getattr(s, name)
        out[f"{name}.keys"], out[f"{name}.counts"] = h.keys, h.counts
    return out


def _same(a: Summary, b: Summary) -> bool:
    x, y = _arrays(a), _arrays(b)
    return all(x[name].dtype == y[name].dtype and np.array_equal(x[name], y[name]) for name in x)


def test_same_seed_same_summary_for_any_chunking_and_workers():
    """Blocks of 64 runs seeded by the block: jobs and chunk size never change a count; the seed
    as an int or as its SeedSequence is the same seed; another seed gives other counts."""
    model, grouping = _small_election()
    runs = 1000  # 15 full blocks and a partial one
    ref = run(model, RURAL, runs, 2024, jobs=1, grouping=grouping)
    assert (ref.outcome_count.sum(axis=1) == runs).all()
    assert (ref.win_count.sum(axis=1) == ref.outcome_count[:, Outcome.ELECTED]).all()
    for jobs in (1, 2):
        for chunk in (64, 100, 1000, None):
            done: list[int] = []
            s = run(model, RURAL, runs, 2024, jobs=jobs, chunk_runs=chunk, grouping=grouping,
                    progress=done.append)
            assert _same(s, ref), (jobs, chunk)
            assert done == sorted(done)
            assert done[-1] == runs
    assert _same(run(model, RURAL, runs, np.random.SeedSequence(2024), jobs=2,
                     grouping=grouping), ref)
    other = run(model, RURAL, runs, 2025, jobs=2, grouping=grouping)
    assert not np.array_equal(other.cast.counts, ref.cast.counts)
    assert not np.array_equal(other.win_count, ref.win_count)


def test_block_seeds_are_the_spawned_children_and_run_draws_those_blocks():
    """block_seed(seed, b) is SeedSequence(seed).spawn(n)[b] (also below a spawned seed), and
    run() counts exactly the draws of draw_block(model, seed, b, runs), block after block."""
    n_blocks = 16
    for root in (lambda: np.random.SeedSequence(77),
                 lambda: np.random.SeedSequence(77, spawn_key=(3, 1))):
        children = root().spawn(n_blocks)
        for b in range(n_blocks):
            assert block_seed(root(), b).state == children[b].state
            assert (block_seed(root(), b).generate_state(8)
                    == children[b].generate_state(8)).all()
    assert block_seed(77, 5).state == np.random.SeedSequence(77).spawn(6)[5].state

    model, _ = _small_election()
    runs = 1000
    r, k = model.n_races, model.k
    cast = Histogram(r, int(model.registered_by_race.max()) + 1)
    wins = np.zeros((r, k), np.int64)
    sizes = []
    for b in range(n_blocks):
        d = draw_block(model, 77, b, runs)
        sizes.append(d.cast.shape[0])
        race_cast = sum_by_group(d.cast.T, model.race, r).T  # (runs, R)
        votes = sum_by_group(d.votes, model.race, r)  # (runs, R, C)
        cast.add(race_cast)
        dec = decide(votes[..., :k], model.n_candidates, RURAL, against_all=votes[..., k])
        for rr in range(r):
            wins[rr] += np.bincount(dec.winner[:, rr][dec.winner[:, rr] >= 0], minlength=k)
    assert sizes == [BLOCK_RUNS] * 15 + [runs - 15 * BLOCK_RUNS]
    s = run(model, RURAL, runs, 77, jobs=2, chunk_runs=200)
    assert np.array_equal(s.cast.keys, cast.keys)
    assert np.array_equal(s.cast.counts, cast.counts)
    assert np.array_equal(s.win_count, wins)
    # A full block does not depend on how many runs follow it.
    a, b = draw_block(model, 77, 3, runs), draw_block(model, 77, 3, 4 * BLOCK_RUNS)
    assert np.array_equal(a.votes, b.votes)
    assert np.array_equal(a.cast, b.cast)
    assert not np.array_equal(a.votes, draw_block(model, 77, 4, runs).votes)
