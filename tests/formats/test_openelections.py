"""OpenElections CSV files: the Carson City sample replayed, messy files warned about row by row,
hard errors on one line, and replay -> OpenElections CSV -> replay giving identical results."""

from __future__ import annotations

import csv
import json
import tempfile
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from cli.main import main
from cli.replay_render import replay_dict
from engine.errors import ScenarioError
from engine.formats.openelections import rows as openelections_files
from engine.formats.openelections.reader import AGAINST_ALL, CAST, INVALID, REGISTERED
from engine.formats.openelections.writer import to_csv
from engine.formats.scenario import load, loads
from engine.law.rules import PRESETS
from engine.replay.run import replay
from tests.paths import HISTORICAL_FILES, INDIRECT_2013, MESSY_CSV, SEMEY_2025
from tests.texts import messy_openelections

CARSON = "samples/openelections/20041102__nv__general__carson_city__precinct.csv"


def _carson_toml(sample: Path) -> str:
    return f"""
[election]
name = "2004 Carson City general election"
date = 2004-11-02
rules = "kz-2023-district"   # relative majority; the none-of-these line never wins (as in NV)
nation = "Nevada"
[[openelections]]
race = "mayor"
files = [{json.dumps(str(sample))}]
office = "Mayor CARSON CITY"
area = ["Carson City"]
[[openelections]]
race = "president"
files = [{json.dumps(str(sample))}]
office = "President"
against_all = "None Of These Candidates"
area = ["Carson City"]
"""


def _sum_file(sample: Path, office: str) -> dict[str, int]:
    """The office's votes per candidate, summed straight from the file (blank cells as 0)."""
    totals: dict[str, int] = {}
    with sample.open(encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh):
            if row["office"] == office:
                totals[row["candidate"]] = totals.get(row["candidate"], 0) + int(row["votes"] or 0)
    return totals


def test_carson_city_replays_with_the_files_totals(shared):
    """Mayor and President: every candidate's total equals the file's own sum, and the winners."""
    sample = shared / CARSON
    rp = replay(loads(_carson_toml(sample), name="carson.toml"))
    d = replay_dict(rp)
    mayor, president = d["races"]
    assert {c["name"]: c["votes"] for c in mayor["candidates"]} == _sum_file(
        sample, "Mayor CARSON CITY")
    expected = _sum_file(sample, "President")
    assert president["against_all"]["votes"] == expected.pop("None Of These Candidates") == 167
    assert {c["name"]: c["votes"] for c in president["candidates"]} == expected
    assert (mayor["winner"], mayor["margin_votes"], mayor["valid"]) == ("TEIXEIRA, MARV", 641,
                                                                        21211)
    assert (president["winner"], president["runner_up"], president["margin_votes"],
            president["valid"]) == ("BUSH, GEORGE W.", "KERRY, JOHN F.", 3392, 22165)
    assert (mayor["precincts"], president["precincts"]) == (25, 26)
    assert rp.races.totals.votes.dtype == np.int64


def test_carson_city_warns_of_its_missing_and_blank_precincts(shared):
    """The sample lacks precinct 105 for both races and gives blank votes in precinct 999."""
    s = loads(_carson_toml(shared / CARSON), name="carson.toml")
    name = Path(CARSON).name
    assert s.warnings == (
        f"{name}: race 'mayor': no rows for 3 precincts the file has for other offices: "
        "'Precinct 105', 'Precinct 998', 'Precinct 999'",
        f"{name}: rows 973-979: precinct 'Precinct 999' gives no count (every votes cell "
        "blank): left out of race 'president'",
        f"{name}: race 'president': no rows for 1 precinct the file has for other offices: "
        "'Precinct 105'",
    )


def _messy(tmp_path: Path, extra: str = "", rows: str | None = None) -> Path:
    csv_path = MESSY_CSV
    if rows is not None:
        csv_path = tmp_path / "messy.csv"
        csv_path.write_text(rows, encoding="utf-8")
    toml = tmp_path / "messy.toml"
    toml.write_text(messy_openelections(csv_path, extra), encoding="utf-8")
    return toml


def test_a_repeated_row_is_refused_by_default_even_when_identical(tmp_path):
    """Two rows of one line with the same votes may be two vote blocks: never merged silently;
    the refusal counts the repeats, shows them with county / precinct, office and rows, and
    names the option."""
    with pytest.raises(ScenarioError) as err:
        load(_messy(tmp_path))
    assert str(err.value) == (
        "messy.csv: 1 line given on several rows (2 rows): rows 6, 8: 'North / P2', Akim, "
        "'LEE, BO' (90 and 90 votes): sum them (repeats = \"sum\": vote methods, split "
        'precincts), keep the first (repeats = "first") or fix the file')


def test_repeats_sum_adds_the_rows_of_a_line(tmp_path):
    """repeats = "sum": both rows of LEE, BO in P2 count (90 + 90), with one warning."""
    s = load(_messy(tmp_path, 'repeats = "sum"'))
    assert s.races[0].precincts.votes[1].tolist() == [200, 180, 0]
    assert 'messy.csv: rows 6, 8: 1 line given on several rows: summed (repeats = "sum")' \
        in s.warnings


