"""The NIST SP 1500-100 v2 export: valid against the shipped schema for every historical scenario,
every reference resolved, every count the replay's."""

from __future__ import annotations

import datetime as dt
import json
import re

import pytest

from cli.main import main
from engine.errors import ScenarioError
from engine.formats.nist import AGAINST_ALL_SUFFIX, document
from engine.formats.scenario import load, loads
from engine.replay.run import replay
from tests.paths import HISTORICAL_FILES, RURAL_2021, SEMEY_2025, SHARED
from tests.texts import PRECINCT_HEAD

jsonschema = pytest.importorskip("jsonschema")

WHEN = dt.datetime(2025, 10, 13, 9, 30, tzinfo=dt.UTC)

PRECINCTS = PRECINCT_HEAD + """
[[race]]
id = "r1"
name = "Aqqum"
area = ["Qyzylorda Region", "Aral District"]
[[race.candidate]]
name = "A"
party = "Nur Otan"
birth_date = 1970-01-02
person = "a-1970"
[[race.candidate]]
name = "B"
[[race.precinct]]
id = "101"
registered = 300
cast = 200
invalid = 4
against_all = 6
votes = [120, 70]
[[race.precinct]]
id = "102"
registered = 250
cast = 150
against_all = 10
votes = [40, 95]
"""


# RFC 3339 (the schema's "date" and "date-time"): jsonschema checks "date" only for drafts 3
# and 7+, and "date-time" only with an optional package, so both are checked here.
_DATE = r"\d{4}-\d{2}-\d{2}"
_DATE_TIME = _DATE + r"T\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})"


def _format_checker():
    """jsonschema's format checks, with strict ISO dates and RFC 3339 date-times."""
    checker = jsonschema.FormatChecker()

    @checker.checks("date", raises=ValueError)
    def is_date(value) -> bool:
        return not isinstance(value, str) or (
            re.fullmatch(_DATE, value, re.ASCII) is not None
            and dt.date.fromisoformat(value) is not None)

    @checker.checks("date-time", raises=ValueError)
    def is_date_time(value) -> bool:
        return not isinstance(value, str) or (
            re.fullmatch(_DATE_TIME, value, re.ASCII) is not None
            and dt.datetime.fromisoformat(value.upper().replace("Z", "+00:00")) is not None)

    return checker


@pytest.fixture(scope="module")
def validator():
    """A draft-04 validator of the shipped schema, formats checked (dates too)."""
    path = SHARED / "standards" / "NIST_V2_election_results_reporting.json"
    if not path.is_file():
        pytest.skip(f"the shared folder is not beside the checkout ({path.parent})")
    schema = json.loads(path.read_text(encoding="utf-8"))
    return jsonschema.Draft4Validator(schema, format_checker=_format_checker())


def _errors(validator, doc) -> list[str]:
    return [f"{list(e.absolute_path)}: {e.message[:200]}" for e in validator.iter_errors(doc)]


def _ids(doc) -> tuple[set[str], list[tuple[str, str]]]:
    """Every @id of the document, and every (key, value) that refers to one."""
    ids, refs = set(), []

    def walk(x):
        if isinstance(x, dict):
            for k, v in x.items():
                if k == "@id":
                    ids.add(v)
                elif k.endswith("Id") and k != "VendorApplicationId":
                    refs.append((k, v))
                elif k.endswith("Ids"):
                    refs.extend((k, i) for i in v)
                else:
                    walk(v)
        elif isinstance(x, list):
            for v in x:
                walk(v)

    walk(doc)
    return ids, refs


@pytest.mark.parametrize("scenario", HISTORICAL_FILES, ids=lambda p: p.stem)
def test_every_historical_scenario_exports_a_valid_nist_document(validator, scenario):
    """Valid against NIST_V2_election_results_reporting.json, every reference resolved."""
    doc = document(replay(load(scenario)), generated=WHEN)
    assert _errors(validator, doc) == []
    ids, refs = _ids(doc)
    assert [r for r in refs if r[1] not in ids] == []


def test_the_validator_refuses_a_broken_document(validator):
    """The check is not vacuous: a report without its Status, or with a count as text, fails."""
    doc = document(replay(loads(PRECINCTS)), generated=WHEN)
    del doc["Status"]
    doc["Election"][0]["Contest"][0]["ContestSelection"][0]["VoteCounts"][0]["Count"] = "120"
    assert len(_errors(validator, doc)) == 2


@pytest.mark.parametrize(("key", "value"), [
    ("StartDate", "2021-7-25"), ("StartDate", "25.07.2021"), ("StartDate", "2021-02-30"),
    ("StartDate", "2021-07-25T00:00:00Z"), ("GeneratedDate", "2025-02-30T09:30:00Z"),
    ("GeneratedDate", "2025-10-13T09:30:00Z, Almaty"),
])
def test_the_validator_checks_dates_and_date_times(validator, key, value):
    """A date that is not a real YYYY-MM-DD, or a date-time that is not RFC 3339 (though it
    matches the schema's unanchored pattern), fails the format check."""
    doc = document(replay(loads(PRECINCTS)), generated=WHEN)
    (doc["Election"][0] if key == "StartDate" else doc)[key] = value
    assert len(_errors(validator, doc)) == 1


