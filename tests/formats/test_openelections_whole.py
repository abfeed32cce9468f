"""Whole OpenElections files: every race at once, repeats by policy, vote methods, county-wide rows
and subtotals told apart, summary lines known by name, faithful exports; each with small files
written here (the real state files: test_openelections_states)."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from cli.main import main
from cli.replay_render import replay_dict, to_table
from engine.errors import ScenarioError
from engine.formats.openelections import vocabulary as vocab
from engine.formats.openelections.writer import to_csv
from engine.formats.scenario import load
from engine.replay.run import replay

HEAD = ('[election]\nname = "t"\ndate = 2020-11-03\nrules = "kz-2023-district"\n'
        "[rules]\nmin_candidates = 1\n")


def _scenario(tmp: Path, rows: str, extra: str = "", office: str = '"*"', name: str = "f.csv"
              ) -> Path:
    """A scenario reading ``rows`` (a CSV text, written to ``name``) with one table."""
    (tmp / name).write_text(rows, encoding="utf-8")
    toml = tmp / "t.toml"
    toml.write_text(HEAD + f'[[openelections]]\nrace = "s"\nfiles = ["{name}"]\n'
                    f"office = {office}\n{extra}\n", encoding="utf-8")
    return toml


# -- what a word means ---------------------------------------------------------------------------
@pytest.mark.parametrize(("a", "b"), [("70", "070"), ("70", "HD070"), ("28", "28th LD District 28"),
                                      ("63", "63rd Representative District"), ("1", "1st CD"),
                                      ("71", "District 71"), ("7", "SD07")])
def test_spellings_of_one_district_number_are_one_district(a, b):
    """Districts are compared by the number they name, however it is dressed."""
    assert vocab.district_key(a) == vocab.district_key(b)


@pytest.mark.parametrize(("a", "b"), [("26A", "26B"), ("26", "26A"), ("Ward 3 Seat 2",
                                                                     "Ward 3 Seat 1"),
                                      ("3 Seat A", "3 Seat B"), ("At Large", "1")])
def test_districts_that_name_two_things_stay_apart(a, b):
    """A letter of its own, or a second number, keeps two districts apart."""
    assert vocab.district_key(a) != vocab.district_key(b)


@pytest.mark.parametrize(("name", "total"), [("Total", True), ("TOTALS", True),
                                             ("SOMERSET Totals", True),
                                             ("Maine Statewide Total", True),
                                             ("Totalville", False), ("A101", False),
                                             ("Auburn City", False)])
def test_a_precinct_named_as_a_total_is_one(name, total):
    """'Total' or 'Totals' as a word, in any case and spelling; not a part of a word."""
    assert vocab.is_total_precinct(name) is total


def test_offices_are_compared_without_dots_and_case():
    """U.S. Senate, U.S Senate and US SENATE are one office."""
    assert len({vocab.office_key(x) for x in ("U.S. Senate", "U.S Senate", "US SENATE")}) == 1


# -- every race at once ----------------------------------------------------------------------------
STATE = """county,precinct,office,district,party,candidate,votes
A,1,President,,REP,Ann,10
A,1,President,,DEM,Bob,7
A,1,State House,1,REP,Cy,6
A,1,State House,1,DEM,Di,9
A,2,President,,REP,Ann,4
A,2,President,,DEM,Bob,8
A,2,State House,2,REP,Ed,5
A,2,State House,2,DEM,Flo,5
B,1,President,,REP,Ann,3
B,1,President,,DEM,Bob,2
B,1,State House,HD002,REP,Ed,1
B,1,State House,HD002,DEM,Flo,2
"""


def test_office_star_makes_a_race_per_office_and_district(tmp_path):
    """Every (office, district) is a race with its own precincts; HD002 is district 2; the ids
    name them; no precinct of one district is 'missing' from another's race."""
    s = load(_scenario(tmp_path, STATE))
    got = {r.id: (r.name, r.precincts.ids.tolist()) for r in s.races}
    assert got == {"s.president": ("President", ["A / 1", "A / 2", "B / 1"]),
                   "s.state-house.1": ("State House 1", ["1"]),
                   "s.state-house.2": ("State House 2", ["A / 2", "B / 1"])}
    assert not [w for w in s.warnings if "other offices" in w]
    assert [w for w in s.warnings if "district 'HD002' read as '2'" in w]