def test_a_messy_file_is_mended_with_a_warning_naming_each_row(tmp_path):
    """Cases, a repeated row (the first kept), a precinct of another office only, a name spelled
    two ways; every precinct named with its county."""
    s = load(_messy(tmp_path, 'repeats = "first"'))
    assert s.warnings == (
        "messy.csv: row 5: office 'AKIM' read as 'Akim' (so spelled in 9 rows)",
        "messy.csv: row 9: precinct 'p3' read as 'P3' (so spelled in 2 rows)",
        "messy.csv: row 5: candidate 'Smith, Ann' read as 'SMITH, ANN' (so spelled in 2 rows)",
        "messy.csv: row 8: repeats row 6: same precinct, office, party and line; left out "
        '(repeats = "first" keeps the first)',
        "messy.csv: race 'north': no rows for 1 precinct the file has for other offices: "
        "'North / P4'",
        "messy.csv: rows 3, 6, 10: 'LEE, BO' and 'LEE, BOO' may be one candidate spelled two "
        'ways: kept apart (aliases = { "LEE, BOO" = "LEE, BO" } merges them)',
        "messy.csv: race 'north': no row for 'LEE, BO' in 1 precinct ('North / P3'): read as 0 "
        "votes",
        "messy.csv: race 'north': no row for 'LEE, BOO' in 2 precincts ('North / P1', "
        "'North / P2'): read as 0 votes",
    )
    race = s.races[0]
    assert [c.name for c in race.candidates] == ["SMITH, ANN", "LEE, BO", "LEE, BOO"]
    assert [c.party for c in race.candidates] == ["Nur Otan", "Independent", "Independent"]
    assert race.precincts.ids.tolist() == ["P1", "P2", "P3"]
    assert race.precincts.votes.tolist() == [[120, 80, 0], [200, 90, 0], [60, 0, 40]]
    assert race.precincts.against_all.tolist() == [5, 7, 3]


def test_an_alias_merges_two_spellings_on_purpose(tmp_path):
    """aliases names the spelling to read as another: no warning about that pair is left."""
    s = load(_messy(tmp_path, 'aliases = { "LEE, BOO" = "LEE, BO" }\nrepeats = "first"'))
    assert [c.name for c in s.races[0].candidates] == ["SMITH, ANN", "LEE, BO"]
    assert replay(s).races.totals.votes[0].tolist() == [380, 210]
    assert not [w for w in s.warnings if "LEE" in w]


ROWS = """county,precinct,office,district,party,candidate,votes
North,P1,Akim,1,Nur Otan,"SMITH, ANN",120
North,P1,Akim,1,,"LEE, BO",80
North,P1,Akim,1,,Total,200
North,P1,Akim,1,,Registered Voters,400
North,P2,Akim,1,Nur Otan,"SMITH, ANN",
North,P2,Akim,1,,"LEE, BO",90
North,P2,Akim,1,,Total,90
North,P2,Akim,1,,Registered Voters,300
,,Akim,1,Nur Otan,"SMITH, ANN",121
,,Akim,1,,"LEE, BO",170
"""


def test_summary_lines_are_known_out_of_the_box(tmp_path):
    """'Total' is left out with a warning, 'Registered Voters' read as registered voters, with no
    mapping; skip = ["Total"] leaves it out quietly."""
    s = load(_messy(tmp_path, rows=ROWS))
    assert ("messy.csv: rows 4, 8: the line 'Total' is a total of the candidates' votes, not a "
            "candidate: left out") in s.warnings
    assert [c.name for c in s.races[0].candidates] == ["SMITH, ANN", "LEE, BO"]
    assert s.races[0].precincts.registered.tolist() == [400, 300]
    s = load(_messy(tmp_path, 'skip = ["Total"]', rows=ROWS))
    assert not [w for w in s.warnings if "Total" in w]


def test_a_line_the_scenario_maps_overrides_the_known_spellings(tmp_path):
    """Mapping registered to another line drops the known spellings for that role: 'Registered
    Voters' is then read as a candidate (and warned about as one)."""
    s = load(_messy(tmp_path, 'registered = "Voters on the list"', rows=ROWS))
    assert [c.name for c in s.races[0].candidates] == ["SMITH, ANN", "LEE, BO",
                                                      "Registered Voters"]
    assert (s.races[0].precincts.registered == -1).all()


def test_a_blank_vote_is_unknown_and_race_totals_are_checked(tmp_path):
    """A blank cell is unknown (warned); rows with a blank precinct are the race's published
    totals, checked against the precincts' sums."""
    counts = 'skip = ["Total"]\nregistered = "Registered Voters"'
    s = load(_messy(tmp_path, counts, rows=ROWS))
    assert "messy.csv: row 6: votes blank: read as unknown" in s.warnings
    assert s.races[0].precincts.votes.tolist() == [[120, 80], [-1, 90]]
    rows = ROWS.replace("North,P2,Akim,1,Nur Otan,\"SMITH, ANN\",\n",
                        "North,P2,Akim,1,Nur Otan,\"SMITH, ANN\",1\n")
    rp = replay(load(_messy(tmp_path, counts, rows=rows)))
    checks = {c.where: (c.status, c.source) for c in rp.checks}
    assert checks == {"race[north].candidate[1].votes": ("exact", "messy.csv row 10"),
                      "race[north].candidate[2].votes": ("exact", "messy.csv row 11")}
    assert rp.races.totals.votes[0].tolist() == [121, 170]  # the totals rows are not votes