def test_precincts_compose_the_race_and_areas_the_nation(validator):
    """Units nest nation > region > district > race > precincts, with voters per unit."""
    doc = document(replay(loads(PRECINCTS)), generated=WHEN)
    assert _errors(validator, doc) == []
    units = {u["@id"]: u for u in doc["GpUnit"]}
    nation = units[doc["Election"][0]["ElectionScopeId"]]
    assert nation["Type"] == "country"
    region = units[nation["ComposingGpUnitIds"][0]]
    district = units[region["ComposingGpUnitIds"][0]]
    race = units[district["ComposingGpUnitIds"][0]]
    assert [region["OtherType"], district["OtherType"], race["OtherType"]] == [
        "region", "district", "electoral-district"]
    precincts = [units[i] for i in race["ComposingGpUnitIds"]]
    assert [p["Type"] for p in precincts] == ["precinct", "precinct"]
    assert [(p["VotersRegistered"], p["VotersParticipated"]) for p in precincts] == [
        (300, 200), (250, 150)]
    assert (race["VotersRegistered"], race["VotersParticipated"]) == (550, 350)
    assert (nation["VotersRegistered"], nation["VotersParticipated"]) == (550, 350)
    ballots = {b["GpUnitId"]: b for b in doc["Election"][0]["BallotCounts"]}
    assert ballots[precincts[0]["@id"]]["BallotsRejected"] == 4
    assert "BallotsRejected" not in ballots[precincts[1]["@id"]]  # not given, none invented
    assert ballots[race["@id"]]["BallotsRejected"] == 9  # 350 cast - 341 votes


def test_vote_counts_sum_to_the_race_and_against_all_has_no_candidate():
    """Each selection counts per precinct and for the race; against all is a selection without
    CandidateIds; the winner's status is winner, the other's defeated."""
    rp = replay(loads(PRECINCTS))
    doc = document(rp, generated=WHEN)
    contest = doc["Election"][0]["Contest"][0]
    race_unit = contest["ElectionDistrictId"]
    totals = {}
    for sel in contest["ContestSelection"]:
        counts = {c["GpUnitId"]: c["Count"] for c in sel["VoteCounts"]}
        race_total = counts.pop(race_unit)
        assert sum(counts.values()) == race_total
        totals[sel["@id"]] = race_total
    assert totals == {"sel-0-1": 160, "sel-0-2": 165, f"sel-0{AGAINST_ALL_SUFFIX}": 16}
    against = contest["ContestSelection"][-1]
    assert "CandidateIds" not in against
    assert against["SequenceOrder"] == 3
    status = {c["@id"]: c["PostElectionStatus"] for c in doc["Election"][0]["Candidate"]}
    assert status == {"cand-0-1": "defeated", "cand-0-2": "winner"}
    person = doc["Person"][0]
    assert person["DateOfBirth"] == "1970-01-02"
    assert [p["Name"]["Text"][0]["Content"] for p in doc["Party"]] == ["Nur Otan", "Independent"]


def test_unknown_counts_are_left_out_and_a_tie_has_no_winner():
    """Semey's unpublished against-all count has no VoteCounts; Aksay's tie gives no status."""
    semey = document(replay(load(SEMEY_2025)), generated=WHEN)
    against = semey["Election"][0]["Contest"][0]["ContestSelection"][-1]
    assert against["VoteCounts"] == []
    race = next(u for u in semey["GpUnit"] if u.get("OtherType") == "electoral-district")
    assert race["VotersRegistered"] == 220761
    assert "VotersParticipated" not in race
    withdrawn = [c for c in semey["Election"][0]["Candidate"]
                 if c["PostElectionStatus"] == "withdrawn"]
    assert [c["BallotName"]["Text"][0]["Content"] for c in withdrawn] == ["Qanat Şapatov"]


def test_a_date_is_required_or_bounded_by_the_year_of_the_name():
    """Without a polling day the year in the name bounds it (said in Notes); without either,
    a one-line error."""
    text = PRECINCTS.replace("date = 2021-07-25\n", "")
    doc = document(replay(loads(text.replace("precinct election", "2021 election"))),
                   generated=WHEN)
    assert (doc["Election"][0]["StartDate"], doc["Election"][0]["EndDate"]) == (
        "2021-01-01", "2021-12-31")
    assert "bound it by the year 2021" in doc["Notes"]
    with pytest.raises(ScenarioError, match=r"election\.date: is required for a NIST"):
        document(replay(loads(text, name="x.toml")))


def test_the_generated_date_follows_source_date_epoch(monkeypatch):
    """SOURCE_DATE_EPOCH, when set, is the document's GeneratedDate (a reproducible export)."""
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1760259600")
    assert document(replay(loads(PRECINCTS)))["GeneratedDate"] == "2025-10-12T09:00:00Z"


