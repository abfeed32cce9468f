"""Forensics: each statistic on small hand-computed cases, the exact laws against slow references,
the nulls calibrated on clean simulated elections, the power of each detector on dirty ones, and
`saylau forensics`.

Rates are counted over fixed seeds; each bound is set so that a correct implementation, with any
other seeds, fails it with probability below 1 in 10,000 (a binomial tail at the rate stated).
"""

from __future__ import annotations

import json
import math
from fractions import Fraction
from pathlib import Path

import attrs
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy import stats

from cli.main import main
from engine.analysis import digit_laws
from engine.analysis import forensics as fx
from engine.analysis.dip import dip, dip_p_value
from engine.analysis.forensics.digits import _second_digit
from engine.analysis.forensics.findings import judged
from engine.analysis.forensics.percentages import _near_integer, _whole_percent
from engine.formats.model_table import Irregularities
from engine.law.rules import preset
from engine.simulation.draws import draw_block
from engine.simulation.model import Model
from engine.simulation.seeds import BLOCK_RUNS
from engine.tally.races import PrecinctTable, race_results, race_totals
from tests.paths import MESSY_CSV
from tests.texts import RURAL_HEAD, messy_openelections, two_candidate_race

RULES = preset("kz-2023-district")
FAIL = 1e-4  # the chance a bound may fail a correct implementation
TESTED = ("integer percentages", "percentages ending in 0 or 5", "last digit mean",
          "counts ending in 0 or 5", "turnout dip (unimodality)", "share-turnout slope",
          "anomalous votes")


def _precincts(registered, cast, leader, valid=None, race=None, votes=None,
               rest_leader=None) -> fx.ForensicPrecincts:
    """Precincts of two candidates (the leader and the rest) unless ``votes`` are given; every
    count's total is its precinct's valid votes (given ``votes``: the first precinct's)."""
    registered, cast, leader = (np.asarray(a, np.int64) for a in (registered, cast, leader))
    valid = cast if valid is None else np.asarray(valid, np.int64)
    race = np.zeros(cast.size, np.int64) if race is None else np.asarray(race, np.int64)
    if votes is None:
        votes, totals = np.concatenate([leader, valid - leader]), np.concatenate([valid, valid])
    else:
        votes = np.asarray(votes, np.int64)
        totals = np.full(votes.size, max(int(valid[0]), int(votes.max())))
    return fx.ForensicPrecincts(race=race, registered=registered, cast=cast, valid=valid,
                        leader=leader,
                        rest_leader=leader if rest_leader is None else np.asarray(rest_leader),
                        candidate_votes=votes, candidate_valid=totals)


def _at_most(n: int, rate: float) -> int:
    """The most flags of n elections at a true rate ``rate`` but with chance < FAIL."""
    return int(stats.binom.isf(FAIL, n, rate))


def _at_least(n: int, rate: float) -> int:
    """The fewest flags of n elections at a true rate ``rate`` but with chance < FAIL."""
    return int(stats.binom.ppf(FAIL, n, rate))


# -- hand-computed cases ----------------------------------------------------------------------
def test_near_an_integer_percentage_is_exact_at_0_05_points():
    """1/2000 is 0.05%: within; 2/2000 is 0.1%: not; 19/2000 is 0.95%: within (0.05 below 1)."""
    x = np.array([0, 1, 2, 19, 18, 1000, 1001, 1002])
    assert _near_integer(x, np.full(8, 2000)).tolist() == [True, True, False, True, False,
                                                              True, True, False]


@given(st.lists(st.tuples(st.integers(0, 10**9), st.integers(1, 10**9)), min_size=1,
                max_size=30))
def test_whole_percent_kernels_match_exact_fractions(pairs):
    """Against Fraction arithmetic: within 0.05 points of a whole percent, and rounding halves
    up; the second digit against the decimal string."""
    x = np.array([min(a, b) for a, b in pairs], np.int64)
    n = np.array([b for _, b in pairs], np.int64)
    pct = [Fraction(100 * int(a), int(b)) for a, b in zip(x, n, strict=True)]
    near = [abs(q - round(q)) <= Fraction(1, 20) for q in pct]
    assert _near_integer(x, n).tolist() == near
    assert _whole_percent(x, n).tolist() == [math.floor(q + Fraction(1, 2)) for q in pct]
    big = n[n >= 10]
    assert _second_digit(big).tolist() == [int(str(v)[1]) for v in big]


def test_percentages_round_half_up():
    """12.5% rounds to 13, 12.49% to 12, 2.5% to 3 and 37.5% to 38, exactly in integers."""
    x, n = np.array([1, 1249, 1, 3]), np.array([8, 10000, 40, 8])
    assert _whole_percent(x, n).tolist() == [13, 12, 3, 38]


