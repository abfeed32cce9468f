"""Indirect election by maslikhat deputies: quorum, thresholds, the re-vote, and a simulated
round against its deputy-by-deputy reference."""

from __future__ import annotations

import json

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cli.main import main
from engine.law.indirect import decide_rounds
from engine.law.rules import Outcome, decide, preset
from engine.simulation.indirect import (
    Deputies,
    Round,
    RoundCounts,
    block_deck,
    n_blocks,
    round_block,
    simulate_round,
)
from engine.simulation.indirect_votes import CLASSES, Kernel, classify, vote_counts

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
    votes = vote_counts(choice, present, k)
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


def _reference(rnd: Round, deputies: Deputies, deck) -> dict[str, np.ndarray]:
    """The slow reference: race after race, deputy after deputy, on the same uniforms."""
    def t(p: float) -> int:
        return min(1 << 16, round(p * (1 << 16)))

    n, k = deck.runs, rnd.max_candidates
    out = {c: np.zeros(n, np.int64) for c in (*CLASSES, "first_round_ties")}
    loyal_t, attend_t, keep_t = t(deputies.loyalty), t(deputies.attendance), \
        t(deputies.persistence)
    for i in range(n):
        for r in range(rnd.n_races):
            m, kc = int(rnd.maslikhat[r]), int(rnd.n_candidates[r])
            seats = int(rnd.seats[m])
            present = [d for d in range(seats) if deck.attend[i, m, d] < attend_t]
            first = {d: 0 if deck.loyal[i, r, d] < loyal_t else int(deck.other[i, r, d])
                     for d in present}
            votes = np.zeros(k, np.int64)
            for d in present:
                votes[first[d]] += 1
            size = {"present": np.array([len(present)]), "seats": np.array([seats])}
            d1 = decide(votes[None], [kc], INDIRECT, cast=size["present"],
                        registered=size["seats"])
            again = None
            if d1.outcome[0] == Outcome.TIE:
                out["first_round_ties"][i] += 1
                tied = [j for j in range(kc) if votes[j] == votes[:kc].max()]
                others = [j for j in tied if j != 0]
                again = np.full((1, k), -1, np.int64)
                again[0, tied] = 0
                for d in present:
                    if first[d] in tied and deck.keep[i, r, d] < keep_t:
                        choice = first[d]
                    elif 0 in tied and (deck.loyal2[i, r, d] < loyal_t or not others):
                        choice = 0
                    else:
                        choice = others[(int(deck.pick2[i, r, d]) * len(others)) >> 16]
                    again[0, choice] += 1
            final = decide_rounds(votes[None], np.array([kc]), INDIRECT, revote=again,
                                  present=size["present"], seats=size["seats"])
            code = int(classify(final)[0])
            for b, c in enumerate(CLASSES):
                out[c][i] += (code >> b) & 1
    return out


def _reference_by_part(rnd: Round, deputies: Deputies, decks) -> dict[str, np.ndarray]:
    """The reference of each part of the round (its maslikhats of one width), added."""
    parts = [_reference(p, deputies, d) for p, d in zip(rnd.parts(), decks, strict=True)]
    return {k: sum(p[k] for p in parts) for k in parts[0]}


def test_a_round_is_cut_by_the_width_of_its_maslikhats():
    """One 19-seat body among 14-seat ones: two parts, each maslikhat with all its races, the
    races' candidates and the bodies' seats kept."""
    rnd = Round(seats=np.array([14, 19, 13]), maslikhat=np.array([1, 0, 1, 2, 0]),
                n_candidates=np.array([2, 3, 4, 5, 6]))
    narrow, wide = rnd.parts()
    assert (narrow.seats.tolist(), narrow.maslikhat.tolist(),
            narrow.n_candidates.tolist()) == ([14, 13], [0, 1, 0], [3, 5, 6])
    assert (wide.seats.tolist(), wide.maslikhat.tolist(),
            wide.n_candidates.tolist()) == ([19], [0, 0], [2, 4])
    assert Round.even(4, 56, 8, 20).parts()[0].seats.shape == (4,)


@settings(max_examples=25)
@given(st.lists(st.integers(1, 30), min_size=1, max_size=4), st.integers(1, 10),
       st.integers(2, 5), st.floats(0, 1), st.floats(0, 1), st.floats(0, 1),
       st.integers(0, 2**32 - 1))
def test_the_vectorised_round_equals_the_reference_deputy_by_deputy(
        seats, races, candidates, loyalty, attendance, persistence, seed):
    """Packed bits, looked-up decisions and the re-vote at the tied races only give exactly the
    counts of a loop over every race and deputy reading the same uniforms."""
    rng = np.random.default_rng(seed)
    rnd = Round(seats=np.array(seats), maslikhat=rng.integers(0, len(seats), races),
                n_candidates=rng.integers(2, candidates + 1, races))
    deputies = Deputies(loyalty=loyalty, attendance=attendance, persistence=persistence)
    fast = round_block(rnd, INDIRECT, deputies, seed, 0, 20)
    for name, counts in _reference_by_part(rnd, deputies, block_deck(rnd, seed, 0, 20)).items():
        assert np.array_equal(fast.stat(name), counts), name


def test_maslikhats_too_large_for_the_table_are_decided_as_drawn():
    """A 70-seat maslikhat with five candidates (too many vote vectors to decide in advance)
    is decided as drawn, with the same counts as the reference; words of 64 deputies and more
    hold them."""
    rnd = Round(seats=np.array([70, 9]), maslikhat=np.array([0, 0, 1]),
                n_candidates=np.array([5, 2, 3]))
    assert Kernel.of(rnd, INDIRECT).table is None
    deputies = Deputies(loyalty=0.25, attendance=0.75, persistence=1.0)
    fast = round_block(rnd, INDIRECT, deputies, 5, 0, 64)
    slow = _reference_by_part(rnd, deputies, block_deck(rnd, 5, 0, 64))
    assert fast.first_round_ties.sum() > 0
    for name, counts in slow.items():
        assert np.array_equal(fast.stat(name), counts), name


def test_deputies_who_keep_their_vote_keep_a_two_way_tie():
    """Two candidates, persistence 1: every first-round tie is tied again (the deputies repeat
    their votes); persistence 0 breaks most of them."""
    rnd = Round.even(50, 500, 200, 400)  # ten seats, two candidates
    keep = simulate_round(rnd, INDIRECT, loyalty=0.5, attendance=1.0, persistence=1.0,
                          runs=20, seed=3)
    fresh = simulate_round(rnd, INDIRECT, loyalty=0.5, attendance=1.0, persistence=0.0,
                           runs=20, seed=3)
    assert keep.first_round_ties.sum() > 100
    assert np.array_equal(keep.ties, keep.first_round_ties)
    assert np.array_equal(fresh.first_round_ties, keep.first_round_ties)  # same first round
    assert fresh.ties.sum() < keep.ties.sum() / 2


def test_a_round_is_the_same_in_blocks_drawn_apart_or_together():
    """Block b of a round is the same whether drawn in a 130-run simulation or on its own:
    a runner may hand out blocks in any order and concatenate them."""
    rnd = Round.even(10, 140, 130, 350)
    whole = simulate_round(rnd, INDIRECT, runs=130, seed=9)
    deputies = Deputies()
    parts = RoundCounts.concat([round_block(rnd, INDIRECT, deputies, 9, b, 130)
                                for b in reversed(range(n_blocks(130)))][::-1])
    for name in whole.__attrs_attrs__:
        assert np.array_equal(whole.stat(name.name), parts.stat(name.name))
