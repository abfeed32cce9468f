"""Area and party figures: own arithmetic, races beneath, child areas, tables of one source."""

from __future__ import annotations

import pytest

from engine.formats.scenario import loads
from engine.replay.run import replay

HEAD = """
[election]
name = "areas"
date = 2021-07-25
rules = "kz-2021-rural"
share_basis = "cast"
"""

RACE = """
[[race]]
id = "{id}"
area = ["North", "{district}"]
{date}
registered = 100
cast = 80
invalid = 4
[[race.candidate]]
name = "A{id}"
party = "P"
votes = {a}
[[race.candidate]]
name = "B{id}"
votes = {b}
[race.against_all]
votes = {aa}
"""


def _replay(text: str):
    return replay(loads(text, name="t.toml"))


def _by_where(rp) -> dict[str, list]:
    out: dict[str, list] = {}
    for c in rp.checks:
        out.setdefault(c.where, []).append(c)
    return out


def _race(id_: str, a: int, b: int, aa: int, district: str = "D", date: str = "") -> str:
    return RACE.format(id=id_, a=a, b=b, aa=aa, district=district, date=date)


def test_a_region_is_checked_against_its_races_and_its_own_arithmetic():
    """A region's figures are checked against the sums of its races (8 invalid, not the 9
    printed) and against one another (its parties' votes, against all and invalid make 161)."""
    text = HEAD + _race("r1", 50, 20, 6) + _race("r2", 30, 40, 6) + """
[[area]]
path = ["North"]
published = { races = 2, registered = 200, cast = 160, turnout = "80.00", invalid = 9 }
[[area.party]]
name = "P"
published = { seats = 1, seat_share = "50.00", votes = 80, vote_share = "50.00" }
[[area.party]]
name = "Independent"
published = { seats = 1, votes = 60 }
"""
    checks = _by_where(_replay(text))
    assert checks["area[North].published.registered"][0].status == "exact"
    assert [c.status for c in checks["area[North].published.invalid"]] == ["mismatch"]
    assert checks["area[North].published.invalid"][0].recomputed == 8
    assert checks["area[North].published.turnout"][0].status == "exact"
    assert checks["area[North].party[P].published.seats"][0].status == "exact"
    assert checks["area[North].party[P].published.vote_share"][0].status == "exact"
    # cast = parties' votes + against all + invalid: 80 + 60 + 12 + 9 (published) = 161 != 160
    sums = [c for c in checks["area[North].published.cast"] if "parties' votes" in c.basis]
    assert sums[0].recomputed == 161
    assert sums[0].status == "mismatch"


def test_by_elections_on_other_days_are_not_part_of_the_rounds_table():
    """A by-election held on another day is not part of the region's table for the round: 1
    race and 80 ballots, both exact."""
    text = HEAD + _race("r1", 50, 20, 6) + _race("late", 30, 40, 6, date="date = 2021-08-01") + """
[[area]]
path = ["North"]
published = { races = 1, cast = 80 }
"""
    checks = _by_where(_replay(text))
    assert [c.status for c in checks["area[North].published.races"]] == ["exact"]
    assert [c.status for c in checks["area[North].published.cast"]] == ["exact"]


def test_a_file_with_some_of_the_races_bounds_the_total_from_below():
    """A region of 5 races, 1 of them in the file: its races only bound its total from below,
    so 300 ballots is consistent and 70 (fewer than the one race's 80) a mismatch."""
    text = HEAD + _race("r1", 50, 20, 6) + """
[[area]]
path = ["North"]
published = [{ races = 5, cast = 300 }, { cast = 70, source = "a typo" }]
"""
    checks = _by_where(_replay(text))
    assert [c.status for c in checks["area[North].published[1].races"]] == ["consistent"]
    assert checks["area[North].published[1].cast"][0].status == "consistent"
    below = [c for c in checks["area[North].published[2].cast"] if "races" in c.basis]
    assert below[0].status == "mismatch"  # 70 < the 80 ballots of the one race in the file