def test_a_list_of_offices_and_the_table_groups_them(tmp_path):
    """office = ["State House"] makes a race per district; the table shows them as one office
    table, a line per district."""
    rp = replay(load(_scenario(tmp_path, STATE, office='["State House"]')))
    assert [r.id for r in rp.scenario.races] == ["s.state-house.1", "s.state-house.2"]
    text = to_table(rp)
    assert "State House (2 races)" in text
    lines = text.splitlines()
    at = lines.index("State House (2 races)")
    assert lines[at + 1].split()[:3] == ["district", "elected", "party"]
    assert lines[at + 2].split() == ["1", "Di", "DEM", "9", "60.00", "3", "15", "1"]


def test_one_office_of_several_districts_is_refused_with_a_hint(tmp_path):
    """office = "State House" without a district would mix two races: one line saying how to
    choose."""
    with pytest.raises(ScenarioError) as err:
        load(_scenario(tmp_path, STATE, office='"State House"'))
    assert str(err.value) == (
        "t.toml: openelections[s].district: the rows of f.csv hold 2 districts (1, 2): choose "
        'one with district = "...", or make a race of each with office = ["..."] (a list) or '
        'office = "*"')


# -- repeats ---------------------------------------------------------------------------------------
@given(st.lists(st.lists(st.integers(0, 500), min_size=2, max_size=3), min_size=1, max_size=5),
       st.integers(0, 2**32 - 1))
def test_summing_repeats_conserves_every_vote(counts, seed):
    """A file whose every row is split into 1-3 vote blocks (rows of one line, shuffled) read
    with repeats = "sum" gives the precincts and totals of the file read whole."""
    import tempfile

    rng = np.random.default_rng(seed)
    k = max(len(c) for c in counts)
    whole, split = ["county,precinct,office,party,candidate,votes"], []
    for p, row in enumerate(counts):
        for j, v in enumerate(row + [0] * (k - len(row))):
            line = f"C,P{p},Mayor,X{j},Cand {j},"
            whole.append(line + str(v))
            parts = rng.multinomial(v, rng.dirichlet(np.ones(int(rng.integers(1, 4)))))
            split += [line + str(x) for x in parts]
    rng.shuffle(split)
    with tempfile.TemporaryDirectory() as tmp:
        a = load(_scenario(Path(tmp), "\n".join(whole) + "\n", 'repeats = "sum"'))
        b = load(_scenario(Path(tmp), "\n".join([whole[0], *split]) + "\n", 'repeats = "sum"'))
    def by_name(s):  # precincts x candidates, both in name order (shuffling changes the order)
        race = s.races[0]
        names = [c.name for c in race.candidates]
        votes = race.precincts.votes[np.argsort(race.precincts.ids)]
        return votes[:, np.argsort(names)], sorted(names)

    assert np.array_equal(by_name(a)[0], by_name(b)[0])
    assert by_name(a)[1] == by_name(b)[1]
    total_a, total_b = replay(a).races.totals, replay(b).races.totals
    assert int(total_a.valid[0]) == int(total_b.valid[0]) == sum(map(sum, counts))


@given(st.lists(st.tuples(st.integers(0, 300), st.integers(0, 300), st.integers(0, 300)),
                min_size=1, max_size=4))
def test_a_file_split_by_vote_method_replays_as_the_file_with_method_columns(rows):
    """Rows repeated per vote method (summed) and a file with one column per method: the same
    totals, and each method's votes kept per precinct."""
    import tempfile

    columns = ["county,precinct,office,candidate,votes,election_day,absentee,mail"]
    per_method = ["county,precinct,office,candidate,votes"]
    for p, (day, absentee, mail) in enumerate(rows):
        columns.append(f"C,P{p},Mayor,Ann,{day + absentee + mail},{day},{absentee},{mail}")
        columns.append(f"C,P{p},Mayor,Bob,1,1,0,0")
        per_method += [f"C,P{p},Mayor,Ann,{v}" for v in (day, absentee, mail)]
        per_method.append(f"C,P{p},Mayor,Bob,1")
    with tempfile.TemporaryDirectory() as tmp:
        a = replay(load(_scenario(Path(tmp), "\n".join(columns) + "\n")))
        b = replay(load(_scenario(Path(tmp), "\n".join(per_method) + "\n", 'repeats = "sum"',
                                  name="g.csv")))
    assert a.races.totals.votes.tolist() == b.races.totals.votes.tolist()
    race = a.scenario.races[0]
    assert race.methods == ("election_day", "absentee", "mail")
    assert race.precincts.methods[:, 0].tolist() == [list(r) for r in rows]
    ann = replay_dict(a)["races"][0]["candidates"][0]["methods"]
    assert ann == {"election_day": sum(r[0] for r in rows), "absentee": sum(r[1] for r in rows),
                   "mail": sum(r[2] for r in rows)}