@pytest.mark.parametrize(("rows", "extra", "error"), [
    (ROWS.replace(",80\n", ",8O\n"), "",
     "messy.csv: row 3, column 'votes' (North / P1): must be a whole number, got '8O'"),
    (ROWS.replace(",80\n", ",-80\n"), "",
     "messy.csv: row 3, column 'votes' (North / P1): must be >= 0, got -80"),
    (ROWS + 'North,P1,Akim,1,,"LEE, BO",81\n', "",
     "messy.csv: 1 line given on several rows (2 rows): rows 3, 12: 'North / P1', Akim 1, "
     "'LEE, BO' (80 and 81 votes): sum them (repeats = \"sum\": vote methods, split "
     'precincts), keep the first (repeats = "first") or fix the file'),
    (ROWS, 'repeats = "all"', "messy.toml: openelections[north].repeats: must be one of "
     "'refuse', 'sum', 'first', got 'all'"),
    (ROWS.replace("votes\n", "count\n"), "",
     "messy.csv: row 1: has no 'votes' column (header: county, precinct, office, district, "
     "party, candidate, count); name it in columns.votes"),
    (ROWS.replace(",80\n", ",80,9\n"), "", "messy.csv: row 3: has 8 cells, the header has 7"),
    (ROWS.replace(",Akim,", ",Mayor,"), "",
     "messy.toml: openelections[north].office: no rows for office 'akim' in messy.csv; its "
     "offices: Mayor"),
    (ROWS, 'district = "9"',
     "messy.toml: openelections[north].office: no rows for office 'akim' in messy.csv; its "
     "offices: Akim"),
    (ROWS, 'columns = { votes = "n" }',
     "messy.toml: openelections[north].columns.votes: column 'n' is not in the header of "
     "messy.csv (county, precinct, office, district, party, candidate, votes)"),
    (ROWS, 'officee = "x"', "messy.toml: openelections[north]: unknown key 'officee' (did you "
     "mean 'office'?); allowed here: against_all, aliases, area, cast, columns, county, "
     "county_rows, date, district, files, invalid, methods, name, office, race, registered, "
     "repeats, rows, skip"),
])
def test_a_hard_error_is_one_line_naming_file_row_and_column(tmp_path, runner, rows, extra,
                                                              error):
    """What the reader cannot mend stops it: one line, exit 2, nothing on stdout."""
    path = _messy(tmp_path, extra, rows=rows)
    with pytest.raises(ScenarioError) as err:
        load(path)
    assert str(err.value) == error
    result = runner.invoke(main, ["replay", str(path)])
    assert (result.exit_code, result.stdout, result.stderr) == (2, "", f"error: {error}\n")


def test_an_office_of_a_list_that_the_file_lacks_is_refused(tmp_path):
    """office = ["Akim", "Mayor"] where the file has no Mayor: one line naming it and the
    file's offices."""
    path = _messy(tmp_path, rows=ROWS)
    path.write_text(path.read_text().replace('office = "akim"', 'office = ["Akim", "Mayor"]'))
    with pytest.raises(ScenarioError) as err:
        load(path)
    assert str(err.value) == ("messy.toml: openelections[north].office: no rows for office "
                              "'Mayor' in messy.csv; its offices: Akim")


def test_a_race_id_taken_by_a_race_table_is_refused(tmp_path):
    """An [[openelections]] race whose id a [[race]] table already holds is refused at load."""
    path = _messy(tmp_path, '[[race]]\nid = "north"\n[[race.candidate]]\nname = "A"')
    with pytest.raises(ScenarioError, match=r"openelections\[north\]\.race: race 'north' is "
                                            "already a race of the scenario"):
        load(path)


def test_against_all_needs_rules_with_that_line(tmp_path):
    """Mapping an against-all line under rules without one (kz-2013-indirect) is refused."""
    path = _messy(tmp_path)
    path.write_text(path.read_text().replace("kz-2021-rural", "kz-2013-indirect"))
    with pytest.raises(ScenarioError, match="against_all: the kz-2013-indirect rules have no"):
        load(path)


def test_replay_and_validate_print_each_warning_as_one_line(runner, tmp_path):
    """Warnings go to stderr, one line each, and do not change the exit code."""
    path = _messy(tmp_path, 'repeats = "first"')
    for command in (["replay", str(path), "--format", "json"], ["validate", str(path)]):
        result = runner.invoke(main, command)
        assert result.exit_code == 0
        lines = result.stderr.splitlines()
        assert len(lines) == 8
        assert all(line.startswith("warning: messy.csv: ") for line in lines)
    assert runner.invoke(main, ["validate", str(path)]).stdout == ""


# -- out, and back in ---------------------------------------------------------------------------
def _reimport(rp, csv_name: str) -> str:
    """A scenario reading every race of ``rp`` back from its OpenElections export."""
    e = rp.scenario.election
    assert e.rules == PRESETS[e.rules.name], "rule overrides are not written here"
    out = [f"[election]\nname = {json.dumps(e.name)}\nrules = {json.dumps(e.rules.name)}\n"
           f"nation = {json.dumps(e.nation, ensure_ascii=False)}\n"
           f"share_basis = {json.dumps(e.share_basis)}"]
    if e.date:
        out.append(f"date = {e.date}")
    for race in rp.scenario.races:
        # the office and district the export writes: a file's own, else the race's name and id
        office, district = ((race.office, race.district) if race.office
                            else (race.name, race.id))
        out += ["[[openelections]]", f"race = {json.dumps(race.id, ensure_ascii=False)}",
                f"name = {json.dumps(race.name, ensure_ascii=False)}",
                f"area = {json.dumps(list(race.area), ensure_ascii=False)}",
                f"files = [{json.dumps(csv_name)}]",
                f"office = {json.dumps(office, ensure_ascii=False)}",
                f"registered = {json.dumps(REGISTERED)}", f"cast = {json.dumps(CAST)}",
                f"invalid = {json.dumps(INVALID)}"]
        if district:
            out.append(f"district = {json.dumps(district, ensure_ascii=False)}")
        if e.rules.against_all and race.against_all_line:
            out.append(f"against_all = {json.dumps(AGAINST_ALL)}")
        if race.date:
            out.append(f"date = {race.date}")
    return "\n".join(out) + "\n"


