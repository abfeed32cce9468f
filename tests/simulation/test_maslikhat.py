"""Indirect election by maslikhat deputies: quorum, thresholds, the re-vote, a simulated round,
and the method of simulated moments recovering parameters it simulated itself."""

from __future__ import annotations

import json

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from cli.main import main
from engine.law.indirect import decide_rounds
from engine.law.rules import Outcome, decide, preset
from engine.simulation.fit import fit
from engine.simulation.indirect import Round, _votes, simulate_round

INDIRECT = preset("kz-2013-indirect")


def _decide(votes, seats, present, rules=INDIRECT):
    v = np.array([votes])
    return decide(v, [len(votes)], rules, cast=np.array([present]),
                  registered=np.array([seats]))


@pytest.mark.parametrize(("present", "outcome"),
                         [(10, Outcome.ELECTED), (9, Outcome.FAILED_QUORUM)])
def test_the_quorum_is_two_thirds_of_the_seats_at_its_edge(present, outcome):
    """15 seats: 10 deputies present are exactly two thirds; 9 are not."""
    d = _decide([present - 2, 2], seats=15, present=present)
    assert d.outcome[0] == outcome
    assert (d.winner[0] == 0) == (outcome == Outcome.ELECTED)


@pytest.mark.parametrize(("threshold", "votes", "outcome"), [
    ("plurality", [5, 4, 3], Outcome.ELECTED),
    ("majority_present", [6, 3, 3], Outcome.FAILED_MAJORITY),   # 6 of 12 present: not more
    ("majority_present", [7, 3, 2], Outcome.ELECTED),
    ("majority_seats", [7, 3, 2], Outcome.FAILED_MAJORITY),     # 7 of 15 seats
    ("majority_seats", [8, 2, 2], Outcome.ELECTED),
])
def test_thresholds(threshold, votes, outcome):
    """Plurality elects the leader; a majority of those present needs more than half of the 12
    present, a majority of seats more than half of the 15 seats."""
    d = _decide(votes, seats=15, present=12, rules=INDIRECT.replace(threshold=threshold))
    assert d.outcome[0] == outcome


def test_a_tie_goes_to_one_revote_among_the_tied():
    """A tie for first place goes to one re-vote among the tied: a re-vote that breaks it elects;
    one tied again, or not held, leaves the tie."""
    votes = np.array([[5, 5, 2], [5, 5, 2], [4, 4, 4]])
    revote = np.array([[7, 5, 9], [6, 6, -1], [-1, -1, -1]])  # third candidate's 9 is ignored
    d = decide_rounds(votes, np.array([3, 3, 3]), INDIRECT, present=np.full(3, 12),
                      seats=np.full(3, 15), revote=revote)
    assert d.outcome.tolist() == [Outcome.ELECTED, Outcome.TIE, Outcome.TIE]
    assert d.winner.tolist() == [0, -1, -1]
    assert d.margin_votes[0] == 2


def test_aksay_2017_tied_twice(runner, scenarios):
    """SOURCES.md: 5-5, then 5-5 again: a repeat election."""
    out = runner.invoke(main, ["replay", str(scenarios / "historical/aksay-2017.toml"),
                               "--format", "json"])
    race = json.loads(out.stdout)["races"][0]
    assert (race["outcome"], race["winner"], race["tie"]) == ("tie", None, True)


def test_a_revote_that_breaks_the_tie_elects(runner, scenarios, tmp_path):
    """Aksay 2017 with its re-vote changed to 6 against 4: Candidate 1 is elected by 2 votes."""
    text = (scenarios / "historical/aksay-2017.toml").read_text(encoding="utf-8")
    f = tmp_path / "aksay.toml"
    f.write_text(text.replace("revote = 5\n\n[[race.candidate]]", "revote = 6\n\n"
                              "[[race.candidate]]", 1).replace("revote = 5", "revote = 4"),
                 encoding="utf-8")
    race = json.loads(runner.invoke(main, ["replay", str(f), "--format", "json"]).stdout)
    assert race["races"][0]["winner"] == "Candidate 1"
    assert race["races"][0]["margin_votes"] == 2