def test_repeats_first_keeps_the_first_row(tmp_path):
    """repeats = "first": the later rows of a line are left out, with a warning."""
    rows = "precinct,office,candidate,votes\n1,Mayor,Ann,5\n1,Mayor,Bob,3\n1,Mayor,Ann,9\n"
    s = load(_scenario(tmp_path, rows, 'repeats = "first"'))
    assert s.races[0].precincts.votes.tolist() == [[5, 3]]
    assert s.warnings[0].startswith("f.csv: row 4: repeats row 2:")


# -- vote methods --------------------------------------------------------------------------------
def test_votes_that_are_not_the_methods_sum_are_warned_about_and_kept(tmp_path):
    """votes stays the total; one warning counts the rows where the methods differ."""
    rows = ("county,precinct,office,candidate,votes,election_day,absentee\n"
            "C,1,Mayor,Ann,10,6,4\nC,1,Mayor,Bob,8,,\nC,2,Mayor,Ann,7,5,1\n")
    s = load(_scenario(tmp_path, rows))
    assert s.races[0].precincts.votes.tolist() == [[10, 8], [7, 0]]
    assert ("f.csv: row 4: votes is not the sum of the vote-method columns (election_day, "
            "absentee) on 1 row (the first: 'C / 2', 7 against 6): votes kept as the total, "
            "each method as given") in s.warnings


def test_a_method_cell_that_is_not_a_count_is_refused_naming_its_column_and_place(tmp_path):
    """One line: file, row, column and county / precinct."""
    rows = "county,precinct,office,candidate,votes,absentee\nC,1,Mayor,Ann,10,x\n"
    with pytest.raises(ScenarioError) as err:
        load(_scenario(tmp_path, rows))
    assert str(err.value) == ("f.csv: row 2, column 'absentee' (C / 1): must be a whole "
                              "number, got 'x'")


# -- rows with a county and no precinct ------------------------------------------------------------
COUNTY_ROWS = """county,precinct,office,candidate,votes
A,1,Mayor,Ann,10
A,1,Mayor,Bob,5
A,2,Mayor,Ann,4
A,2,Mayor,Bob,6
A,,Mayor,Ann,{a}
A,,Mayor,Bob,{b}
B,,Mayor,Ann,7
B,,Mayor,Bob,1
,,Mayor,Ann,{total}
"""


def test_county_rows_equal_to_the_precincts_are_a_checked_subtotal(tmp_path):
    """A's rows without a precinct give 14 and 11, its precincts' sums: its subtotal, checked
    exact, not counted; B has no precinct: its rows are its county-wide votes; the row with
    neither county nor precinct is the race's total, checked."""
    rp = replay(load(_scenario(tmp_path, COUNTY_ROWS.format(a=14, b=11, total=21))))
    race = rp.scenario.races[0]
    assert race.precincts.ids.tolist() == ["A / 1", "A / 2", "B / (county-wide)"]
    assert rp.races.totals.votes[0].tolist() == [21, 12]
    checks = {c.where: c.status for c in rp.checks}
    assert checks == {"race[s.mayor].county[A].candidate[1].votes": "exact",
                      "race[s.mayor].county[A].candidate[2].votes": "exact",
                      "race[s.mayor].candidate[1].votes": "exact"}
    warnings = "\n".join(rp.scenario.warnings)
    assert "county 'A' without a precinct: the sum of its precincts, read as its subtotal" in \
        warnings
    assert ("county 'B' without a precinct: read as votes counted county-wide, precinct "
            "'B / (county-wide)' (the race has no other precinct in the county)") in warnings


def test_county_rows_that_are_not_the_precincts_sum_are_votes_said_so(tmp_path):
    """A's rows give 3 and 2 (absentee ballots, say): counted as its county-wide votes, and the
    warning says why; county_rows = "subtotals" reads them as a subtotal instead (a mismatch)."""
    rp = replay(load(_scenario(tmp_path, COUNTY_ROWS.format(a=3, b=2, total=24))))
    assert rp.races.totals.votes[0].tolist() == [24, 14]
    assert any("precinct 'A / (county-wide)' (they are not the sum of the county's 2 precincts "
               "('Ann': 3 against 14))" in w for w in rp.scenario.warnings)
    rp = replay(load(_scenario(tmp_path, COUNTY_ROWS.format(a=3, b=2, total=21),
                               'county_rows = "subtotals"')))
    assert {c.status for c in rp.checks if ".county[A]." in c.where} == {"mismatch"}