def _results(rp) -> dict:
    """The replay's results: every race (less what OpenElections files do not carry: withdrawn
    candidates, terms held, the maslikhat that elected the akim; and the office and district
    that read-back races keep as the file spells them) and every area."""
    d = replay_dict(rp)
    races = [{k: v for k, v in r.items()
              if k not in ("withdrawn", "winner_term", "maslikhat", "office", "district")}
             for r in d["races"]]
    return {"races": races, "areas": d["areas"]}


def _round_trip(rp, tmp_path: Path):
    (tmp_path / "out.csv").write_text(to_csv(rp), encoding="utf-8")
    (tmp_path / "back.toml").write_text(_reimport(rp, "out.csv"), encoding="utf-8")
    return replay(load(tmp_path / "back.toml"))


@pytest.mark.parametrize("scenario", [p for p in HISTORICAL_FILES if load(p).races],
                         ids=lambda p: p.stem)
def test_a_historical_replay_round_trips_through_openelections_csv(scenario, tmp_path):
    """replay -> OpenElections CSV -> replay: the same counts, shares, winners and areas. An
    OpenElections file cannot say that two races share a maslikhat's deputies, so read back
    each race counts its electors (the 2013 record's Uralsk body: 2 x 19, not 19); the
    rest is the same."""
    rp = replay(load(scenario))
    back = _round_trip(rp, tmp_path)
    theirs, ours = _results(back), _results(rp)
    if any(r.maslikhat for r in rp.scenario.races):
        shared = [a for a in ours["areas"] if a["races"] == 2]
        assert shared
        assert all(a["registered"] == a["cast"] == 19 for a in shared)
        for a in theirs["areas"] + ours["areas"]:
            a.pop("registered"), a.pop("cast"), a.pop("turnout")
    assert theirs == ours


def test_a_scenario_without_races_exports_only_the_header():
    """The 2013 indirect elections' national aggregates alone (no race) export the header row
    alone."""
    text = INDIRECT_2013.read_text(encoding="utf-8")
    aggregates = text[:text.index("\n[[maslikhat]]")]
    rp = replay(loads(aggregates, name="aggregates.toml"))
    assert not rp.scenario.races
    assert to_csv(rp) == "county,precinct,office,district,party,candidate,votes\n"


def test_carson_city_round_trips_precinct_by_precinct(shared, tmp_path):
    """Precinct rows come back as they went out, and the race totals check exact."""
    rp = replay(loads(_carson_toml(shared / CARSON), name="carson.toml"))
    back = _round_trip(rp, tmp_path)
    assert _results(back) == _results(rp)
    for a, b in zip(rp.scenario.races, back.scenario.races, strict=True):
        assert a.precincts.ids.tolist() == b.precincts.ids.tolist()
        assert np.array_equal(a.precincts.votes, b.precincts.votes)
    # every candidate's total, and against all where the ballot has it (President: "None Of
    # These Candidates"; the mayor's ballot has no such line)
    assert len(back.checks) == 2 + 6 + 1
    assert {c.status for c in back.checks} == {"exact"}
    # the export holds precinct 998 for the President only, as the sample does
    assert back.scenario.warnings == ("out.csv: race 'mayor': no rows for 1 precinct the file "
                                      "has for other offices: 'Carson City / Precinct 998'",)


def test_random_precinct_elections_round_trip(tmp_path):
    """Seeded random precinct tables, unknown counts included, come back identical."""
    rng = np.random.default_rng(9)
    races = []
    for r in range(6):
        k = int(rng.integers(1, 5))
        cands = "".join(f'[[race.candidate]]\nname = "C{r}-{j}"\nparty = "P{j % 3}"\n'
                        for j in range(k))
        rows = []
        for i in range(int(rng.integers(1, 6))):
            votes = rng.integers(0, 500, k)
            aa = int(rng.integers(0, 50))
            invalid = int(rng.integers(0, 20))
            cast = int(votes.sum()) + aa + invalid
            reg = cast + int(rng.integers(0, 300))
            counts = {"registered": reg, "cast": cast, "invalid": invalid, "against_all": aa}
            shown = [f"{key} = {v}" for key, v in counts.items() if rng.random() > 0.2]
            rows.append(f'[[race.precinct]]\nid = "{i + 1}"\n' + "\n".join(shown)
                        + f"\nvotes = {votes.tolist()}\n")
        races.append(f'[[race]]\nid = "r{r}"\narea = ["Region {r % 2}"]\n{cands}'
                     + "".join(rows))
    text = ('[election]\nname = "random"\ndate = 2021-07-25\nrules = "kz-2021-rural"\n'
            + "".join(races))
    rp = replay(loads(text, name="random.toml"))
    assert _results(_round_trip(rp, tmp_path)) == _results(rp)


