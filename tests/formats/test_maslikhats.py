"""[[maslikhat]] tables: one body of deputies, one sitting, electing several akims; its races take
its seats and deputies present; a simulated round keeps the bodies the file lists."""

from __future__ import annotations

import json

import pytest

from cli.main import main
from cli.replay_render import to_json
from engine.errors import ScenarioError
from engine.formats.scenario import load, loads
from engine.replay.run import replay
from engine.simulation.indirect_setup import indirect_setup
from tests.paths import INDIRECT_2013, SIMULATIONS

HEAD = '[election]\nname = "x"\nrules = "kz-2013-indirect"\n'


def _replay_json(s) -> str:
    """The replay JSON of a loaded scenario (the shape `saylau replay --format json` prints)."""
    return to_json(replay(s))


def _body(present: int = 12, extra: str = "") -> str:
    return (f'[[maslikhat]]\nid = "burlin"\nname = "Burlin district maslikhat"\n'
            f'area = ["West Kazakhstan Region", "Burlin District"]\nseats = 15\n'
            f"present = {present}\n{extra}")


def _race(rid: str, votes: tuple[int, int], extra: str = "") -> str:
    return (f'[[race]]\nid = "{rid}"\nmaslikhat = "burlin"\n{extra}'
            f'[[race.candidate]]\nname = "A"\nvotes = {votes[0]}\n'
            f'[[race.candidate]]\nname = "B"\nvotes = {votes[1]}\n')


def test_one_body_elects_two_akims_with_one_set_of_deputies():
    """Two races naming one maslikhat both take its 15 seats and 12 deputies present, and its
    area; the replay names the body under each race and lists it once, quorate."""
    s = loads(HEAD + _body() + _race("aksay", (7, 5)) + _race("kirov", (6, 6)), name="t.toml")
    assert [(r.registered, r.cast, r.area) for r in s.races] == [
        (15, 12, ("West Kazakhstan Region", "Burlin District"))] * 2
    d = json.loads(_replay_json(s))
    assert [r["maslikhat"] for r in d["races"]] == ["burlin", "burlin"]
    assert [r["turnout"] for r in d["races"]] == [80.0, 80.0]   # 12 of 15 present
    assert [r["outcome"] for r in d["races"]] == ["elected", "tie"]
    (body,) = d["maslikhats"]
    assert (body["seats"], body["present"], body["quorate"]) == (15, 12, True)
    assert body["races_in_file"] == ["aksay", "kirov"]


def test_areas_count_a_bodys_deputies_once_and_its_ballots_per_race():
    """Two akims elected by one maslikhat of 15 seats with 12 present, beside a race of another
    body: every area holds the body's 15 seats and 12 deputies once (not 30 and 24), while the
    ballots add up race by race (12 + 12 valid); a race of another body adds its own."""
    other = ('[[maslikhat]]\nid = "terekti"\nname = "Terekti district maslikhat"\n'
             'area = ["West Kazakhstan Region", "Terekti District"]\nseats = 11\npresent = 10\n'
             '[[race]]\nid = "fedorov"\nmaslikhat = "terekti"\n[[race.candidate]]\nname = "C"\n'
             'votes = 6\n[[race.candidate]]\nname = "D"\nvotes = 4\n')
    s = loads(HEAD + _body() + _race("aksay", (7, 5)) + _race("kirov", (6, 6)) + other,
              name="t.toml")
    areas = {tuple(a["path"]): a for a in json.loads(_replay_json(s))["areas"]}
    burlin = areas[("West Kazakhstan Region", "Burlin District")]
    assert (burlin["races"], burlin["registered"], burlin["cast"], burlin["valid"]) == (
        2, 15, 12, 24)
    assert burlin["turnout"] == 80.0
    region = areas[("West Kazakhstan Region",)]
    assert (region["races"], region["registered"], region["cast"], region["valid"]) == (
        3, 15 + 11, 12 + 10, 24 + 10)
    assert areas[()]["registered"] == region["registered"]


def test_a_sitting_without_its_quorum_elects_none_of_its_akims():
    """Nine deputies of 15 are below the two-thirds quorum (10): every race of the sitting fails
    for want of a quorum, and the replay says the body had no quorum."""
    s = loads(HEAD + _body(present=9) + _race("aksay", (7, 2)) + _race("kirov", (5, 4)),
              name="t.toml")
    rp = replay(s)
    assert rp.races.outcome.tolist() == [4, 4]  # Outcome.FAILED_QUORUM
    d = json.loads(_replay_json(s))
    assert d["maslikhats"][0]["quorate"] is False