def test_the_nation_is_the_sum_of_its_regions_and_tables_pair_by_source():
    """The nation's tables are summed from its regions' tables of the same source (results
    with results, candidates with candidates), and a count printed twice must agree."""
    text = HEAD + """
[[area]]
path = []
published = [{ races = 3, registered = 301, source = "results" },
             { races = 4, candidates = 9, source = "candidates" }]
[[area.party]]
name = "P"
published = [{ seats = 3, source = "results" }, { candidates = 3, source = "candidates" }]
[[area.party]]
name = "Q"
published = { candidates = 6, source = "candidates" }
[[area]]
path = ["North"]
published = [{ races = 2, registered = 200, source = "results N" },
             { races = 2, candidates = 6, source = "candidates" }]
[[area.party]]
name = "P"
published = [{ seats = 2, source = "results N" }, { candidates = 3, source = "candidates" }]
[[area.party]]
name = "Q"
published = { candidates = 3, source = "candidates" }
[[area]]
path = ["South"]
published = [{ races = 1, registered = 100, source = "results S" },
             { races = 1, candidates = 3, source = "candidates" }]
[[area.party]]
name = "Q"
published = [{ seats = 1, source = "results S" }, { candidates = 3, source = "candidates" }]
"""
    checks = _by_where(_replay(text))
    assert checks["area[Kazakhstan].published[1].registered"][0].recomputed == 300
    assert checks["area[Kazakhstan].published[1].registered"][0].status == "mismatch"
    # P: 2 seats in North, none listed in South (which lists Q): 2, not 3
    seats = checks["area[Kazakhstan].party[P].published[1].seats"]
    assert [c.recomputed for c in seats if "summed" in c.basis] == [2]
    # the candidates table pairs with the regions' candidates tables
    races = [c for c in checks["area[Kazakhstan].published[2].races"] if "beneath" in c.basis]
    assert races[0].recomputed == 3
    assert races[0].status == "mismatch"
    cands = checks["area[Kazakhstan].published[2].candidates"]
    assert {c.recomputed for c in cands} == {9}  # the regions' 6 + 3, and the parties' 3 + 6
    q = checks["area[Kazakhstan].party[Q].published.candidates"]
    assert [(c.recomputed, c.status) for c in q] == [(6, "exact")]
    # a count printed twice in one area must agree: 4 races here, 3 in the results table
    again = [c for c in checks["area[Kazakhstan].published[2].races"] if "same count" in c.basis]
    assert again[0].recomputed == 3
    assert again[0].status == "mismatch"


def test_a_partial_table_need_not_add_up_but_its_shares_are_checked():
    """A table marked partial is checked only against the same count in the full table, but
    its shares are checked all the same: 6 seats of 10 are not 40%."""
    text = HEAD + """
[[area]]
path = []
published = [{ races = 10, source = "table" }, { races = 10, partial = true, source = "box" }]
[[area.party]]
name = "P"
published = [{ seats = 6, seat_share = "60.00", source = "table" },
             { seats = 6, seat_share = "40.00", source = "box" }]
[[area.party]]
name = "Q"
published = { seats = 4, source = "table" }
"""
    checks = _by_where(_replay(text))
    assert [c.status for c in checks["area[Kazakhstan].published[1].races"]] == ["exact"]
    assert [c.basis for c in checks["area[Kazakhstan].published[2].races"]] == [
        "the same count in table"]
    assert checks["area[Kazakhstan].party[P].published[2].seat_share"][0].status == "mismatch"


@pytest.mark.parametrize(("bad", "error"), [
    ("partial = 1", "t.toml: area[Kazakhstan].published.partial: must be true or false, got 1"),
    ("seats = 3", "t.toml: area[Kazakhstan].published: unknown key 'seats'"),
])
def test_area_tables_refuse_bad_keys(bad, error):
    """An area's partial must be true or false, and a key the table does not take (seats are a
    party's) is refused with its place."""
    from engine.errors import ScenarioError

    with pytest.raises(ScenarioError) as err:
        loads(HEAD + f"[[area]]\npath = []\npublished = {{ races = 3, {bad} }}\n", name="t.toml")
    assert str(err.value).startswith(error)


def test_two_tables_of_one_party_are_both_checked_and_compared():
    """A party printed in two tables: the first is checked against the area's races, the
    second against the first (7 seats, not 6)."""
    text = HEAD + """
[[area]]
path = []
published = { races = 10 }
[[area.party]]
name = "P"
published = [{ seats = 6 }, { seats = 7 }]
"""
    checks = _by_where(_replay(text))
    races = checks["area[Kazakhstan].published.races"]  # against the first table's seats
    assert [(c.recomputed, c.status) for c in races] == [(6, "mismatch")]
    second = checks["area[Kazakhstan].party[P].published[2].seats"]
    assert [(c.recomputed, c.status, c.basis) for c in second] == [
        (6, "mismatch", "the same count in area[Kazakhstan].party[P].published[1].seats")]