def test_several_files_make_one_race_and_errors_name_their_file(tmp_path):
    """One file per county: precincts are named with their county; precinct-wide lines (an
    office "Registered Voters" without a candidate) give the precinct's count; a bad cell is
    named in its own file."""
    head = "county,precinct,office,candidate,votes\n"
    (tmp_path / "east.csv").write_text(
        head + 'East,1,Akim,A,10\nEast,1,Akim,B,5\nEast,1,Registered Voters,,40\n',
        encoding="utf-8")
    (tmp_path / "west.csv").write_text(head + "West,1,Akim,B,7\nWest,1,Akim,A,2\n",
                                       encoding="utf-8")
    toml = tmp_path / "two.toml"
    toml.write_text('[election]\nname = "two"\nrules = "kz-2021-rural"\n[[openelections]]\n'
                    'race = "r"\nfiles = ["east.csv", "west.csv"]\noffice = "Akim"\n'
                    'registered = "Registered Voters"\n', encoding="utf-8")
    s = load(toml)
    p = s.races[0].precincts
    assert p.ids.tolist() == ["East / 1", "West / 1"]
    assert p.votes.tolist() == [[10, 5], [2, 7]]
    assert p.registered.tolist() == [40, -1]
    assert s.warnings == ("east.csv, west.csv: race 'r': no row for 'Registered Voters' in 1 "
                          "precinct ('West / 1'): unknown there",)
    (tmp_path / "west.csv").write_text(head + "West,1,Akim,B,7\nWest,1,Akim,A,x\n",
                                       encoding="utf-8")
    with pytest.raises(ScenarioError) as err:
        load(toml)
    assert str(err.value) == ("west.csv: row 3, column 'votes' (West / 1): must be a whole "
                              "number, got 'x'")


def test_replay_writes_the_openelections_layout(runner, tmp_path):
    """--format openelections: the header, the candidates, against all and the known counts;
    unknown counts are blank cells."""
    out = tmp_path / "semey.csv"
    result = runner.invoke(main, ["replay", str(SEMEY_2025), "--format", "openelections", "-o",
                                  str(out)])
    assert (result.exit_code, result.stdout, result.stderr) == (0, "", "")
    assert out.read_text(encoding="utf-8") == (
        "county,precinct,office,district,party,candidate,votes\n"
        "Abai Region,,Semey,semey,Independent,Ädilet Qojanbaev,89441\n"
        "Abai Region,,Semey,semey,Independent,Qanyş Töleuov,12557\n"
        "Abai Region,,Semey,semey,Independent,Aibolat Bekjasarov,9763\n"
        "Abai Region,,Semey,semey,,Against All,\n"
        "Abai Region,,Semey,semey,,Registered Voters,220761\n")


# -- what a round trip cannot carry ---------------------------------------------------------------
TWO_PRECINCTS = """
[election]
name = "dup"
rules = "kz-2021-rural"
[[race]]
id = "r1"
[[race.candidate]]
name = "A"
[[race.precinct]]
id = "P1"
votes = [10]
[[race.precinct]]
id = "{second}"
votes = [20]
"""


@pytest.mark.parametrize(("second", "error"), [
    ("P1", "dup.toml: race[r1].precinct[2].id: duplicate precinct id 'P1' (also precinct[1])"),
    ("p1", "dup.toml: race[r1].precinct[2].id: duplicate precinct id 'p1' (also precinct[1], "
           "as 'P1': ids that differ only in case or spacing are one precinct)"),
    ("P1 ", "dup.toml: race[r1].precinct[2].id: duplicate precinct id 'P1 ' (also "
            "precinct[1], as 'P1': ids that differ only in case or spacing are one precinct)"),
])
def test_a_precinct_id_repeated_in_a_race_is_refused_at_load(second, error):
    """Exported, two precincts of one id would come back as one (counted once, or refused)."""
    with pytest.raises(ScenarioError) as err:
        loads(TWO_PRECINCTS.format(second=second), name="dup.toml")
    assert str(err.value) == error


def test_precinct_ids_may_repeat_across_races():
    """Precinct 'P1' of one race and 'P1' of another are different precincts."""
    race = TWO_PRECINCTS.format(second="P2").split("[[race]]")[1]
    text = TWO_PRECINCTS.format(second="P2") + "[[race]]" + race.replace('"r1"', '"r2"')
    assert [r.precincts.ids.tolist() for r in loads(text).races] == [["P1", "P2"], ["P1", "P2"]]


TIP = '; a station may need several columns to be one id, e.g. precinct = ["region", "number"]'


@pytest.mark.parametrize(("rows", "error"), [
    ("r1,P1,5\nr2,P1,6\nr1,P1,7\n", "rows.csv: row 4, column 'precinct': duplicate precinct id "
     "'P1' in race 'r1' (also row 2)" + TIP),
    ("r1,P1,5\nr1,p1,7\n", "rows.csv: row 3, column 'precinct': duplicate precinct id 'p1' in "
     "race 'r1' (also row 2, as 'P1': ids that differ only in case or spacing are one "
     "precinct)" + TIP),
])
def test_a_precinct_id_repeated_in_a_csv_file_is_refused(tmp_path, rows, error):
    """The same precinct twice in a [precincts] file: one line naming the row and column."""
    (tmp_path / "rows.csv").write_text("race,precinct,A\n" + rows, encoding="utf-8")
    (tmp_path / "dup.toml").write_text(
        '[election]\nname = "dup"\nrules = "kz-2021-rural"\n'
        '[[race]]\nid = "r1"\n[[race.candidate]]\nname = "A"\n'
        '[[race]]\nid = "r2"\n[[race.candidate]]\nname = "A"\n'
        '[precincts]\nfile = "rows.csv"\n[precincts.columns]\nrace = "race"\n'
        'precinct = "precinct"\ncandidates = ["A"]\n', encoding="utf-8")
    with pytest.raises(ScenarioError) as err:
        load(tmp_path / "dup.toml")
    assert str(err.value) == error


