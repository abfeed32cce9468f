"""Multi-cycle runs: the term limit at its edges, no overlapping terms, every date the legal
calendar's, irregularities in every election, reproducibility."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import attrs
import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from cli.main import main
from engine.formats.model_table import Irregularities
from engine.law.calendar import early_timetable, regular_timetable, regular_vote_date
from engine.law.dates import term_end
from engine.law.days import day_number, on
from engine.law.rules import preset
from engine.law.terms import Term, next_term, terminate
from engine.simulation.cycles import EXIT_REASONS, CycleModel, history, run_cycles
from engine.simulation.draws import KERNEL
from engine.simulation.model import Model

RULES = preset("kz-2021-rural")
LIMIT = EXIT_REASONS.index("term limit")
FIRST = dt.date(2021, 7, 25)


def _model(races: int = 3, candidates: int = 2, noise: bool = False) -> Model:
    """Two precincts per race; candidate 1 leads clearly (no ties: one election per term)."""
    inf = float("inf")
    shares = np.zeros((races, candidates + 1))
    shares[:, 0] = 0.7
    shares[:, 1:candidates] = 0.3 / (candidates - 1)
    return Model.build(race=np.repeat(np.arange(races), 2), registered=np.full(2 * races, 400),
                       n_candidates=np.full(races, candidates), share_mean=shares,
                       turnout_concentration=50.0 if noise else inf,
                       share_concentration=30.0 if noise else inf,
                       swing_sd=0.1 if noise else 0.0, invalid_rate=0.0, against_all=False)


def test_a_sure_incumbent_serves_two_terms_then_the_seat_opens() -> None:
    """Stand always, an overwhelming advantage, no early ends: the limit alone moves akims."""
    m = _model()
    cm = CycleModel.of(RULES, m.n_races, 5, first_vote=FIRST, stand=1.0, advantage=8.0, early=0.0)
    s = run_cycles(m, RULES, cm, 128, seed=3)
    races = 128 * m.n_races
    assert s.elections.tolist() == [races] * 5
    assert s.failed.sum() == 0
    # cycle 1 all open; 2: every first-term akim re-elected; 3: every one barred; and so on
    assert s.open_seats.tolist() == [races, 0, races, 0, races]
    assert s.incumbent_won.tolist() == [0, races, 0, races, 0]
    assert s.term_limited.tolist() == [0, 0, races, 0, races]
    assert s.exits[:, LIMIT].tolist() == [0, 0, races, 0, races]
    assert s.winner_term[:, 1].tolist() == [races, 0, races, 0, races]
    assert s.winner_term[:, 2].tolist() == [0, races, 0, races, 0]
    assert s.winner_term[:, 3:].sum() == 0
    assert s.exit_served[:, 2].tolist() == [0, 0, races, 0, races]


def test_an_akim_who_already_served_two_terms_is_barred_at_once() -> None:
    """An akim who comes in with two terms served may not stand in the first cycle; one with
    a single term may, and wins a second."""
    m = _model()
    cm = CycleModel.of(RULES, m.n_races, 2, first_vote=FIRST, stand=1.0, advantage=8.0, early=0.0,
                       incumbent=[0, 1, -1], served=[2, 1, 0])
    s = run_cycles(m, RULES, cm, 64, seed=1)
    assert s.term_limited[0] == 64            # race 0's akim is barred
    assert s.incumbent_won[0] == 64           # race 1's akim wins a second term
    assert s.open_seats[0] == 2 * 64          # races 0 and 2
    assert s.winner_term[0, 2] == 64


def test_no_one_stands_when_the_propensity_is_zero() -> None:
    """With no propensity to stand no akim stands again: no incumbent wins, and each sitting
    akim leaves as one who did not stand."""
    m = _model()
    cm = CycleModel.of(RULES, m.n_races, 3, first_vote=FIRST, stand=0.0, early=0.0)
    s = run_cycles(m, RULES, cm, 64, seed=2)
    assert s.stood.sum() == 0
    assert s.incumbent_won.sum() == 0
    assert s.exits[1:, EXIT_REASONS.index("did not stand")].tolist() == [3 * 64, 3 * 64]


@given(st.integers(0, 2**32 - 1), st.floats(0, 1), st.floats(-2, 4), st.floats(0, 0.5),
       st.integers(1, 5), st.integers(2, 4))
def test_no_person_ever_holds_more_than_two_consecutive_terms(seed, stand, advantage, early,
                                                              cycles, candidates) -> None:
    """In every simulated history: elections of a race are strictly ordered in time, and the
    same person never wins more than two elections in a row (repeats of failed votes aside)."""
    m = _model(races=2, candidates=candidates, noise=True)
    cm = CycleModel.of(RULES, m.n_races, cycles, first_vote=FIRST, stand=stand,
                       advantage=advantage, early=early)
    h = history(m, RULES, cm, seed)
    _, n, r = h.day.shape
    for run in range(n):
        for race in range(r):
            act = h.active[:, run, race]
            votes = h.day[act, run, race]
            assert (np.diff(votes) > 0).all()
            assert votes[0] == day_number(FIRST)
            people = [p for p in h.person[act, run, race] if p >= 0]
            terms = [t for t in h.term[act, run, race] if t > 0]
            streak = 0
            for i, p in enumerate(people):
                streak = streak + 1 if i and p == people[i - 1] else 1
                assert streak <= 2
                assert terms[i] == streak  # the engine's own term count agrees
    assert h.term.max() <= 2


def test_every_race_is_elected_once_per_cycle_without_early_ends_or_failures() -> None:
    """Without early ends or failed votes each race is elected once a cycle, on the regular
    votes of the legal calendar: 2021-07-25, then the latest Sunday ten days before each term
    ends (terms from the day after the vote, then each from the day after the last)."""
    m = _model()
    cm = CycleModel.of(RULES, m.n_races, 4, first_vote=FIRST, early=0.0)
    h = history(m, RULES, cm, 5)
    assert h.active.sum(axis=0).tolist() == np.full((64, m.n_races), 4).tolist()
    assert [on(d).isoformat() for d in sorted(set(h.day[h.active].tolist()))] == [
        "2021-07-25", "2025-07-13", "2029-07-15", "2033-07-10"]
    assert [d.isoformat() for d in cm.cycle_starts()] == [
        "2021-07-25", "2025-07-13", "2029-07-15", "2033-07-10", "2037-07-12"]


def test_early_terminations_bring_early_elections_and_new_full_terms() -> None:
    """Akims dismissed early leave as dismissed and bring early elections: some cycles hold more
    elections than races. A dismissal too close to the regular vote for an early one (its early
    vote would come on or after it) is filled at the regular vote instead."""
    m = _model()
    cm = CycleModel.of(RULES, m.n_races, 3, first_vote=FIRST, early=0.5)
    s = run_cycles(m, RULES, cm, 256, seed=4)
    assert s.early.sum() > 0
    dismissed = s.exits[:, EXIT_REASONS.index("dismissed")]
    assert (dismissed >= s.early).all()
    assert (dismissed - s.early).sum() > 0
    assert (s.elections > 256 * m.n_races).any()  # more than one election in some cycles


def test_the_same_seed_gives_the_same_counts_for_any_jobs_and_chunks() -> None:
    """One seed gives the same counts on one thread or two and in any chunks; another seed does
    not."""
    m = _model(noise=True)
    cm = CycleModel.of(RULES, m.n_races, 3, first_vote=FIRST)
    a = run_cycles(m, RULES, cm, 300, seed=9, jobs=1)
    b = run_cycles(m, RULES, cm, 300, seed=9, jobs=2, chunk_runs=64)
    c = run_cycles(m, RULES, cm, 300, seed=10, jobs=2)
    fields = ("elections", "stood", "incumbent_won", "winner_term", "exits", "exit_served")
    assert all(np.array_equal(getattr(a, f), getattr(b, f)) for f in fields)
    assert not all(np.array_equal(getattr(a, f), getattr(c, f)) for f in fields)


def test_saylau_simulate_cycles_prints_per_cycle_turnover(runner, scenarios: Path) -> None:
    """`saylau simulate --cycles` prints a line per cycle with its dates on the legal calendar,
    from 2021-07-25; every seat is open in the first cycle, and the term limit first bites in
    the third (2029)."""
    file = str(scenarios / "simulations/kz-rural-2021-2037.toml")
    result = runner.invoke(main, ["simulate", file, "--cycles", "4", "--runs", "64",
                                  "--seed", "1"])
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[1] == ("4 cycles of 4-year terms on the kz-2021-rural timetable · 64 runs x "
                        "730 races · seed 1 · kernel " + KERNEL)
    assert [x.split()[:3] for x in lines[4:] if x[:1].isdigit()] == [
        ["1", "2021-07-25", "2025-07-12"], ["2", "2025-07-13", "2029-07-14"],
        ["3", "2029-07-15", "2033-07-09"], ["4", "2033-07-10", "2037-07-11"]]
    as_json = runner.invoke(main, ["simulate", file, "--cycles", "4", "--runs", "64", "--seed",
                                   "1", "--format", "json"])
    d = json.loads(as_json.stdout)
    first, second, third = d["per_cycle"][:3]
    assert (first["from"], first["to"]) == ("2021-07-25", "2025-07-12")
    assert first["early_elections_from"] >= "2021-07-25"
    assert first["early_elections_to"] <= "2025-07-12"
    assert first["share_open_seats"] == 1.0
    assert first["incumbents_won"] == 0
    assert second["term_limited"] == 0
    assert third["term_limited"] > 0  # the limit bites in 2029
    assert sum(third["winners_by_term"].values()) == third["won"]


def test_a_replay_says_when_the_winner_would_be_barred(runner, scenarios: Path,
                                                       tmp_path: Path) -> None:
    """Semey 2025's winner held no term before: he may stand in 2029. Had he held one, the
    2029 vote would be barred to him."""
    semey = scenarios / "historical/semey-2025.toml"
    out = " ".join(runner.invoke(main, ["replay", str(semey)]).stdout.split())  # unwrapped
    assert ("Ädilet Qojanbaev starts consecutive term 1 of at most 2: may stand at the next "
            "regular vote (about 2029-09-30)") in out
    second = tmp_path / "semey.toml"
    second.write_text(semey.read_text(encoding="utf-8").replace("terms_held = 0", "terms_held = 1"),
                      encoding="utf-8")
    d = json.loads(runner.invoke(main, ["replay", str(second), "--format", "json"]).stdout)
    assert d["races"][0]["winner_term"] == {"term": 2, "limit": 2, "may_stand_next": False,
                                            "next_regular_vote": "2029-09-30"}


def test_a_repeat_of_a_failed_vote_keeps_the_incumbents_choice() -> None:
    """Ties (equal candidates, no noise) force repeats; a repeat is not a new choice to count:
    stood + not stood equals the seats with a sitting akim, once per election."""
    inf = float("inf")
    m = Model.build(race=np.arange(4), registered=np.full(4, 20), n_candidates=np.full(4, 2),
                    turnout_concentration=inf, share_concentration=inf, swing_sd=0.0,
                    invalid_rate=0.0, against_all=False, turnout_mean=1.0)
    cm = CycleModel.of(RULES, m.n_races, 3, first_vote=FIRST, stand=0.5, early=0.0)
    s = run_cycles(m, RULES, cm, 128, seed=8)
    assert s.repeats.sum() > 0
    assert (s.repeats == s.failed).all()  # every failed vote is repeated within its cycle
    assert (s.open_seats + s.stood == s.elections - s.repeats).all()


def _check_history_against_the_law(h, cm: CycleModel, rules: str) -> int:
    """Every election of every race of ``h``, step by step, against the engine's scalar law:
    Term, terminate, next_term, regular_vote_date, and the early timetable (legal, no error).
    Returns the number of early terminations seen."""
    horizon = cm.cycle_starts()[-1]
    seen = 0
    _, n, r = h.day.shape
    for run in range(n):
        for race in range(r):
            rows = np.flatnonzero(h.active[:, run, race])
            previous: Term | None = None       # the term served before the next vote
            expected = cm.first_vote
            for i in rows:
                vote = on(h.day[i, run, race])
                assert vote == expected
                assert vote < horizon
                if h.winner[i, run, race] < 0:      # failed: repeated on the early timetable
                    expected = early_timetable(vote, rules).vote_date
                    assert h.repeat[i + 1, run, race] if i + 1 < len(h.day) else True
                    continue
                start = on(h.start[i, run, race])
                won = next_term("x", vote, rules, previous=previous)
                assert start == won.start
                assert previous is None or start > previous.end  # terms never overlap
                full = Term(start=start, end=term_end(start, cm.term_years))
                regular = regular_vote_date(full, rules)
                regular_timetable(full, rules, vote=regular)    # legal: raises otherwise
                end = on(h.end[i, run, race])
                if h.terminated[i, run, race]:
                    seen += 1
                    previous = terminate(full, end)             # within the term
                    assert end < regular
                    early = early_timetable(end, rules)         # legal: raises otherwise
                    expected = min(early.vote_date, regular)
                    goes_early = early.vote_date < regular
                    if i + 1 < len(h.day) and h.active[i + 1, run, race]:
                        assert h.early[i + 1, run, race] == goes_early
                else:
                    assert end == full.end
                    previous = full
                    expected = regular
            assert expected >= horizon  # the next vote falls past the last cycle
    return seen


@settings(max_examples=25)
@given(st.integers(0, 2**32 - 1), st.floats(0.05, 0.9), st.integers(1, 3),
       st.sampled_from(["kz-2021-rural", "kz-2023-district"]),
       st.dates(dt.date(2019, 1, 1), dt.date(2032, 12, 31)), st.booleans())
def test_every_date_of_a_history_is_the_laws(seed, early, cycles, rules, first, ties) -> None:
    """For random early terminations (and, with ties, repeated votes), every simulated vote,
    term start, term end and early election agrees with the engine's terms and timetable:
    next_term, terminate, regular_vote_date, early_timetable, and each vote is legal."""
    ruleset = preset(rules)
    m = _tied_model() if ties else _model(races=2, noise=True)
    cm = CycleModel.of(ruleset, m.n_races, cycles, first_vote=first, early=early)
    h = history(m, ruleset, cm, seed)
    seen = _check_history_against_the_law(h, cm, rules)
    assert seen > 0 or early * 64 * m.n_races * cycles < 20


def _tied_model() -> Model:
    """Two equal candidates and 20 voters who all vote: ties are frequent, so votes repeat."""
    inf = float("inf")
    return Model.build(race=np.arange(2), registered=np.full(2, 20), n_candidates=np.full(2, 2),
                       turnout_concentration=inf, share_concentration=inf, swing_sd=0.0,
                       invalid_rate=0.0, against_all=False, turnout_mean=1.0)


def test_irregularities_are_injected_in_every_cycle(runner, scenarios, tmp_path) -> None:
    """[model.irregularities] apply to every election of --cycles as to a single one: with
    extreme fraud in every precinct each precinct of each election is counted, and the CLI
    says what was injected."""
    m = _model(noise=True)
    dirty = attrs.evolve(m, irregularities=Irregularities(extreme=1.0, spread=0.01))
    cm = CycleModel.of(RULES, m.n_races, 2, first_vote=FIRST, early=0.2)
    s = run_cycles(dirty, RULES, cm, 128, seed=2)
    assert s.fraud_precincts.tolist() == (2 * s.elections).tolist()  # two precincts a race
    assert run_cycles(m, RULES, cm, 128, seed=2).fraud_precincts.sum() == 0
    text = (scenarios / "simulations/kz-rural-2021-2037.toml").read_text(encoding="utf-8")
    f = tmp_path / "fraud.toml"
    f.write_text(text.replace('from = "../', f'from = "{scenarios.as_posix()}/').replace(
        "[[model.generate]]", "[model.irregularities]\nincremental = 0.1\nstuffing = 0.3\n\n"
        "[[model.generate]]", 1), encoding="utf-8")
    result = runner.invoke(main, ["simulate", str(f), "--cycles", "1", "--runs", "64",
                                  "--format", "json"])
    assert result.exit_code == 0, result.output
    d = json.loads(result.stdout)
    assert d["irregularities"]["incremental"] == 0.1
    assert d["per_cycle"][0]["precincts_with_irregularities"] > 0


def test_cycles_need_the_first_votes_date(runner, tmp_path) -> None:
    """--cycles without [election] date is one line naming election.date, exit 2."""
    f = tmp_path / "nodate.toml"
    f.write_text('[election]\nname = "x"\nrules = "kz-2021-rural"\n[[race]]\nid = "a"\n'
                 'registered = 100\n[[race.candidate]]\nname = "A"\n[[race.candidate]]\n'
                 'name = "B"\n', encoding="utf-8")
    result = runner.invoke(main, ["simulate", str(f), "--cycles", "2", "--runs", "64"])
    assert result.exit_code == 2
    assert result.stderr == ("error: nodate.toml: election.date: --cycles dates every election "
                             "from the first vote; give the election's date\n")
