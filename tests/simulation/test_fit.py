"""The method of simulated moments: it recovers loyalty, attendance and re-vote persistence from
a round it simulated itself; the model check places published figures in the fitted model's
rounds; `saylau calibrate` reports both."""

from __future__ import annotations

import json

import numpy as np
import pytest

from cli.main import main
from engine.law.rules import preset
from engine.simulation.fit import distance, fit
from engine.simulation.indirect import Deputies, Round, RoundCounts, simulate_round
from engine.simulation.model_check import model_check

INDIRECT = preset("kz-2013-indirect")
TARGETS = ("ties", "one_vote_margins", "elected")
# 200 maslikhats of six deputies, each electing three akims among three candidates
ROUND = Round.even(200, 1200, 600, 1800)
TRUTH = {"loyalty": 0.6, "attendance": 0.9, "persistence": 0.7}


@pytest.fixture(scope="module")
def recovered():
    """The fit of a round drawn at TRUTH (seed 123), on other uniforms (seed 7)."""
    observed = simulate_round(ROUND, INDIRECT, runs=1, seed=123, **TRUTH)
    targets = {name: int(observed.stat(name)[0]) for name in TARGETS}
    return targets, fit(ROUND, INDIRECT, targets, runs=30, seed=7,
                        restrict=[("persistence", 0.0), ("persistence", 1.0)])


def test_the_fit_recovers_every_parameter_including_persistence(recovered):
    """Fitted to a round it simulated itself, the fit lands near the true loyalty, attendance
    and persistence, its joint 95% region holds all three, and the nested fits reject both
    the re-vote drawn afresh (persistence 0) and every deputy repeating (persistence 1)."""
    _, f = recovered
    for p, value in TRUTH.items():
        lo, hi = f.region[p]
        assert lo <= value <= hi, (p, f.region, f.point)
        assert abs(f.point[p] - value) < 0.2, (p, f.point)
    assert f.distance <= f.critical
    assert [(n.parameter, n.value) for n in f.restricted] == [("persistence", 0.0),
                                                              ("persistence", 1.0)]
    for n in f.restricted:
        assert n.distance > f.distance
        assert n.p_value < 0.05
        assert set(n.point) == {"loyalty", "attendance"}
        assert set(n.means) == set(TARGETS)


def test_the_region_is_every_trial_within_the_critical_distance(recovered):
    """The region's ends are the extreme trials whose distance is within the chi-square 95%
    point (three targets: 7.81), and a trial past either end is rejected."""
    _, f = recovered
    assert f.critical == pytest.approx(7.8147, abs=1e-3)
    kept = f.grid[f.chi2 <= f.critical]
    for i, p in enumerate(f.parameters):
        assert f.region[p] == (kept[:, i].min(), kept[:, i].max())
    assert f.inside == len(kept)
    assert f.fit_df == 0
    assert f.fit_critical is None


def test_the_distance_weighs_counts_by_their_simulated_spread():
    """A published count one simulated standard deviation from the mean is about one unit of
    distance; two counts that move together (elected = races - ties) are not counted twice."""
    ties = np.array([0, 2, 4, 2, 0, 4, 2, 2])  # mean 2, variance 2
    counts = RoundCounts(elected=100 - ties, ties=ties, one_vote_margins=ties * 0,
                         failed_quorum=ties * 0, failed_majority=ties * 0,
                         first_choice_won=ties * 0, first_round_ties=ties)
    var = ties.var(ddof=1) * (1 + 1 / 8) + 0.25
    assert distance(counts, {"ties": 4}) == pytest.approx(4 / var)
    both = distance(counts, {"ties": 4, "elected": 96})
    assert both == pytest.approx(4 / var, rel=0.15)   # one deviation, seen twice
    assert distance(counts, {"ties": 4, "elected": 90}) > 10 * both  # inconsistent pair