def _race(rid: str, names: list[str], ids: tuple[str, ...] = ("1", "2")) -> str:
    """A [[race]] table: candidates ``names``, precincts ``ids``, known counts."""
    cands = "".join(f"[[race.candidate]]\nname = {json.dumps(n)}\n" for n in names)
    votes = [[100 + 7 * j + i for j in range(len(names))] for i in range(len(ids))]
    rows = "".join(f"[[race.precinct]]\nid = {json.dumps(pid)}\nregistered = 900\ncast = "
                   f"{sum(v) + 9}\ninvalid = 4\nagainst_all = 5\nvotes = {v}\n"
                   for pid, v in zip(ids, votes, strict=True))
    return f'[[race]]\nid = "{rid}"\n{cands}{rows}'


NAMES = '[election]\nname = "names"\ndate = 2021-07-25\nrules = "kz-2021-rural"\n'


def _one_race(names: list[str]) -> str:
    """A scenario of one race, 'r1'."""
    return NAMES + _race("r1", names)


@pytest.mark.parametrize(("names", "error"), [
    (["Smith, Ann", "SMITH  ANN"], "names.toml: race[r1].candidate[2].name: 'SMITH  ANN' and "
     "candidate[1] 'Smith, Ann' differ only in case, spacing or punctuation: an OpenElections "
     "file cannot carry them apart"),
    (["A", "Registered Voters"], "names.toml: race[r1].candidate[2].name: 'Registered Voters' "
     "is the name of the line 'Registered Voters' the export writes beside the candidates: an "
     "OpenElections file cannot carry the candidate apart from that count"),
    (["against  ALL"], "names.toml: race[r1].candidate[1].name: 'against  ALL' is the name of "
     "the line 'Against All' the export writes beside the candidates: an OpenElections file "
     "cannot carry the candidate apart from that count"),
    ([" A"], "names.toml: race[r1].candidate[1].name: ' A' begins or ends with a space, which "
     "an OpenElections file cannot carry (its cells are stripped)"),
])
def test_the_export_refuses_names_it_cannot_write_back(runner, tmp_path, names, error):
    """Names the reader would merge, or read as a count line, are refused: one line, exit 2."""
    rp = replay(loads(_one_race(names), name="names.toml"))
    with pytest.raises(ScenarioError) as err:
        to_csv(rp)
    assert str(err.value) == error
    (tmp_path / "names.toml").write_text(_one_race(names), encoding="utf-8")
    result = runner.invoke(main, ["replay", str(tmp_path / "names.toml"), "--format",
                                  "openelections"])
    assert (result.exit_code, result.stdout, result.stderr) == (2, "", f"error: {error}\n")


def test_the_export_refuses_a_blank_precinct_id(tmp_path):
    """A [precincts] file may leave a precinct cell blank; exported, it would be the totals."""
    (tmp_path / "rows.csv").write_text("precinct,A\n1,10\n,20\n", encoding="utf-8")
    (tmp_path / "blank.toml").write_text(
        '[election]\nname = "blank"\nrules = "kz-2021-rural"\n[[race]]\nid = "r1"\n'
        '[[race.candidate]]\nname = "A"\n[precincts]\nfile = "rows.csv"\n'
        '[precincts.columns]\nprecinct = "precinct"\ncandidates = ["A"]\n', encoding="utf-8")
    with pytest.raises(ScenarioError) as err:
        to_csv(replay(load(tmp_path / "blank.toml")))
    assert str(err.value) == ("blank.toml: race[r1].precinct[2]: precinct id '' is blank, "
                              "which an OpenElections file reads as the race's totals")


_NAMES = st.one_of(
    st.sampled_from([REGISTERED, CAST, INVALID, AGAINST_ALL, "registered voters", "Total",
                     "None Of These Candidates", "Smith, Ann", "SMITH ANN", "smith ann."]),
    st.text(alphabet="aAbB ,.-'", min_size=1, max_size=5).filter(str.strip))


@given(names=st.lists(_NAMES, min_size=1, max_size=4, unique=True))
def test_any_candidate_names_are_refused_or_round_trip_exactly(names):
    """Whatever the names, the export either refuses them (one line) or they come back as they
    went out, with the same counts and results."""
    rp = replay(loads(_one_race(names), name="names.toml"))
    try:
        text = to_csv(rp)
    except ScenarioError as err:
        refused = str(err)
    else:
        refused = None
    if refused is not None:
        assert "\n" not in refused
        return
    with tempfile.TemporaryDirectory() as tmp:
        (Path(tmp) / "out.csv").write_text(text, encoding="utf-8")
        (Path(tmp) / "back.toml").write_text(_reimport(rp, "out.csv"), encoding="utf-8")
        back = replay(load(Path(tmp) / "back.toml"))
    assert [c.name for c in back.scenario.races[0].candidates] == names
    assert _results(back) == _results(rp)