def test_replay_writes_nist_json_atomically(runner, tmp_path, validator, monkeypatch):
    """--format nist-json -o FILE writes the whole document, valid, and nothing on stdout."""
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "0")
    out = tmp_path / "semey.json"
    result = runner.invoke(main, ["replay", str(SEMEY_2025), "--format", "nist-json", "-o",
                                  str(out)])
    assert (result.exit_code, result.stdout) == (0, "")
    doc = json.loads(out.read_text(encoding="utf-8"))
    assert _errors(validator, doc) == []
    assert doc["GeneratedDate"] == "1970-01-01T00:00:00Z"
    assert [p.name for p in tmp_path.iterdir()] == ["semey.json"]  # no temporary file left


def _area_counts(doc) -> dict[str, tuple]:
    """Each area unit's name and its (registered, participated) counts, None where left out."""
    return {u["Name"]["Text"][0]["Content"]: (u.get("VotersRegistered"),
                                              u.get("VotersParticipated"))
            for u in doc["GpUnit"] if u["Type"] == "country" or
            u.get("OtherType") in ("region", "district", "area")}


def test_an_area_the_file_holds_only_some_races_of_carries_no_counts():
    """kz-2021-rural holds 4 by-elections, not the 730 races of the national table: the nation
    and the regions carry no sums of those 4 (5902 would pass for the 1,209,817 published)."""
    rp = replay(load(RURAL_2021))
    doc = document(rp, generated=WHEN)
    counts = _area_counts(doc)
    published = {a.path[-1] if a.path else "Kazakhstan" for a in rp.scenario.areas}
    assert {name: counts[name] for name in published} == dict.fromkeys(published, (None, None))
    area_ids = {u["@id"] for u in doc["GpUnit"] if u["Name"]["Text"][0]["Content"] in published}
    assert [b for b in doc["Election"][0]["BallotCounts"] if b["GpUnitId"] in area_ids] == []
    races = [u for u in doc["GpUnit"] if u.get("OtherType") == "electoral-district"]
    assert [u["VotersRegistered"] for u in races] == rp.races.totals.registered.tolist()


@pytest.mark.parametrize(("published", "nation", "region", "district"), [
    ("", (550, 350), (550, 350), (550, 350)),             # nothing says there are more
    ('path = ["Qyzylorda Region"]\npublished = { races = 1 }', (550, 350), (550, 350),
     (550, 350)),                                         # the region's one race
    ('path = ["Qyzylorda Region"]\npublished = { races = 2 }', (None, None), (None, None),
     (550, 350)),                                         # one of two: the region and above
    ('path = ["Qyzylorda Region", "Aral District"]\npublished = { races = 3 }', (None, None),
     (None, None), (None, None)),                         # the district's, and so above it
    ('path = []\npublished = { races = 2 }', (None, None), (550, 350), (550, 350)),
], ids=["unpublished", "region-1-of-1", "region-1-of-2", "district-1-of-3", "nation-1-of-2"])
def test_area_counts_are_written_only_for_areas_held_in_full(validator, published, nation,
                                                             region, district):
    """A published race count larger than the file's races beneath an area drops the sums of
    that area and of every area above it, never of the areas beneath."""
    text = PRECINCTS + (f"[[area]]\n{published}\n" if published else "")
    doc = document(replay(loads(text)), generated=WHEN)
    assert _errors(validator, doc) == []
    counts = _area_counts(doc)
    assert (counts["Kazakhstan"], counts["Qyzylorda Region"], counts["Aral District"]) == (
        nation, region, district)


def test_a_state_file_export_is_valid_with_state_and_county_units(validator, tmp_path):
    """An OpenElections scenario: the top unit is a state, counties are county units made of
    their precincts, candidates without a party have no PartyId; valid against the schema and
    every reference resolved."""
    rows = ("county,precinct,office,district,candidate,votes\nA,1,Mayor,,Ann,10\nA,1,Mayor,,Bob,7\n"
            "B,1,Mayor,,Ann,3\nB,1,Mayor,,Bob,5\nB,2,Council,4,Cy,2\n")
    (tmp_path / "f.csv").write_text(rows, encoding="utf-8")
    (tmp_path / "s.toml").write_text(
        '[election]\nname = "state 2024"\ndate = 2024-11-05\nrules = "kz-2023-district"\n'
        'nation = "Somestate"\n[[openelections]]\nrace = "s"\nfiles = ["f.csv"]\noffice = "*"\n',
        encoding="utf-8")
    doc = document(replay(load(tmp_path / "s.toml")), generated=WHEN)
    assert _errors(validator, doc) == []
    ids, refs = _ids(doc)
    assert all(v in ids for _, v in refs)
    units = {u["@id"]: u for u in doc["GpUnit"]}
    top = doc["GpUnit"][0]
    assert (top["Type"], top["Name"]["Text"][0]["Content"]) == ("state", "Somestate")
    counties = [u for u in units.values() if u["Type"] == "county"]
    assert sorted(u["Name"]["Text"][0]["Content"] for u in counties) == ["A", "B"]
    assert all(units[p]["Type"] == "precinct" for u in counties for p in u["ComposingGpUnitIds"])
    assert doc["Party"] == []
