"""Real OpenElections state files (../shared/samples/openelections), each replayed whole by its
shipped scenario (scenarios/openelections/): the top race's totals equal those its README gives
with subtotals excluded, repeats summed, county-wide rows counted, subtotals checked."""

from __future__ import annotations

import numpy as np
import pytest

from cli.main import main
from cli.replay_render import replay_dict
from engine.formats.scenario import load
from engine.replay.run import replay
from tests.paths import SCENARIOS, SHARED

STATES = SCENARIOS / "openelections"

# The top race of each file and its candidates' totals as its README gives them (the correct
# line: subtotal rows and the Maine ward block excluded, repeated rows summed).
TOTALS = {
    "ky-2024": ("President", {"Donald J. TRUMP": 1_309_000, "Kamala D. HARRIS": 692_226,
                              "Robert F. KENNEDY JR.": 16_444, "Jill STEIN": 7_465,
                              "Chase OLIVER": 6_293, "Shiva AYYADURAI": 1_007,
                              "Claudia De la CRUZ Karina GARCIA": 1, "Write-ins": 3_487,
                              "Robert F. KENNEDY JR. / Nicole S. SHANAHAN": 23}),
    "me-2020": ("President", {"Joe Biden": 435_072, "Donald Trump": 360_737,
                              "Jo Jorgensen": 14_152, "Howie Hawkins": 8_230,
                              "Rocky de la Fuente Guerra": 1_183, "Others": 84}),
    "ne-2014": ("U.S. Senate", {"Ben Sasse": 347_636, "Dave Domina": 170_127,
                                "Jim Jenkins": 15_868, "Todd F. Watson": 6_260}),
    "sc-2020": ("President", {"Donald J Trump | Michael R Pence": 1_385_103,
                              "Joseph R Biden | Kamala D Harris": 1_091_541,
                              "Jo Jorgensen | Jeremy Spike Cohen": 27_916,
                              "Howie Hawkins | Angela Walker": 6_907,
                              "ALN Roque Rocky De La Fuente | Darcy G Richardson": 1_862}),
    "sd-2016": ("President", {"Donald J. Trump": 227_512, "Hillary Clinton": 117_151,
                              "Gary Johnson": 20_813, "Darrell L. Castle": 4_057}),
}


@pytest.fixture(scope="module")
def replays():
    """Each state's replay, once for the module (skipped without the shared samples)."""
    if not (SHARED / "samples" / "openelections").is_dir():
        pytest.skip(f"the OpenElections samples are not in the shared folder ({SHARED})")
    return {name: replay(load(STATES / f"{name}.toml")) for name in TOTALS}


def _race(rp, name):
    return next(r for r in rp.scenario.races if r.name == name)


@pytest.mark.parametrize("state", sorted(TOTALS))
def test_the_top_race_equals_the_readme_totals(replays, state):
    """Every race of the file in one table; the top race's candidates as the README counts."""
    name, expected = TOTALS[state]
    d = replay_dict(replays[state])
    race = next(r for r in d["races"] if r["name"] == name)
    got = {c["name"]: c["votes"] for c in race["candidates"]}
    assert {k: got.get(k) for k in expected} == expected
    assert len(d["races"]) > 30  # every office and district of the state


def test_kentucky_scott_county_is_counted_county_wide(replays):
    """Scott County has rows without a precinct and no precinct: its votes, a precinct of their
    own ('Scott / (county-wide)'), said in one warning; the methods are kept per precinct."""
    rp = replays["ky-2024"]
    p = _race(rp, "President").precincts
    ids = p.ids.tolist()
    scott = ids.index("Scott / (county-wide)")
    assert p.votes[scott, 0] == 18_747
    assert p.county[scott] == "Scott"
    assert [w for w in rp.scenario.warnings if "Scott" in w and "county-wide" in w]
    race = _race(rp, "President")
    assert race.methods[:2] == ("election_day", "absentee")
    assert p.methods[ids.index("Bracken / A101"), 0].tolist()[:2] == [293, 178]
    # over and under votes are the race's invalid ballots where the file gives them
    assert int(p.invalid[p.invalid >= 0].sum()) == 10_049 + 848


def test_maine_totals_and_subtotals_are_checked_not_counted(replays):
    """Maine's 'Total' rows are figures: the statewide total's Trump 360,114 is a mismatch by
    623 against the towns; blanks and ballots cast sum as the README gives them."""
    rp = replays["me-2020"]
    checks = {c.where: c for c in rp.checks}
    president = next(r.place for r in rp.scenario.races if r.name == "President")
    trump = checks[f"{president}.candidate[5].votes"]
    assert (trump.published, trump.recomputed, trump.status) == (360_114, 360_737, "mismatch")
    p = _race(rp, "President").precincts
    assert int(p.invalid[p.invalid >= 0].sum()) == 8_844
    assert int(p.cast[p.cast >= 0].sum()) == 828_305


def test_south_dakota_subtotals_hold_for_the_president(replays):
    """Each county's subtotal rows (Total, TOTAL, TOTALS, and Butte's and Mellette's rows
    without a precinct) equal the sums of the county's precincts."""
    rp = replays["sd-2016"]
    race = _race(rp, "President")
    places = {s.place for s in race.subtotals}
    assert {f"{race.place}.county[Butte]", f"{race.place}.county[Mellette]"} <= places
    assert len(race.subtotals) == 60  # the counties with subtotal rows for the President
    mine = [c for c in rp.checks if c.where.startswith(f"{race.place}.county[")]
    assert {c.status for c in mine} == {"exact"}


def test_nebraska_is_refused_without_a_repeats_policy(runner, shared):
    """Given directly, the Nebraska file's repeated rows are refused in one line that counts
    them (1,793 lines, as its README says) and names the option; --repeats sum replays it."""
    path = shared / "samples" / "openelections" / "20141104__ne__general__precinct.csv.gz"
    result = runner.invoke(main, ["replay", str(path)])
    assert result.exit_code == 2
    assert result.stderr.startswith("error: 20141104__ne__general__precinct.csv.gz: 1,793 "
                                    "lines given on several rows (3,586 rows): rows 3, 32: "
                                    "'Adams / Absentee/Early Vote', U.S. Senate, 'Dave Domina' "
                                    "(413 and 0 votes);")
    assert 'repeats = "sum"' in result.stderr
    assert result.stderr.count("\n") == 1
    result = runner.invoke(main, ["replay", str(path), "--repeats", "sum", "--format", "json"])
    assert result.exit_code == 0


@pytest.mark.parametrize("state", sorted(TOTALS))
def test_the_export_reads_back_identically(replays, state, tmp_path):
    """replay -> OpenElections CSV (county column as read, methods as columns) -> replay of
    every race of it: the same races, counts and winners."""
    from engine.formats.openelections.writer import to_csv

    rp = replays[state]
    path = tmp_path / "out.csv"
    path.write_text(to_csv(rp), encoding="utf-8")
    back = replay(load(path))
    assert len(back.scenario.races) == len(rp.scenario.races)
    before = {(r.office, r.district): r for r in rp.scenario.races}
    for i, race in enumerate(back.scenario.races):
        old = before[(race.office, race.district)]
        j = rp.scenario.races.index(old)
        assert [c.name for c in race.candidates] == [c.name for c in old.candidates]
        assert np.array_equal(back.races.totals.votes[i], rp.races.totals.votes[j])
        assert back.races.winner[i] == rp.races.winner[j]