def test_the_export_refuses_two_races_it_would_read_back_as_one():
    """Races 'R1' and 'r1' of one name are one office and district to the reader."""
    text = _one_race(["A"]) + '[[race]]\nid = "R1"\nname = "r1"\n[[race.candidate]]\nname = "B"\n'
    with pytest.raises(ScenarioError) as err:
        to_csv(replay(loads(text, name="names.toml")))
    assert str(err.value) == ("names.toml: race[R1]: office 'r1' and district 'R1' are "
                              "race[r1]'s but for case and spacing: an OpenElections file cannot "
                              "carry the two races apart (office and district)")


def test_names_that_differ_in_a_number_are_not_taken_for_one_spelled_two_ways(tmp_path):
    """'Candidate 1' and 'Candidate 2' are two lines (no warning); 'LEE, BO' and 'LEE, BOO' may
    be one."""
    rows = ("precinct,office,candidate,votes\n1,Akim,Candidate 1,5\n1,Akim,Candidate 2,6\n"
            "1,Akim,Candidate 12,7\n1,Akim,\"LEE, BO\",1\n1,Akim,\"LEE, BOO\",2\n")
    s = load(_messy(tmp_path, rows=rows))
    assert [w for w in s.warnings if "spelled two ways" in w] == [
        "messy.csv: rows 5-6: 'LEE, BO' and 'LEE, BOO' may be one candidate spelled two ways: "
        'kept apart (aliases = { "LEE, BOO" = "LEE, BO" } merges them)']


# -- fusion lines: one candidate on several party lines ----------------------------------------
FUSION = """county,precinct,office,party,candidate,votes
North,P1,Akim,DEM,"Smith, Ann",100
North,P1,Akim,WFP,"Smith, Ann",20
North,P1,Akim,,"Smith, Ann",{total}
North,P1,Akim,REP,"Lee, Bo",90
North,P2,Akim,DEM,"Smith, Ann",50
North,P2,Akim,REP,"Lee, Bo",60
"""


def test_a_fusion_total_without_a_party_is_left_out_with_a_warning(tmp_path):
    """DEM 100, WFP 20 and a row with no party of 120: the 120 is their total, counted once
    (not 240), and the warning names its row; the second party is named as written."""
    s = load(_messy(tmp_path, rows=FUSION.format(total=120)))
    assert s.races[0].precincts.votes.tolist() == [[120, 90], [50, 60]]
    assert s.warnings == (
        "messy.csv: row 4: 'Smith, Ann' without a party is the sum of the candidate's rows "
        "with a party in the same precinct: read as their total and left out",
        "messy.csv: row 3: a second party for 'Smith, Ann': its votes are summed under party "
        "'DEM'",
        "messy.csv: race 'north': no row for 'against all' in any precinct: read as 0 votes",
    )


def test_a_fusion_total_of_the_race_is_left_out_too(tmp_path):
    """Race-level rows (blank county and precinct) follow the same rule, and the total is then
    checked."""
    rows = FUSION.format(total=120) + (",,Akim,DEM,\"Smith, Ann\",150\n"
                                       ",,Akim,WFP,\"Smith, Ann\",20\n"
                                       ",,Akim,,\"Smith, Ann\",170\n")
    rp = replay(load(_messy(tmp_path, rows=rows)))
    assert rp.races.totals.votes[0].tolist() == [170, 150]
    assert [c.status for c in rp.checks] == ["exact"]


@pytest.mark.parametrize(("total", "error"), [
    ("100", "messy.csv: row 4: 'Smith, Ann' has 100 votes without a party in precinct "
            "'North / P1', and rows 2-3 give 120 with a party (DEM, WFP): not their total; give "
            "the row its party, or leave it out"),
    ("", "messy.csv: row 4: 'Smith, Ann' has blank votes without a party in precinct "
         "'North / P1', and rows 2-3 give 120 with a party (DEM, WFP): not their total; give "
         "the row its party, or leave it out"),
])
def test_a_row_without_a_party_that_is_not_the_total_is_refused(tmp_path, total, error):
    """Beside rows with a party, a row without one that is not their sum cannot be read either
    way (a total? a third line?): one line naming the rows."""
    with pytest.raises(ScenarioError) as err:
        load(_messy(tmp_path, rows=FUSION.format(total=total)))
    assert str(err.value) == error


def test_blank_fusion_rows_are_unknown_once(tmp_path):
    """A precinct whose party rows and total are all blank: the total is left out, the
    candidate unknown there (not refused)."""
    rows = FUSION.format(total="").replace(",100\n", ",\n").replace(",20\n", ",\n")
    s = load(_messy(tmp_path, rows=rows))
    assert s.races[0].precincts.votes.tolist() == [[-1, 90], [50, 60]]


# -- a precinct's county left blank in some rows --------------------------------------------------
COUNTIES = """county,precinct,office,candidate,votes
North,P1,Akim,A,10
North,P1,Akim,B,5
,P1,Akim,A,10
,P1,Registered Voters,,40
North,P2,Akim,A,7
North,P2,Akim,B,3
"""