def test_a_total_row_in_a_pseudo_county_is_the_race_total(tmp_path):
    """'STATE,Statewide Total' under a county with no precinct: the race's total, checked."""
    rows = ("county,precinct,office,candidate,votes\nA,1,Mayor,Ann,10\nA,1,Mayor,Bob,5\n"
            "A,Total,Mayor,Ann,10\nSTATE,Statewide Total,Mayor,Ann,11\n")
    rp = replay(load(_scenario(tmp_path, rows)))
    checks = {c.where: (c.status, c.published) for c in rp.checks}
    assert checks == {"race[s.mayor].county[A].candidate[1].votes": ("exact", 10),
                      "race[s.mayor].candidate[1].votes": ("mismatch", 11)}


# -- nothing invented ------------------------------------------------------------------------------
def test_no_party_no_against_all_and_a_state_in_the_exports(tmp_path):
    """A file without a party column and without an against-all line: parties are empty, the
    table and JSON show no against-all line, the export writes none, and NIST has a state with
    its counties."""
    from engine.formats.nist import document

    rp = replay(load(_scenario(tmp_path, STATE.replace(",party", "").replace(",REP", "")
                               .replace(",DEM", ""))))
    race = rp.scenario.races[0]
    assert [c.party for c in race.candidates] == ["", ""]
    assert replay_dict(rp)["races"][0]["against_all"] is None
    assert "against all" not in to_table(rp)
    assert "Against All" not in to_csv(rp)
    doc = document(rp)
    kinds = [u["Type"] for u in doc["GpUnit"]]
    assert kinds[0] == "state"
    assert kinds.count("county") == 2
    assert all("PartyId" not in c for c in doc["Election"][0]["Candidate"])


def test_the_export_writes_the_county_column_as_read(tmp_path):
    """County and precinct as the file wrote them; the race totals with neither."""
    rp = replay(load(_scenario(tmp_path, STATE)))
    lines = to_csv(rp).splitlines()
    assert lines[1] == "A,1,President,,REP,Ann,10"
    assert "B,1,State House,2,DEM,Flo,2" in lines
    assert ",,President,,REP,Ann,17" in lines


