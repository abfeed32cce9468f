"""The rule sets as encoded, and the vectorised decision against hand-checked races."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest

from engine.law.rules import PRESETS, Outcome, RuleSet, decide, preset

RURAL = PRESETS["kz-2021-rural"]

# The four 2021 by-elections of seed 003: candidate votes, against all, winner, margin.
BY_ELECTIONS = {
    "Aqqum": ([731, 153, 6, 3], 0, 0, 578),
    "Talaptan": ([1816, 94], 0, 0, 1722),
    "Ülken": ([732, 82, 46], 0, 0, 650),
    "Berşügır": ([473, 234, 6, 3], 4, 0, 239),
}


def _pad(rows: list[list[int]]) -> tuple[np.ndarray, np.ndarray]:
    k = max(len(r) for r in rows)
    return (np.array([r + [0] * (k - len(r)) for r in rows], np.int64),
            np.array([len(r) for r in rows]))


def test_the_2021_by_elections_are_decided_by_relative_majority():
    """Each 2021 by-election goes to the candidate with the most votes, by the published margin."""
    votes, n = _pad([v for v, *_ in BY_ELECTIONS.values()])
    aa = np.array([a for _, a, *_ in BY_ELECTIONS.values()])
    d = decide(votes, n, RURAL, against_all=aa)
    assert d.winner.tolist() == [w for *_, w, _ in BY_ELECTIONS.values()]
    assert d.margin_votes.tolist() == [m for *_, m in BY_ELECTIONS.values()]
    assert d.runner_up.tolist() == [1, 1, 1, 1]
    assert (d.outcome == Outcome.ELECTED).all()


def test_against_all_does_not_change_the_winner_under_kz_2021():
    """Against all topping the poll still elects the leading candidate (effect 'none')."""
    d = decide(np.array([[40, 30]]), [2], RURAL, against_all=np.array([100]))
    assert d.winner.tolist() == [0]
    assert d.outcome.tolist() == [Outcome.ELECTED]


def test_fails_if_top_fails_the_race_when_against_all_beats_every_candidate():
    """Under the 'fails_if_top' alternative, against all above the leader fails the race."""
    rules = RURAL.replace(against_all_effect="fails_if_top")
    d = decide(np.array([[40, 30], [40, 30]]), [2, 2], rules, against_all=np.array([41, 40]))
    assert d.outcome.tolist() == [Outcome.FAILED_AGAINST_ALL, Outcome.ELECTED]
    assert d.winner.tolist() == [-1, 0]


def test_fails_if_majority_needs_more_than_half_of_the_valid_votes():
    """'fails_if_majority' fails a race only when against all holds more than half of valid."""
    rules = RURAL.replace(against_all_effect="fails_if_majority")
    d = decide(np.array([[40, 30], [40, 31]]), [2, 2], rules, against_all=np.array([71, 70]))
    assert d.outcome.tolist() == [Outcome.FAILED_AGAINST_ALL, Outcome.ELECTED]


def test_there_is_no_turnout_threshold_under_kz_2021():
    """A 1% turnout still elects (commission statement 2021: no minimum turnout)."""
    d = decide(np.array([[5, 3]]), [2], RURAL, cast=np.array([8]), registered=np.array([800]))
    assert d.outcome.tolist() == [Outcome.ELECTED]


def test_min_turnout_compares_exactly_at_the_threshold():
    """At exactly half the race stands; one ballot short of half it fails."""
    rules = RURAL.replace(min_turnout="1/2")
    d = decide(np.array([[300, 200], [299, 200]]), [2, 2], rules,
               cast=np.array([500, 499]), registered=np.array([1000, 1000]))
    assert d.outcome.tolist() == [Outcome.ELECTED, Outcome.FAILED_TURNOUT]
    assert rules.min_turnout == Fraction(1, 2)


def test_a_majority_threshold_decides_direct_elections_too():
    """Under 'majority_present' a direct race needs more than half of the ballots cast (50 of
    100 is not enough, 51 is); unknown cast leaves the rule unapplied; 'majority_seats' counts
    registered voters."""
    rules = RURAL.replace(threshold="majority_present")
    votes = np.array([[50, 30, 20], [51, 29, 20], [40, 35, 25], [40, 35, 25]])
    d = decide(votes, [3] * 4, rules, cast=np.array([100, 100, 100, -1]),
               registered=np.array([200] * 4))
    assert d.outcome.tolist() == [Outcome.FAILED_MAJORITY, Outcome.ELECTED,
                                  Outcome.FAILED_MAJORITY, Outcome.ELECTED]
    assert d.winner.tolist() == [-1, 0, -1, 0]
    seats = RURAL.replace(threshold="majority_seats")
    d = decide(np.array([[101, 0], [100, 0]]), [2, 2], seats, cast=np.array([101, 100]),
               registered=np.array([200, 200]))
    assert d.outcome.tolist() == [Outcome.ELECTED, Outcome.FAILED_MAJORITY]


def test_a_tie_for_first_place_means_a_repeat_election():
    """Two leaders with equal votes: no winner, outcome tie, margin zero."""
    d = decide(np.array([[50, 50, 10]]), [3], RURAL)
    assert d.tie.tolist() == [True]
    assert d.outcome.tolist() == [Outcome.TIE]
    assert d.winner.tolist() == [-1]
    assert d.margin_votes.tolist() == [0]


def test_padding_past_the_last_candidate_never_wins():
    """Zero-padded columns of a shorter ballot cannot lead, even when every candidate has 0."""
    d = decide(np.array([[0, 0, 0]]), [1], RURAL)
    assert d.winner.tolist() == [0]
    assert d.outcome.tolist() == [Outcome.UNCONTESTED]


def test_decide_takes_leading_dimensions_for_simulation_runs():
    """A (runs, races, K) array is decided in one call, each run as it would be alone."""
    rng = np.random.default_rng(7)
    votes = rng.integers(0, 100, (50, 9, 4))
    n = rng.integers(1, 5, 9)
    whole = decide(votes, n, RURAL)
    for run in (0, 17, 49):
        alone = decide(votes[run], n, RURAL)
        assert whole.winner[run].tolist() == alone.winner.tolist()
        assert whole.margin_votes[run].tolist() == alone.margin_votes.tolist()


def test_decide_matches_a_plain_python_reference():
    """The vectorised decision equals a slow obvious one on seeded random races."""
    rng = np.random.default_rng(3)
    votes = rng.integers(0, 6, (400, 4))
    n = rng.integers(1, 5, 400)
    d = decide(votes, n, RURAL)
    for r in range(400):
        v = votes[r, : n[r]].tolist()
        top = max(v)
        leaders = [i for i, x in enumerate(v) if x == top]
        rest = sorted(v, reverse=True)
        margin = rest[0] - rest[1] if len(rest) > 1 else rest[0]
        assert d.tie[r] == (len(leaders) > 1)
        assert d.winner[r] == (-1 if len(leaders) > 1 else leaders[0])
        assert d.margin_votes[r] == margin


def test_unknown_preset_names_the_known_ones():
    """Asking for a preset that does not exist lists the ones that do."""
    with pytest.raises(KeyError, match="kz-2021-rural"):
        preset("kz-1999")


def test_rule_fields_are_validated():
    """A rule set refuses an against-all effect the law does not know."""
    with pytest.raises(ValueError, match="must be one of"):
        RuleSet(name="x", against_all_effect="sometimes")


def test_a_race_without_candidates_elects_nobody():
    """A race without candidates elects nobody, whatever against all holds (outcome: no
    candidates); the race beside it is decided as usual."""
    votes = np.zeros((2, 3), dtype=np.int64)
    votes[1, :2] = (5, 3)
    d = decide(votes, np.array([0, 2]), PRESETS["kz-2021-rural"], against_all=np.array([4, 1]))
    assert d.winner.tolist() == [-1, 0]
    assert d.outcome.tolist() == [Outcome.NO_CANDIDATES, Outcome.ELECTED]