def test_the_model_check_places_each_published_figure_in_the_fitted_rounds():
    """At known parameters the check gives each figure's quantiles and where it falls: the
    simulated mean itself falls inside the central 90%, a far figure outside, and the
    incumbents bound holds when it is below every count of races won by the first proposed."""
    deputies = Deputies(**TRUTH)
    sims = simulate_round(ROUND, INDIRECT, runs=200, seed=5, **TRUTH)
    published = {"ties": int(np.median(sims.ties)), "one_vote_margins": 10_000,
                 "elected": int(np.median(sims.elected)), "races": ROUND.n_races,
                 "incumbents_reelected": 10}
    check = model_check(ROUND, INDIRECT, deputies, published, ("ties", "elected"), 300, 5)
    assert check.runs == 300
    ties = check.row("ties")
    assert ties.fitted
    assert ties.inside
    assert ties.quantiles[0] <= ties.published <= ties.quantiles[2]
    assert 0 <= ties.below <= ties.at_or_below <= 1
    far = check.row("one_vote_margins")
    assert not far.fitted
    assert not far.inside
    assert far.at_or_below == 1.0
    failed = check.row("failed")
    assert failed.published == ROUND.n_races - published["elected"] - published["ties"]
    bound = check.row("incumbents_reelected")
    assert bound.relation == "at most"
    assert bound.inside
    assert bound.below == 0.0
    # the check's rounds are not the fit's: another stream of the same seed
    assert not np.array_equal(check.counts.ties,
                              simulate_round(ROUND, INDIRECT, runs=300, seed=5, **TRUTH).ties)


def test_saylau_calibrate_fits_the_2013_round_and_checks_it(runner, scenarios):
    """`saylau calibrate` on the 2013 round fits loyalty, attendance and persistence, gives the
    joint region, the fit with persistence held at 0, the model check of every published
    figure (3 ties, 37 one-vote wins, 2,454 elected, no failed sitting, the 1,747 incumbents
    as a bound) and what the counts cannot identify, in JSON and as a table."""
    file = str(scenarios / "simulations/kz-2013-maslikhat.toml")
    args = ["calibrate", file, "--runs", "10", "--check-runs", "50"]
    result = runner.invoke(main, [*args, "--format", "json"])
    assert result.exit_code == 0, result.output
    d = json.loads(result.stdout)
    assert set(d["fitted"]) == {"loyalty", "attendance", "persistence"}
    assert set(d["region_95"]) == set(d["fitted"])
    assert d["critical_95"] == pytest.approx(7.8147, abs=1e-3)
    assert [(r["parameter"], r["held_at"]) for r in d["restricted"]] == [("persistence", 0.0)]
    assert {k: v["published"] for k, v in d["targets"].items()} == {
        "ties": 3, "one_vote_margins": 37, "elected": 2454}
    assert all(sum(v["simulated"].values()) == 10 for v in d["targets"].values())
    rows = {r["figure"]: r for r in d["model_check"]["rows"]}
    assert {k: r["published"] for k, r in rows.items()} == {
        "ties": 3, "one_vote_margins": 37, "elected": 2454, "failed": 0,
        "incumbents_reelected": 1747}
    assert rows["incumbents_reelected"]["relation"] == "at most"
    assert d["model_check"]["runs"] == 50
    assert d["verdict"]
    assert isinstance(d["cannot_identify"], list)
    table = runner.invoke(main, args)
    assert table.exit_code == 0, table.output
    assert "95% region (all parameters together)" in table.stdout
    assert "Model check: 50 rounds at the fit" in table.stdout
    assert "With persistence held at 0 the best distance is" in table.stdout
    sim = runner.invoke(main, ["simulate", file, "--runs", "20", "--seed", "2"])
    assert sim.exit_code == 0, sim.output
    assert "one vote margins          37" in sim.stdout


def test_the_fit_is_the_same_on_one_thread_or_two():
    """One seed gives the same trials, distances, fit and region on one thread or two: the
    trials are pure functions of the parameters, collected in order."""
    rnd = Round.even(20, 120, 60, 180)
    targets = {"ties": 2, "one_vote_margins": 10, "elected": 55}
    one = fit(rnd, INDIRECT, targets, runs=10, seed=3, jobs=1)
    two = fit(rnd, INDIRECT, targets, runs=10, seed=3, jobs=2)
    assert np.array_equal(one.grid, two.grid)
    assert np.array_equal(one.chi2, two.chi2)
    assert (one.point, one.region) == (two.point, two.region)