# -- files as they come ----------------------------------------------------------------------------
def test_a_gzip_file_is_read_and_a_truncated_one_is_one_line(tmp_path):
    """.csv.gz is read directly; cut short, it is refused in one line naming the file."""
    data = gzip.compress(STATE.encode())
    (tmp_path / "f.csv.gz").write_bytes(data)
    s = load(_scenario(tmp_path, STATE).parent / "f.csv.gz")
    assert len(s.races) == 3
    (tmp_path / "f.csv.gz").write_bytes(data[:len(data) // 2])
    with pytest.raises(ScenarioError) as err:
        load(tmp_path / "f.csv.gz")
    assert str(err.value) == ("f.csv.gz: the gzip data end before the file does: the file is "
                              "truncated (download it again)")


def test_a_csv_given_directly_is_every_race_and_repeats_is_its_option(runner, tmp_path):
    """saylau replay FILE.csv: the date and state from an OpenElections name, every race;
    --repeats on a TOML scenario is refused (its tables say it)."""
    path = tmp_path / "20201103__xx__general__precinct.csv"
    path.write_text(STATE + "B,1,President,,DEM,Bob,2\n", encoding="utf-8")
    result = runner.invoke(main, ["replay", str(path), "--format", "json"])
    assert result.exit_code == 2
    assert "1 line given on several rows" in result.stderr
    result = runner.invoke(main, ["replay", str(path), "--format", "json", "--repeats", "sum"])
    assert result.exit_code == 0
    d = json.loads(result.stdout)
    assert d["election"]["name"] == "XX general election"
    assert d["election"]["date"] == "2020-11-03"
    assert d["races"][0]["candidates"][1]["votes"] == 19
    toml = _scenario(tmp_path, STATE)
    result = runner.invoke(main, ["replay", str(toml), "--repeats", "sum"])
    assert result.exit_code == 2
    assert "--repeats is for an OpenElections file given directly" in result.stderr


def test_parquet_holds_the_race_and_precinct_tables(runner, tmp_path):
    """--format parquet -o F: F the race x option table, F's stem .precincts.parquet the
    precinct x option one, counts as int64 with nulls; without -o, one line and exit 2."""
    pq = pytest.importorskip("pyarrow.parquet")
    toml = _scenario(tmp_path, STATE)
    out = tmp_path / "r.parquet"
    result = runner.invoke(main, ["replay", str(toml), "--format", "parquet", "-o", str(out)])
    assert result.exit_code == 0, result.output
    races = pq.read_table(out).to_pylist()
    precincts = pq.read_table(tmp_path / "r.precincts.parquet").to_pylist()
    assert {(r["race_id"], r["option"]): r["votes"] for r in races}[("s.president", "Ann")] == 17
    assert precincts[0] == {"race_id": "s.president", "precinct": "A / 1", "county": "A",
                            "option": "Ann", "kind": "candidate", "party": "REP", "votes": 10,
                            "registered": None, "cast": None, "invalid": None}
    result = runner.invoke(main, ["replay", str(toml), "--format", "parquet"])
    assert (result.exit_code, result.stdout) == (2, "")


def test_forensics_and_audit_on_counts_alone(runner, tmp_path):
    """No registered voters: forensics runs the digit tests and says in one line each why the
    others cannot run (exit 0); the audit takes the valid votes as a lower bound, marked."""
    rng = np.random.default_rng(3)
    lines = ["county,precinct,office,candidate,votes"]
    for p in range(60):
        lines += [f"C,P{p},Mayor,{c},{int(rng.integers(20, 900))}" for c in ("Ann", "Bob")]
    toml = _scenario(tmp_path, "\n".join(lines) + "\n")
    result = runner.invoke(main, ["forensics", str(toml), "--format", "json"])
    assert result.exit_code == 0, result.output
    tests = {t["name"]: t for t in json.loads(result.stdout)["tests"]}
    assert tests["last digit mean"]["n"] == 120
    assert tests["integer percentages"]["verdict"] == "cannot run"
    assert tests["integer percentages"]["note"].startswith(
        "cannot run: needs registered voters and ballots cast per precinct")
    table = " ".join(runner.invoke(main, ["forensics", str(toml)]).stdout.split())
    assert table.count("needs registered voters and ballots cast per precinct") == 1
    assert "integer percentages, percentages ending in 0 or 5, turnout dip" in table
    result = runner.invoke(main, ["audit", str(toml)])
    assert result.exit_code == 0
    assert ">=" in result.stdout
    assert "a lower bound: the sizes are at least these" in result.stdout
    result = runner.invoke(main, ["audit", str(toml), "--format", "csv"])
    assert result.stdout.splitlines()[0].endswith(",ballots_basis")


@given(st.integers(0, 2**32 - 1))
def test_export_then_read_back_is_identical(seed):
    """Random state files (counties, districts, parties or none, vote methods, a county's
    county-wide rows): replay -> OpenElections export -> replay of every race gives the same
    races, precincts (ids, counties), votes, methods and winners."""
    import tempfile

    rng = np.random.default_rng(seed)
    lines = ["county,precinct,office,district,party,candidate,votes,election_day,absentee"]
    for office, districts in (("Governor", [""]), ("State House", ["1", "2"])):
        for county in ("North", "South"):
            for p in range(int(rng.integers(1, 4))):
                precinct = "" if county == "South" and p == 0 and rng.random() < 0.3 else f"P{p}"
                district = districts[int(rng.integers(len(districts)))]
                for j in range(3):
                    day, absentee = (int(x) for x in rng.integers(0, 200, 2))
                    party = ["REP", "DEM", ""][j] if rng.random() < 0.8 else ""
                    lines.append(f"{county},{precinct},{office},{district},{party},"
                                 f"{office[:3]} {district} {j},{day + absentee},{day},{absentee}")
    with tempfile.TemporaryDirectory() as tmp:
        first = replay(load(_scenario(Path(tmp), "\n".join(lines) + "\n", 'repeats = "sum"')))
        (Path(tmp) / "out.csv").write_text(to_csv(first), encoding="utf-8")
        back = replay(load(Path(tmp) / "out.csv", repeats="sum"))
    assert len(back.scenario.races) == len(first.scenario.races)
    for a, b in zip(first.scenario.races, back.scenario.races, strict=True):
        assert (a.office, a.district, [c.name for c in a.candidates], [c.party for c in
                                                                        a.candidates]) == (
            b.office, b.district, [c.name for c in b.candidates], [c.party for c in b.candidates])
        assert a.methods == b.methods
        if a.precincts is None:
            assert b.precincts is None
            continue
        assert a.precincts.ids.tolist() == b.precincts.ids.tolist()
        assert np.array_equal(a.precincts.votes, b.precincts.votes)
        assert (a.precincts.county is None) == (b.precincts.county is None)
        if a.precincts.methods is not None:
            assert np.array_equal(a.precincts.methods, b.precincts.methods)
    assert first.races.totals.votes.tolist() == back.races.totals.votes.tolist()
    assert first.races.winner.tolist() == back.races.winner.tolist()