@given(st.integers(1, 6), st.integers(1, 20), st.integers(2, 5), st.integers(0, 2**32 - 1))
def test_every_deputy_present_casts_exactly_one_ballot(n, d, k, seed):
    """In a simulated vote each deputy present casts one ballot and an absent one none."""
    rng = np.random.default_rng(seed)
    choice = rng.integers(0, k, (n, 3, d))
    present = rng.random((n, 3, d)) < 0.7
    votes = _votes(choice, present, k)
    assert (votes.sum(axis=-1) == present.sum(axis=-1)).all()
    assert (votes >= 0).all()


@given(st.integers(2, 6), st.integers(3, 15), st.floats(0, 1), st.floats(0, 1),
       st.integers(0, 2**32 - 1))
def test_every_race_of_a_round_ends_one_way(maslikhats, seats, loyalty, attendance, seed):
    """Each simulated race ends one way only (elected, tied, no quorum or no majority), and a
    one-vote margin is always an election."""
    rnd = Round.even(maslikhats, maslikhats * seats, 3 * maslikhats, 8 * maslikhats)
    c = simulate_round(rnd, INDIRECT, loyalty=loyalty, attendance=attendance, runs=20,
                       seed=seed)
    total = c.elected + c.ties + c.failed_quorum + c.failed_majority
    assert (total == rnd.n_races).all()
    assert (c.one_vote_margins <= c.elected).all()


def test_an_even_round_splits_the_published_totals():
    """An even round shares out exactly the published seats, races and candidates: 2,602 seats
    in maslikhats of 13 or 14."""
    rnd = Round.even(188, 2602, 2457, 6738)
    assert (rnd.seats.sum(), rnd.n_races, rnd.n_candidates.sum()) == (2602, 2457, 6738)
    assert set(rnd.seats.tolist()) == {13, 14}
    assert np.bincount(rnd.maslikhat).sum() == 2457


def test_the_same_seed_draws_the_same_round_whatever_the_parameters():
    """One seed draws the same round; with common random numbers a slightly more loyal
    maslikhat changes at most 3 races."""
    rnd = Round.even(10, 140, 130, 350)
    a = simulate_round(rnd, INDIRECT, loyalty=0.7, attendance=0.9, runs=30, seed=4)
    b = simulate_round(rnd, INDIRECT, loyalty=0.7, attendance=0.9, runs=30, seed=4)
    assert np.array_equal(a.one_vote_margins, b.one_vote_margins)
    # common random numbers: a slightly more loyal maslikhat changes few races
    c = simulate_round(rnd, INDIRECT, loyalty=0.71, attendance=0.9, runs=30, seed=4)
    assert np.abs(c.elected - a.elected).max() <= 3


def test_the_fit_recovers_parameters_from_a_round_it_simulated_itself():
    """Fitted to a round it simulated itself, the method of simulated moments holds the true
    loyalty and attendance in its region, and the fit is not rejected."""
    rnd = Round.even(40, 560, 520, 1400)
    truth = {"loyalty": 0.7, "attendance": 0.92}
    observed = simulate_round(rnd, INDIRECT, runs=1, seed=123, **truth)
    targets = {name: int(observed.stat(name)[0])
               for name in ("ties", "one_vote_margins", "elected")}
    f = fit(rnd, INDIRECT, targets, runs=40, seed=7)
    for p, value in truth.items():
        lo, hi = f.region[p]
        assert lo <= value <= hi, (p, f.region, f.point)
    assert f.distance <= f.critical


def test_saylau_calibrate_reports_the_fit_beside_the_published_counts(runner, scenarios):
    """`saylau calibrate` gives the fitted loyalty and attendance and each published count
    beside its simulated distribution; simulate shows the published 37 one-vote margins too."""
    file = str(scenarios / "simulations/kz-2013-maslikhat.toml")
    result = runner.invoke(main, ["calibrate", file, "--runs", "10", "--format", "json"])
    assert result.exit_code == 0, result.output
    d = json.loads(result.stdout)
    assert set(d["fitted"]) == {"loyalty", "attendance"}
    assert {k: v["published"] for k, v in d["targets"].items()} == {
        "ties": 3, "one_vote_margins": 37, "elected": 2454}
    assert all(sum(v["simulated"].values()) == 10 for v in d["targets"].values())
    sim = runner.invoke(main, ["simulate", file, "--runs", "20", "--seed", "2"])
    assert sim.exit_code == 0, sim.output
    assert "one vote margins          37" in sim.stdout