def test_a_race_may_repeat_its_bodys_figures_and_keep_its_own_area():
    """A race giving the same seats and deputies present as its body is accepted; a race with
    an area of its own (a kind of post, say) keeps it."""
    s = loads(HEAD + _body() + _race("aksay", (7, 5), 'registered = 15\ncast = 12\n'
                                     'area = ["settlements"]\n'), name="t.toml")
    assert (s.races[0].registered, s.races[0].cast, s.races[0].area) == (
        15, 12, ("settlements",))


def test_files_without_bodies_keep_their_replay_shape(scenarios):
    """A file without [[maslikhat]] has no maslikhat keys in its replay (its golden stands)."""
    d = json.loads(_replay_json(load(scenarios / "historical/aksay-2017.toml")))
    assert "maslikhats" not in d
    assert "maslikhat" not in d["races"][0]


def test_the_2013_record_lists_uralsks_sitting(runner):
    """The 2013 record holds the one reported sitting: Uralsk's 19 deputies, all present,
    electing Kruglozernoe's and Zachagansk's akims unanimously."""
    result = runner.invoke(main, ["replay", str(INDIRECT_2013)])
    assert result.exit_code == 0, result.output
    assert "seats 19  present 19  quorate  3 posts filled, 2 in this file" in result.stdout
    rp = replay(load(INDIRECT_2013))
    assert rp.races.margin_votes.tolist() == [19, 19]
    assert not rp.mismatches


def test_a_simulated_round_keeps_the_listed_body_and_splits_the_rest():
    """The 2013 round: Uralsk's 19 seats elect its 3 akims among 9 candidates; the other 187
    maslikhats share the remaining seats, posts and candidates evenly; the totals are the
    published ones (188 maslikhats, 2,602 deputies, 2,457 races, 6,738 candidates)."""
    rnd = indirect_setup(load(SIMULATIONS / "kz-2013-maslikhat.toml")).round
    assert (rnd.seats.shape[0], int(rnd.seats.sum()), rnd.n_races,
            int(rnd.n_candidates.sum())) == (188, 2602, 2457, 6738)
    assert rnd.seats[0] == 19
    assert rnd.n_candidates[rnd.maslikhat == 0].tolist() == [3, 3, 3]
    assert set(rnd.seats[1:].tolist()) == {13, 14}


def test_a_files_own_races_are_simulated_body_by_body(runner, tmp_path):
    """A file's races are simulated with the bodies they name: two races of one maslikhat share
    its deputies (one body of the round), a race without one is a body of its own seats."""
    text = (HEAD + _body() + _race("aksay", (7, 5)) + _race("kirov", (6, 6))
            + '[[race]]\nid = "alone"\nregistered = 11\n[[race.candidate]]\nname = "A"\n'
              '[[race.candidate]]\nname = "B"\n[[race.candidate]]\nname = "C"\n')
    rnd = indirect_setup(loads(text, name="t.toml")).round
    assert rnd.seats.tolist() == [15, 11]
    assert rnd.maslikhat.tolist() == [0, 0, 1]
    assert rnd.n_candidates.tolist() == [2, 2, 3]
    f = tmp_path / "own.toml"
    f.write_text(text, encoding="utf-8")
    result = runner.invoke(main, ["simulate", str(f), "--runs", "64", "--format", "json"])
    assert result.exit_code == 0, result.output
    counts = json.loads(result.stdout)["counts"]
    assert sum(counts["elected"]["distribution"].values()) == 64


def test_a_body_without_seats_cannot_be_simulated():
    """A maslikhat whose seats were not published can be replayed but not simulated: the error
    names its seats."""
    text = HEAD + _body().replace("seats = 15\n", "") + _race("aksay", (7, 5))
    s = loads(text, name="t.toml")
    assert s.races[0].registered is None
    with pytest.raises(ScenarioError, match=r"maslikhat\[burlin\]\.seats"):
        indirect_setup(s)


def test_listed_bodies_beyond_the_published_totals_are_refused(tmp_path):
    """A source listing a maslikhat with more seats than its area's published deputies cannot
    be the rest of an even split: one line names the generated area."""
    src = tmp_path / "src.toml"
    src.write_text(HEAD + '[[area]]\npath = []\npublished = { maslikhats = 2, deputies = 10, '
                   'races = 3 }\n' + _body(extra="races = 2\n"), encoding="utf-8")
    sim = tmp_path / "sim.toml"
    sim.write_text(HEAD + '[model]\nfrom = "src.toml"\n[[model.generate]]\narea = []\n',
                   encoding="utf-8")
    with pytest.raises(ScenarioError, match="hold more than its published totals allow"):
        indirect_setup(load(sim))