def test_rows_without_a_county_join_the_only_county_of_their_precinct(tmp_path):
    """Precinct P1's rows with a blank county are North's (the file's only county for P1): the
    repeated row is a repeat of P1's (here the first kept), not a second 'P1', and the warning
    names the rows."""
    s = load(_messy(tmp_path, 'registered = "Registered Voters"\nrepeats = "first"',
                    rows=COUNTIES))
    p = s.races[0].precincts
    assert (p.ids.tolist(), p.votes.tolist(), p.registered.tolist()) == (
        ["P1", "P2"], [[10, 5], [7, 3]], [40, -1])
    assert s.warnings[:2] == (
        "messy.csv: rows 4-5: no county: read in the only county the file's rows of the race "
        "give the precinct ('P1' in 'North')",
        "messy.csv: row 4: repeats row 2: same precinct, office, party and line; left out "
        '(repeats = "first" keeps the first)',
    )


def test_a_precinct_without_a_county_in_a_file_of_several_is_refused(tmp_path):
    """P1 is in North and in South: a row of P1 without a county could be either's."""
    rows = COUNTIES + "South,P1,Akim,A,1\nSouth,P1,Akim,B,2\n"
    with pytest.raises(ScenarioError) as err:
        load(_messy(tmp_path, rows=rows))
    assert str(err.value) == ("messy.csv: row 4: precinct 'P1' has no county, and the file's "
                              "rows of the race give it 2 ('North' in row 2, 'South' in row 8): "
                              "fill in its county")


def test_a_file_without_counties_keeps_its_precincts(tmp_path):
    """No county anywhere: nothing to merge, no warning about counties."""
    rows = "".join(line.split(",", 1)[1] + "\n" for line in COUNTIES.splitlines())
    s = load(_messy(tmp_path, 'repeats = "sum"', rows=rows))
    assert s.races[0].precincts.ids.tolist() == ["P1", "P2"]
    assert not [w for w in s.warnings if "county" in w]


def test_a_file_is_parsed_once_and_each_table_takes_only_its_own_rows(tmp_path, monkeypatch):
    """Twelve races read back from one export: the file is parsed and indexed once, and the
    twelve tables together take each of its rows once (no table walks the others' rows)."""
    calls = {"parse": 0, "index": 0, "rows": 0}

    def counted(name, f):
        def wrapper(*args, **kwargs):
            calls[name] += 1
            return f(*args, **kwargs)
        return wrapper

    def taken(f, want):
        rows = take(f, want)
        calls["rows"] += len(rows)
        return rows

    take = openelections_files._taken
    monkeypatch.setattr(openelections_files, "parse", counted("parse", openelections_files.parse))
    monkeypatch.setattr(openelections_files, "index", counted("index", openelections_files.index))
    monkeypatch.setattr(openelections_files, "_taken", taken)
    rp = replay(loads(NAMES + "".join(_race(f"r{r}", [f"A{r}", f"B{r}"]) for r in range(12))))
    back = _round_trip(rp, tmp_path)
    assert _results(back) == _results(rp)
    lines = (tmp_path / "out.csv").read_text(encoding="utf-8").count("\n") - 1
    assert calls == {"parse": 1, "index": 1, "rows": lines}


def test_a_file_with_a_header_only_has_no_rows_for_the_office(tmp_path):
    """A header and no rows: the office has none (one line), not a crash."""
    with pytest.raises(ScenarioError) as err:
        load(_messy(tmp_path, rows="county,precinct,office,candidate,votes\n\n"))
    assert str(err.value) == "messy.toml: openelections[north].office: no rows for office 'akim' " \
                             "in messy.csv"


def test_a_fusion_total_named_first_keeps_the_order_of_the_file(tmp_path):
    """Candidates and precincts come in the order the file first names them, though that row
    is a total left out."""
    rows = FUSION.format(total=120).splitlines()
    rows = "\n".join([rows[0], rows[3], rows[4], rows[1], rows[2], *rows[5:]]) + "\n"
    s = load(_messy(tmp_path, rows=rows))
    assert [c.name for c in s.races[0].candidates] == ["Smith, Ann", "Lee, Bo"]
    assert s.races[0].precincts.votes.tolist() == [[120, 90], [50, 60]]


@pytest.mark.parametrize(("content", "error"), [
    (b"", "messy.csv: is empty: no header row"),
    (b"county,precinct,office,candidate,votes\nN,1,Akim,\xff,5\n",
     "messy.csv: byte 48: not UTF-8 text"),
    (None, "messy.toml: openelections[north].files: no such file '{path}'"),
])
def test_unreadable_files_are_named_as_the_precinct_reader_names_them(tmp_path, content, error):
    """Missing, not UTF-8, empty: the messages of engine.formats.precinct_csv (one helper reads
    both)."""
    toml = _messy(tmp_path, rows="")
    path = tmp_path / "messy.csv"
    if content is None:
        path.unlink()
    else:
        path.write_bytes(content)
    with pytest.raises(ScenarioError) as err:
        load(toml)
    assert str(err.value) == error.format(path=path)


def test_party_lines_add_up_exactly_in_int64(tmp_path):
    """A candidate's lines are summed as int64: 2**60 + 1 twice is 2**61 + 2 (float sums above
    2**53 would drop the 2)."""
    big = 2**60 + 1
    rows = (f"precinct,office,party,candidate,votes\n1,Akim,DEM,A,{big}\n1,Akim,WFP,A,{big}\n"
            "1,Akim,REP,B,3\n")
    s = load(_messy(tmp_path, rows=rows))
    assert s.races[0].precincts.votes.tolist() == [[2**61 + 2, 3]]
