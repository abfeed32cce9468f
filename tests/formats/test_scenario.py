"""Loading scenario files: what is accepted, and the one clear error for what is not."""

from __future__ import annotations

import datetime as dt
from fractions import Fraction

import pytest

from engine.errors import ScenarioError
from engine.formats.scenario import load, loads
from tests.paths import SHARED

MINIMAL = """
[election]
name = "x"
rules = "kz-2021-rural"
[[race]]
id = "r"
[[race.candidate]]
name = "A"
votes = 5
"""


def test_a_minimal_scenario_loads_with_defaults():
    """Party defaults to Independent, shares to the valid-vote basis, the nation to Kazakhstan."""
    s = loads(MINIMAL)
    race = s.races[0]
    assert (race.id, race.candidates[0].party, race.share_basis) == ("r", "Independent", "valid")
    assert s.election.nation == "Kazakhstan"
    assert s.election.rules.name == "kz-2021-rural"


def test_the_rules_table_overrides_the_preset():
    """[rules] changes fields of the chosen preset and keeps the rest."""
    s = loads(MINIMAL + '\n[rules]\nagainst_all_effect = "fails_if_top"\nmin_turnout = 0.5\n')
    assert s.election.rules.against_all_effect == "fails_if_top"
    assert s.election.rules.min_turnout == Fraction(1, 2)
    assert s.election.rules.term_years == 4


def test_published_figures_keep_their_precision_and_source():
    """A percentage stays the string the source printed, with the source named."""
    text = MINIMAL.replace("votes = 5",
                           'votes = 5\npublished = [{ share = "50.10", source = "s1" }]')
    fig = loads(text).races[0].candidates[0].published[0]
    assert (fig.key, fig.value, fig.source) == ("share", "50.10", "s1")
    assert fig.place == "race[r].candidate[1].published[1].share"


def test_withdrawn_candidates_are_recorded_but_not_on_the_ballot():
    """A withdrawn candidate is kept with the date and is not a ballot line."""
    text = MINIMAL + '[[race.withdrawn]]\nname = "W"\ndate = 2025-10-07\n'
    race = loads(text).races[0]
    assert [c.name for c in race.candidates] == ["A"]
    assert race.withdrawn[0].date == dt.date(2025, 10, 7)


def test_inline_precincts_become_arrays():
    """[[race.precinct]] rows load as int64 arrays, -1 where a count is missing."""
    text = MINIMAL.replace("votes = 5\n", "") + (
        '[[race.precinct]]\nid = "p1"\ncast = 10\nvotes = [9]\n'
        '[[race.precinct]]\nid = "p2"\nregistered = 30\ncast = 20\nvotes = [18]\n')
    p = loads(text).races[0].precincts
    assert p.registered.tolist() == [-1, 30]
    assert p.votes.tolist() == [[9], [18]]


def test_an_inline_precinct_with_more_votes_than_ballots_is_refused():
    """A precinct whose votes exceed its ballots names the precinct."""
    text = MINIMAL.replace("votes = 5\n", "") + (
        '[[race.precinct]]\nid = "p1"\ncast = 5\nvotes = [9]\n')
    with pytest.raises(ScenarioError, match=r"race\[r\]\.precinct\[p1\]: more votes than ballots"):
        loads(text, name="x.toml")


def test_a_missing_file_is_one_clear_error(tmp_path):
    """Loading a file that does not exist says so, naming it."""
    with pytest.raises(ScenarioError, match="no such file"):
        load(tmp_path / "nope.toml")


def test_an_area_needs_a_path():
    """An [[area]] without path is refused with a hint for the nation."""
    with pytest.raises(ScenarioError, match=r"area\[1\]\.path: is required but missing"):
        loads(MINIMAL + "[[area]]\npublished = { races = 3 }\n", name="x.toml")


def test_every_shipped_scenario_loads(scenarios):
    """All shipped scenario files are valid (those of the shared OpenElections samples when the
    shared folder is beside the checkout)."""
    files = sorted(scenarios.rglob("*.toml"))
    assert files
    for f in files:
        if f.parent.name == "openelections" and not SHARED.is_dir():
            continue  # they read ../shared/samples/openelections
        assert load(f).election.name