def test_integer_percentages_count_only_qualifying_precincts():
    """Of 12 precincts, one has under 100 voters and one a turnout above 99%: 10 qualify. Of
    those only cast 120 of 200 (60%) is a whole percent: odd casts of 200 are x.5%, and the
    leader's third of the votes is 33.33%."""
    cast = [99, 105, 111, 117, 123, 129, 135, 141, 147, 120, 50, 199]
    registered = [200] * 10 + [99, 200]
    leader = [c // 3 for c in cast[:10]] + [20, 66]
    integer, _ = fx.percentage_tests(_precincts(registered, cast, leader), 1, runs=50)
    assert integer.n == 10
    assert integer.note.startswith("1 observed")


def test_the_percentage_nulls_have_their_binomial_means():
    """Each Monte-Carlo null's mean is the sum over precincts of the exact binomial chance:
    that turnout or share lands within 0.05 points of a whole percentage (qualifying
    precincts), and that each rounds to a whole percent ending in 0 or 5 (every precinct)."""
    rng = np.random.default_rng(3)
    reg = rng.integers(100, 900, 60)
    cast = rng.binomial(reg, 0.6)
    lead = rng.binomial(cast, 0.5)
    p = _precincts(reg, cast, lead)
    runs = 2000
    integer, round_5 = fx.percentage_tests(p, 5, runs=runs)

    def chance(n: int, q: float, hit) -> float:
        x = np.arange(n + 1)
        return float(stats.binom.pmf(x, n, q)[hit(x, np.full(n + 1, n))].sum())

    def near(x, n):
        return _near_integer(x, n)

    def ends_0_5(x, n):
        return _whole_percent(x, n) % 5 == 0

    a = np.array([chance(n, c / n, near) for n, c in zip(reg, cast, strict=True)])
    b = np.array([chance(n, v / n, near) for n, v in zip(cast, lead, strict=True)])
    q = 1 - (1 - a) * (1 - b)
    observed = int((_near_integer(cast, reg) | _near_integer(lead, cast)).sum())
    z = stats.norm.isf(FAIL / 4)
    assert abs(observed - integer.statistic - q.sum()) < z * np.sqrt((q * (1 - q)).sum() / runs)
    t = np.array([chance(n, c / n, ends_0_5) for n, c in zip(reg, cast, strict=True)])
    s = np.array([chance(n, v / n, ends_0_5) for n, v in zip(cast, lead, strict=True)])
    mean, var = t.sum() + s.sum(), (t * (1 - t)).sum() + (s * (1 - s)).sum()
    assert abs(round_5.reference * 120 - mean) < z * np.sqrt(var / runs)


def _pmf_by_digit(x: int, n: int, smallest: int = 0) -> np.ndarray:
    """The slow reference: the binomial pmf summed by last digit, over values >= smallest."""
    v = np.arange(n + 1)
    pmf = stats.binom.pmf(v, n, x / n) * (v >= smallest)
    return np.bincount(v % 10, weights=pmf, minlength=10)


@given(st.lists(st.tuples(st.integers(0, 3000), st.integers(1, 3000)), min_size=1, max_size=8))
def test_the_last_digit_laws_are_the_binomial_pmf_summed_by_digit(pairs):
    """The characteristic-function law of X mod 10, and of X mod 10 with X >= 10, against the
    binomial pmf summed digit by digit."""
    x = np.array([min(a, b) for a, b in pairs], np.int64)
    n = np.array([b for _, b in pairs], np.int64)
    full = np.array([_pmf_by_digit(a, b) for a, b in zip(x, n, strict=True)])
    tested = np.array([_pmf_by_digit(a, b, 10) for a, b in zip(x, n, strict=True)])
    assert np.abs(digit_laws.last_digit_law(x, n) - full).max() < 1e-12
    assert np.abs(digit_laws.tested_last_digit_law(x, n) - tested).max() < 1e-12


def test_the_last_digit_law_at_its_edges():
    """A share of 1 or 0 puts all mass on n or 0; q = 1/2, n = 1 is half 0, half 1; a count of
    millions is uniform; under 10 only the tail >= 10 is tested."""
    law = digit_laws.tested_last_digit_law
    assert law(np.array([7]), np.array([7])).sum() == 0  # X == 7 < 10: never tested
    assert law(np.array([0]), np.array([500])).sum() == 0
    assert law(np.array([13]), np.array([13]))[0].tolist() == [0, 0, 0, 1] + [0] * 6
    half = digit_laws.last_digit_law(np.array([1]), np.array([2]))[0]
    assert half == pytest.approx([0.25, 0.5, 0.25] + [0] * 7, abs=1e-14)
    big = digit_laws.last_digit_law(np.array([3_000_000]), np.array([7_000_000]))[0]
    assert big == pytest.approx([0.1] * 10, abs=1e-12)


def test_the_poisson_binomial_law_against_one_term_at_a_time():
    """The batched product of (1 - q + q z) against the convolution one Bernoulli at a time;
    equal chances give the binomial; the tail beyond EXACT_MAX terms is within 1e-3 of exact."""
    rng = np.random.default_rng(4)
    for size in (1, 2, 3, 33, 64, 257):
        q = rng.uniform(0, 1, size)
        slow = np.array([1.0])
        for qi in q:
            slow = np.convolve(slow, [1 - qi, qi])
        assert np.abs(digit_laws.poisson_binomial_pmf(q) - slow).max() < 1e-12
    assert digit_laws.poisson_binomial_sf(np.full(40, 0.2), 13) == pytest.approx(
        stats.binom.sf(12, 40, 0.2), rel=1e-10)
    q = rng.uniform(0.05, 0.4, digit_laws.EXACT_MAX + 1)
    exact = digit_laws.poisson_binomial_pmf(q)
    for k in (int(q.sum()) - 100, int(q.sum()), int(q.sum()) + 120):
        assert abs(digit_laws.poisson_binomial_sf(q, k) - exact[k:].sum()) < 1e-3


def test_digit_statistics_by_hand():
    """Counts 10, 25, 37, 105, ten times each: last digits 0, 5, 7, 5 (mean 4.25, three in four
    end in 0 or 5), second digits 0, 5, 7, 0 (mean 3); counts under 10 are left out."""
    votes = [10, 25, 37, 105, 7] * 10
    p = _precincts(registered=[400], cast=[300], leader=[150], votes=votes)
    last, counts = fx.digit_tests(p)
    assert (last.statistic, counts.statistic, last.n) == (4.25, 0.75, 40)
    second = fx.second_digit(p)
    assert second.statistic == 3.0
    assert second.reference == pytest.approx(4.1874, abs=1e-4)


def test_counts_redrawn_widely_meet_the_uniform_digit_and_the_exact_binomial():
    """Counts whose binomial redraw has a variance over 150 have a uniform last digit: the
    references are 4.5 and 0.2, the 0-or-5 p-value is the exact binomial tail and the mean's
    the z-test's with variance 8.25 per digit."""
    votes = np.arange(500, 540) * 5 + np.tile([0, 3], 20)  # 40 counts, 20 ending in 0 or 5
    p = _precincts(registered=[9000], cast=[8000], leader=[4000], votes=votes)
    last, counts = fx.digit_tests(p)
    assert (last.reference, counts.reference) == (pytest.approx(4.5), pytest.approx(0.2))
    assert counts.p_value == pytest.approx(stats.binom.sf(19, 40, 0.2), rel=1e-9)
    z = (last.statistic - 4.5) / np.sqrt(8.25 / 40)
    assert last.p_value == pytest.approx(2 * stats.norm.sf(abs(z)), rel=1e-9)


def test_too_few_precincts_or_counts_give_no_verdict():
    """9 precincts and 29 counts >= 10: every test's statistic is nan, with no verdict and a
    note of what it needs; 10 precincts and 30 counts: every test has a verdict."""
    rng = np.random.default_rng(8)

    def election(n_precincts: int, n_counts: int) -> fx.ForensicPrecincts:
        reg = rng.integers(300, 900, n_precincts)
        cast = rng.binomial(reg, 0.6)
        lead = rng.binomial(cast, 0.5)
        votes = rng.integers(10, 99, n_counts)
        return _precincts(reg, cast, lead, votes=votes)

    few = {f.name: f for f in fx.examine(election(9, 29)).findings}
    for name in TESTED:
        assert math.isnan(few[name].statistic), name
        assert few[name].flagged is None
        assert few[name].verdict == "no verdict"
        assert few[name].note.startswith("needs "), name
    assert few["last digit mean"].note == "needs 30 counts >= 10, got 29"
    enough = {f.name: f for f in fx.examine(election(10, 30)).findings}
    assert all(enough[name].flagged is not None for name in TESTED)


def test_a_handful_of_counts_none_ending_in_0_or_5_is_not_flagged():
    """The 4-precinct election that a bootstrap around the observed share flagged: 9 counts,
    none ending in 0 or 5, gave an interval [0, 0] that missed 0.2. Now: no verdict."""
    p = _precincts(registered=[500] * 4, cast=[300, 310, 320, 330], leader=[161, 171, 181, 191],
                   votes=[161, 171, 181, 191, 139, 139, 139, 139, 12])
    findings = fx.examine(p).findings
    assert not any(f.flagged for f in findings)


def test_skewness_and_kurtosis_are_population_moments():
    """Turnout 10%, 10%, 10%, 50% is [0, 0, 0, 1] shifted: skewness 2 / sqrt(3), kurtosis 7/3."""
    p = _precincts(registered=[10] * 4, cast=[1, 1, 1, 5], leader=[1, 1, 1, 1])
    skew_t, _, kurt_t, _, _ = fx.shape_moments(p, 0, runs=20)
    assert skew_t.statistic == pytest.approx(2 / np.sqrt(3))
    assert kurt_t.statistic == pytest.approx(7 / 3)
    assert skew_t.flagged is None  # descriptive


def test_the_dip_of_simple_samples():
    """Equally spaced points are uniform: dip 1/(2n). Two equal clumps: a dip of 1/4 or more
    as n grows, and the dip ignores location and scale."""
    for n in (2, 10, 57):
        assert dip(np.arange(n)) == pytest.approx(1 / (2 * n))
    clumps = np.r_[np.zeros(50), np.ones(50)]
    assert dip(clumps) == pytest.approx(0.25)
    rng = np.random.default_rng(0)
    x = rng.normal(size=300)
    assert dip(3 * x + 7) == pytest.approx(dip(x))
    assert dip(-x) == pytest.approx(dip(x))


def test_the_dip_agrees_with_r_diptest():
    """Reference values from R's diptest algorithm (dipstat of the Python diptest package)."""
    rng = np.random.default_rng(2024)
    uniform = rng.uniform(size=200)
    mixed = np.r_[rng.normal(0, 1, 100), rng.normal(4, 1, 100)]
    assert dip(uniform) == pytest.approx(0.02351809150437589, abs=1e-15)
    assert dip(mixed) == pytest.approx(0.050292646002536114, abs=1e-15)


def test_the_dip_null_is_calibrated():
    """Uniform samples (the null's least favourable unimodal law) flag at about 5%."""
    rng = np.random.default_rng(11)
    n = 300
    p = np.array([dip_p_value(dip(x), 50)[0] for x in rng.uniform(size=(n, 50))])
    assert _at_least(n, 0.04) <= (p < 0.05).sum() <= _at_most(n, 0.06)
    assert _at_least(n, 0.45) <= (p < 0.5).sum() <= _at_most(n, 0.55)


def test_the_slope_is_taken_within_races():
    """Within each race share = turnout / 2 + c: slope 0.5 with no residual, though pooled
    it falls."""
    p = _precincts(registered=[100] * 10, cast=[50, 60, 70, 80, 90, 50, 60, 70, 80, 90],
                   leader=[25, 33, 42, 52, 63, 5, 9, 14, 20, 27], race=[0] * 5 + [1] * 5)
    f = fx.sobyanin_sukhovolsky(p)
    assert f.statistic == pytest.approx(0.5)
    assert f.p_value < 1e-50


def test_the_slope_follows_the_leader_of_the_rest_of_the_race():
    """A wins a race of three precincts 160-140; without the first precinct B leads the rest
    130-70, so there the slope reads B's 10 votes, elsewhere A's; the other tests keep A."""
    counts = np.array([[200, 100, 0, 0, 90, 10], [200, 100, 0, 0, 30, 70],
                       [200, 100, 0, 0, 40, 60]])
    table = PrecinctTable(race=np.zeros(3, np.int64), counts=counts, n_races=1)
    p = fx.precincts_of(table, race_results(race_totals(table, np.array([2])), RULES))
    assert p.leader.tolist() == [90, 30, 40]
    assert p.rest_leader.tolist() == [10, 30, 40]


def test_anomalous_votes_by_turnout_bins():
    """Nine precincts at 50% (leader 25 of 50) make the clean peak, ratio 1; one at 90% gives
    the leader 60 where 30 were expected: 30 anomalous votes (official turnout 54%)."""
    p = _precincts(registered=[100] * 10, cast=[50] * 9 + [90], leader=[25] * 9 + [60])
    f = fx.anomalous_votes(p, 0, runs=20)
    assert f.statistic == pytest.approx(30)
    assert f.note == "10.53% of the leaders' votes"  # of 285


def test_fingerprint_weights_precincts_by_registered_voters():
    """Cells are [turnout %, share %] whole-percent bins; 100% falls in the last bin."""
    p = _precincts(registered=[100, 300, 50], cast=[50, 151, 50], leader=[10, 151, 25])
    cells = fx.fingerprint(p).voters
    assert cells.sum() == 450
    assert (cells[50, 20], cells[50, 99], cells[99, 50]) == (100, 300, 50)


def test_precincts_with_unknown_or_impossible_counts_are_left_out():
    """Unknown cast (-1, with invalid unknown too) or more ballots than voters: left out of the
    turnout tests and counted; the digit tests need only the candidates' counts and keep them;
    each count's total is its precinct's valid votes."""
    counts = np.array([[100, 60, 2, 3, 30, 25], [100, -1, -1, 3, 30, 25],
                       [100, 120, 0, 0, 60, 60], [200, 100, 0, 5, 80, 15]])
    table = PrecinctTable(race=np.zeros(4, np.int64), counts=counts, n_races=1)
    res = race_results(race_totals(table, np.array([2])), RULES)
    p = fx.precincts_of(table, res)
    assert p.left_out == 2
    assert p.cast.tolist() == [60, 100]
    assert p.leader.tolist() == [30, 80]
    assert p.valid.tolist() == [58, 100]
    assert p.counted == 4
    assert p.candidate_votes.tolist() == [30, 25, 30, 25, 60, 60, 80, 15]
    assert p.candidate_valid.tolist() == [58, 58, 58, 58, 120, 120, 100, 100]


def test_ballots_cast_are_derived_from_valid_and_invalid():
    """A precinct without ballots cast but with its invalid ballots: cast = valid + invalid
    (2 + 30 + 25 + 3 against all), and it counts for the turnout tests."""
    counts = np.array([[100, -1, 2, 3, 30, 25], [100, 60, 2, 3, 30, 25]])
    table = PrecinctTable(race=np.zeros(2, np.int64), counts=counts, n_races=1)
    p = fx.precincts_of(table, race_results(race_totals(table, np.array([2])), RULES))
    assert (p.left_out, p.cast.tolist()) == (0, [60, 60])


def test_without_registered_voters_only_the_digit_tests_run():
    """Counts alone (OpenElections files rarely give registered voters): the digit tests run;
    each test of turnout says in one line why it cannot."""
    rng = np.random.default_rng(5)
    votes = rng.integers(10, 900, (200, 3))
    counts = np.column_stack([np.full(200, -1), np.full(200, -1), np.full(200, -1),
                              np.zeros(200, np.int64), votes])
    table = PrecinctTable(race=np.zeros(200, np.int64), counts=counts, n_races=1)
    p = fx.precincts_of(table, race_results(race_totals(table, np.array([3])), RULES))
    assert (p.n, p.counted) == (0, 200)
    assert p.turnout_missing == "registered voters are unknown in every precinct"
    found = {f.name: f for f in fx.examine(p, 0, null_runs=10, bootstrap=10).findings}
    assert found["last digit mean"].n == 600
    assert found["last digit mean"].verdict in ("FLAGGED", "-")
    assert found["integer percentages"].verdict == "cannot run"
    assert found["share-turnout slope"].note == (
        "cannot run: needs registered voters and ballots cast per precinct: registered voters "
        "are unknown in every precinct")
    assert sum(f.cannot for f in found.values()) == 10


# -- seeds ------------------------------------------------------------------------------------
def _model(irregularities: Irregularities | None = None, p: int = 1000) -> Model:
    registered = np.random.default_rng(7).integers(500, 2500, p)
    return Model(race=np.zeros(p), registered=registered, n_candidates=[3], turnout_mean=[0.55],
                 turnout_concentration=[50.0], invalid_rate=[0.02],
                 share_mean=[[0.55, 0.3, 0.1, 0.05]], share_concentration=[100.0],
                 swing_sd=[0.1], irregularities=irregularities)


def test_the_simulated_election_is_run_0_of_simulate_whatever_the_runs():
    """Block 0 is drawn whole (BLOCK_RUNS runs), as a simulation of 64 or of 10,000 runs draws
    it; a block of one run would be another election."""
    model = _model(p=50)
    table, _ = fx.simulated_election(model, RULES, 3)
    for runs in (BLOCK_RUNS, 10_000):
        d = draw_block(model, 3, 0, runs)
        assert (table.counts[:, 4:] == d.votes[0, :, :3]).all()
        assert (table.counts[:, 1] == d.cast[0]).all()
    assert (table.counts[:, 4:] != draw_block(model, 3, 0, 1).votes[0, :, :3]).any()


def test_forensics_draws_on_a_branch_no_simulation_block_uses():
    """Every stream of examine hangs under key FORENSICS_STREAM = 2^32 - 1, a block index a
    simulation would need 2^32 blocks to reach; the same seed gives the same findings."""
    for stream in fx._streams(3):
        assert stream.spawn_key[0] == fx.FORENSICS_STREAM == 2**32 - 1
    table, res = fx.simulated_election(_model(p=200), RULES, 3)
    p = fx.precincts_of(table, res)
    assert fx.examine(p, 3).findings == fx.examine(p, 3).findings


# -- clean and dirty simulated elections ------------------------------------------------------
def _elections(model: Model, seed: int, n: int = BLOCK_RUNS) -> list[fx.ForensicPrecincts]:
    """The first n runs of one block of a simulation, each tallied into precincts."""
    d = draw_block(model, seed, 0, BLOCK_RUNS)
    k = model.k
    out = []
    for r in range(n):
        counts = np.column_stack([model.registered, d.cast[r], d.invalid[r], d.votes[r, :, k],
                                  d.votes[r, :, :k]])
        table = PrecinctTable(race=model.race, counts=counts, n_races=model.n_races)
        totals = race_totals(table, model.n_candidates, against_all_line=RULES.against_all)
        out.append(fx.precincts_of(table, race_results(totals, RULES)))
    return out


def _flags(elections, test) -> dict[str, int]:
    """How many elections each finding of ``test(p, i)`` flags."""
    counts: dict[str, int] = {}
    for i, p in enumerate(elections):
        for f in test(p, i):
            counts[f.name] = counts.get(f.name, 0) + bool(f.flagged)
    return counts


def _judged(*findings: fx.Finding) -> tuple[fx.Finding, ...]:
    return tuple(judged(f, fx.ALPHA) for f in findings)


def test_clean_elections_flag_at_the_nominal_rate():
    """32 clean elections of 500 precincts: each test flags about 5% of them or fewer (512
    measured at 10 to 1,000 precincts: 0-6%, the dip and anomalous votes under 2%); the
    second digit is descriptive and never flags."""
    n = 32
    flags = _flags(_elections(_model(p=500), 100, n), lambda p, i: fx.examine(p, i).findings)
    for name in TESTED:
        assert flags[name] <= _at_most(n, 0.07), name
    assert flags["second digit mean"] == 0


def test_small_counts_do_not_make_a_clean_election_look_rounded():
    """Seven candidates with widely spread shares give many small counts, whose last digits
    lean low (more counts of 10 than 19). Against a fixed 4.5 the mean flags 78% of clean
    elections of 1,000 precincts (512 measured; bound: at 60%), and at 100,000 precincts every
    one; against the redrawn counts the mean and the 0-or-5 share flag 5% (512 measured: 4.7%
    and 4.9%; bound: at 7%)."""
    rng = np.random.default_rng(9)
    p = 1000
    means = [0.3, 0.2, 0.15, 0.12, 0.1, 0.06, 0.03, 0.04]
    model = Model(race=np.arange(p) % 100, registered=rng.integers(200, 3000, p),
                  n_candidates=[7] * 100, turnout_mean=[0.6] * 100,
                  turnout_concentration=[20.0] * 100, invalid_rate=[0.02] * 100,
                  share_mean=[means] * 100, share_concentration=[3.0] * 100,
                  swing_sd=[0.1] * 100)
    elections = _elections(model, 77)
    fixed = 0
    for e in elections:
        last = e.candidate_votes[e.candidate_votes >= 10] % 10
        fixed += 2 * stats.norm.sf(abs(last.mean() - 4.5) / np.sqrt(8.25 / last.size)) < 0.05
    assert fixed >= _at_least(BLOCK_RUNS, 0.6)
    flags = _flags(elections, lambda e, i: _judged(*fx.digit_tests(e)))
    assert flags["last digit mean"] <= _at_most(BLOCK_RUNS, 0.07)
    assert flags["counts ending in 0 or 5"] <= _at_most(BLOCK_RUNS, 0.07)


def test_the_slope_of_many_close_races_is_calibrated():
    """200 races of 10 precincts and seven candidates: each race's winner is partly chosen by
    where its share and turnout rose together, so the winner's slope flags 42-46% of clean
    elections (bound: at 35%); the leader of the rest of the race flags about 5% (measured
    4-5%; bound: at 7%)."""
    rng = np.random.default_rng(10)
    races, p = 200, 2000
    means = [0.3, 0.2, 0.15, 0.12, 0.1, 0.06, 0.03, 0.04]
    model = Model(race=np.arange(p) % races, registered=rng.integers(200, 3000, p),
                  n_candidates=[7] * races, turnout_mean=[0.6] * races,
                  turnout_concentration=[20.0] * races, invalid_rate=[0.02] * races,
                  share_mean=[means] * races, share_concentration=[3.0] * races,
                  swing_sd=[0.1] * races)
    elections = _elections(model, 3000)
    rest = _flags(elections, lambda e, i: _judged(fx.sobyanin_sukhovolsky(e)))
    winner = _flags((attrs.evolve(e, rest_leader=e.leader) for e in elections),
                    lambda e, i: _judged(fx.sobyanin_sukhovolsky(e)))
    assert winner["share-turnout slope"] >= _at_least(BLOCK_RUNS, 0.35)
    assert rest["share-turnout slope"] <= _at_most(BLOCK_RUNS, 0.07)


def _leader_tests(p: fx.ForensicPrecincts, seed: int) -> tuple[fx.Finding, ...]:
    return _judged(fx.dip_test(p.turnout), fx.sobyanin_sukhovolsky(p),
                   fx.anomalous_votes(p, seed))


def test_incremental_stuffing_is_seen_by_the_slope_and_anomalous_votes():
    """20% of precincts with incremental fraud (stuffing and switching about 20%): the slope
    flags every election of 400 measured (bound: at 97%), anomalous votes 86% (bound: 75%)."""
    n = 16
    dirty = _model(Irregularities(incremental=0.2, stuffing=0.2, switching=0.2))
    flags = _flags(_elections(dirty, 200, n), _leader_tests)
    assert flags["share-turnout slope"] >= _at_least(n, 0.97)
    assert flags["anomalous votes"] >= _at_least(n, 0.75)


def test_extreme_fraud_makes_turnout_bimodal():
    """5% of precincts with extreme fraud (near 100% turnout for the favourite): the dip test
    flags 88% of 400 measured elections (bound: at 75%), slope and anomalous votes all."""
    n = 16
    flags = _flags(_elections(_model(Irregularities(extreme=0.05)), 300, n), _leader_tests)
    assert flags["turnout dip (unimodality)"] >= _at_least(n, 0.75)
    assert flags["share-turnout slope"] >= _at_least(n, 0.97)
    assert flags["anomalous votes"] >= _at_least(n, 0.97)


def _rounded_turnout(p: fx.ForensicPrecincts, seed: int) -> fx.ForensicPrecincts:
    """A tenth of the precincts report a turnout rounded to a whole percentage (a target)."""
    rng = np.random.default_rng(seed)
    chosen = rng.random(p.n) < 0.1
    cast = np.where(chosen, (p.registered * np.round(100 * p.turnout) / 100).round(), p.cast)
    cast = cast.astype(np.int64)
    return attrs.evolve(p, cast=cast, valid=p.valid + cast - p.cast,
                        leader=p.leader + cast - p.cast)


def _rounded_counts(p: fx.ForensicPrecincts, seed: int) -> fx.ForensicPrecincts:
    """A fifth of the counts are written down to the nearest multiple of 5."""
    rng = np.random.default_rng(seed)
    v = p.candidate_votes
    chosen = rng.random(v.size) < 0.2
    return attrs.evolve(p, candidate_votes=np.where(chosen, 5 * np.round(v / 5), v).astype(
        np.int64))


def test_made_up_round_figures_are_seen_by_the_integer_and_digit_tests():
    """Stuffing leaves digits alone; made-up figures do not. A tenth of turnouts set to whole
    percentages: the integer test flags every election (200 of 200 measured; bound: at 97%); a
    fifth of counts rounded to fives: counts ending in 0 or 5 and the last digit flag every one
    (200 of 200 each; bound: at 97%)."""
    n = 10
    elections = _elections(_model(), 400, 2 * n)
    turnout = _flags((_rounded_turnout(p, i) for i, p in enumerate(elections[:n])),
                     lambda p, i: _judged(*fx.percentage_tests(p, i)))
    assert turnout["integer percentages"] >= _at_least(n, 0.97)
    counts = _flags((_rounded_counts(p, i) for i, p in enumerate(elections[n:])),
                    lambda p, i: _judged(*fx.digit_tests(p)))
    assert counts["counts ending in 0 or 5"] >= _at_least(n, 0.97)
    assert counts["last digit mean"] >= _at_least(n, 0.97)


# -- the command ------------------------------------------------------------------------------
def test_forensics_runs_on_every_shipped_historical_scenario(runner, scenarios):
    """Each historical file: exit 0 and the table's head; the 4-precinct rural file is too small
    for any verdict."""
    for path in sorted((scenarios / "historical").glob("*.toml")):
        result = runner.invoke(main, ["forensics", str(path)])
        assert result.exit_code == 0, (path, result.output)
        assert "forensics · replay · " in result.stdout
    rural = runner.invoke(main, ["forensics", str(scenarios / "historical" /
                                                  "kz-2021-rural.toml")]).stdout
    assert "FLAGGED" not in rural
    assert "0 of 7 tests flagged; 7 without a verdict (see the notes)." in rural


def test_without_any_precinct_count_each_test_says_why_and_the_command_exits_2(runner,
                                                                               tmp_path):
    """A file of published aggregates only (no race): one error line says why the tests cannot
    run (each distinct reason once), the command exits 2 and prints nothing on stdout."""
    toml = tmp_path / "areas.toml"
    toml.write_text('[election]\nname = "x"\nrules = "kz-2021-rural"\n[[area]]\npath = []\n'
                    "published = { races = 3 }\n", encoding="utf-8")
    result = runner.invoke(main, ["forensics", str(toml)])
    assert (result.exit_code, result.stdout) == (2, "")
    assert result.stderr == (
        "error: areas.toml: no forensic test can run on its counts (integer percentages and 9 "
        "more: needs registered voters and ballots cast per precinct: the election has no "
        "precinct counts (no race); last digit mean and 2 more: needs the candidates' counts: "
        "no precinct gives every candidate's count)\n")


def test_forensics_json_csv_and_plot(runner, scenarios, tmp_path: Path):
    """A simulation scenario is drawn once (--seed): JSON names every test and the
    fingerprint's cells sum to the precincts' voters; CSV has one row per test; --plot a PNG."""
    semey = str(scenarios / "simulations" / "semey-2029.toml")
    out, png = tmp_path / "fx.json", tmp_path / "fx.png"
    result = runner.invoke(main, ["forensics", semey, "--seed", "4", "--format", "json",
                                  "--output", str(out), "--plot", str(png)])
    assert result.exit_code == 0, result.output
    d = json.loads(out.read_text(encoding="utf-8"))
    assert (d["source"], d["precincts"]) == ("simulation, seed 4", 128)
    assert len(d["tests"]) == 13
    assert sum(map(sum, d["fingerprint"]["registered_voters"])) == d["registered"] == 220761
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    csv_out = runner.invoke(main, ["forensics", semey, "--seed", "4", "--format", "csv"])
    lines = csv_out.stdout.splitlines()
    assert lines[0] == "test,statistic,reference,p_value,low,high,n,flagged,note,seed,kernel"
    assert len(lines) == 14
    again = runner.invoke(main, ["forensics", semey, "--seed", "4", "--format", "json"])
    assert again.stdout == out.read_text(encoding="utf-8")  # a seed fixes every number


def test_a_plot_that_cannot_be_written_stops_before_anything_is_printed(runner, scenarios,
                                                                          tmp_path: Path):
    """--plot into a missing folder: exit 2, one line on stderr, nothing on stdout."""
    semey = str(scenarios / "historical" / "semey-2025.toml")
    result = runner.invoke(main, ["forensics", semey, "--plot", str(tmp_path / "no" / "x.png")])
    assert result.exit_code == 2
    assert result.stdout == ""
    assert len(result.stderr.splitlines()) == 1
    assert "does not exist" in result.stderr


def test_forensics_user_errors_are_one_line(runner, tmp_path: Path):
    """A missing file and a bad irregularities table: one line on stderr, exit 2."""
    missing = runner.invoke(main, ["forensics", str(tmp_path / "nope.toml")])
    assert missing.exit_code == 2
    assert len(missing.stderr.splitlines()) == 1
    assert "no such file" in missing.stderr
    bad = tmp_path / "x.toml"
    bad.write_text(RURAL_HEAD + "[model]\n[model.irregularities]\nextreme = 1.5\n",
                   encoding="utf-8")
    result = runner.invoke(main, ["forensics", str(bad)])
    assert result.exit_code == 2
    assert result.stderr == ("error: x.toml: model.irregularities.extreme: must be in [0, 1], "
                             "got 1.5\n")


def test_forensics_sees_irregularities_a_scenario_injects(runner, tmp_path: Path):
    """A simulation file with [model.irregularities] (20% of 300 precincts stuffed to near full
    turnout): the drawn election is flagged by the slope and the dip, on either kernel (at 10%
    the dip misses one numpy-kernel draw in seven: the test is of the tests, not of a seed)."""
    path = tmp_path / "stuffed.toml"
    path.write_text(
        '[election]\nname = "stuffed"\nrules = "kz-2023-district"\n'
        "[model]\nturnout = 0.5\nprecincts = 300\n[model.irregularities]\nextreme = 0.2\n"
        + two_candidate_race(450000), encoding="utf-8")
    result = runner.invoke(main, ["forensics", str(path), "--seed", "1", "--format", "json"])
    assert result.exit_code == 0, result.output
    flagged = {t["name"]: t["flagged"] for t in json.loads(result.stdout)["tests"]}
    assert flagged["share-turnout slope"] is True
    assert flagged["turnout dip (unimodality)"] is True


def test_forensics_and_audit_print_what_loading_mended(runner, tmp_path: Path):
    """An OpenElections file mended on load (cases, a repeated row, ...): each command prints
    the scenario's 8 warnings on stderr, one line each, and still exits 0."""
    toml = tmp_path / "messy.toml"
    toml.write_text(messy_openelections(MESSY_CSV, 'repeats = "first"'), encoding="utf-8")
    for command in ("forensics", "audit"):
        result = runner.invoke(main, [command, str(toml)])
        assert result.exit_code == 0, result.output
        lines = result.stderr.splitlines()
        assert len(lines) == 8
        assert all(line.startswith("warning: messy.csv: ") for line in lines)


def test_forensics_reads_turnout_and_shares_on_the_bases_asked_for(tmp_path, runner):
    """Turnout of ballots issued and shares of all ballots (the official bases) are used and
    named; a basis whose line the file lacks is one line saying how to choose another."""
    text = ('[election]\nname = "b"\nrules = "kz-2023-district"\nturnout_basis = "issued"\n'
            'share_basis = "cast"\n[protocol]\nlines = ["issued"]\n[[race]]\nid = "r"\n'
            '[[race.candidate]]\nname = "A"\n[[race.candidate]]\nname = "B"\n'
            + "".join(f'[[race.precinct]]\nid = "{i}"\nregistered = 1000\ncast = {500 + i}\n'
                      f'invalid = 10\nagainst_all = 0\nissued = {520 + i}\n'
                      f'votes = [{300 + i}, {190}]\n' for i in range(12)))
    path = tmp_path / "b.toml"
    path.write_text(text, encoding="utf-8")
    out = runner.invoke(main, ["forensics", str(path), "--format", "json"])
    assert out.exit_code == 0, out.stderr
    d = json.loads(out.stdout)
    assert (d["turnout_basis"], d["share_basis"]) == ("issued", "cast")
    assert d["cast"] == sum(520 + i for i in range(12))  # turnout's numerator: issued
    table = runner.invoke(main, ["forensics", str(path), "--turnout-basis", "cast",
                                 "--share-basis", "valid"]).stdout
    assert "turnout of ballots cast over registered voters; the leader's share of valid" in table
    plain = tmp_path / "p.toml"
    plain.write_text(text.replace('lines = ["issued"]', 'lines = ["valid"]')
                     .replace("issued = ", "valid = ").replace('turnout_basis = "issued"\n', ""),
                     encoding="utf-8")
    bad = runner.invoke(main, ["forensics", str(plain), "--turnout-basis", "issued"])
    assert bad.exit_code == 2
    assert bad.stderr == ("error: p.toml: turnout of ballots issued needs the protocol's line "
                          "'issued'; choose another with --turnout-basis or --share-basis\n")
