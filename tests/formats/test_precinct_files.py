"""Precinct files as they are published: compressed or Parquet, ids and lines made of several
columns, areas per row, blanks reported, every bad cell one line naming its row and column."""

from __future__ import annotations

import gzip
import zipfile

import pytest

from engine.errors import ScenarioError
from engine.formats.scenario import load
from engine.replay.run import replay

HEAD = """[election]
name = "x"
rules = "kz-2023-district"
[rules]
against_all = false
{protocol}
[[race]]
id = "p"
[[race.candidate]]
name = "A"
[[race.candidate]]
name = "B"
[precincts]
file = "{file}"
[precincts.columns]
precinct = {precinct}
area = ["region", "district"]
registered = "reg"
cast = ["box1", "box2"]
invalid = "inv"
candidates = ["a", "b"]
{extra}"""

ROWS = """region,district,uik,reg,box1,box2,inv,a,b
North,N1,1,100,50,10,2,40,18
North,N2,2,200,100,0,0,60,40
South,S1,1,300,150,30,5,100,75
South,S1,2,50,20,0,0,10,10
"""


def _write(tmp_path, rows=ROWS, *, file="rows.csv", precinct='["region", "uik"]',
           protocol="", extra=""):
    path = tmp_path / file
    if file.endswith(".gz"):
        path.write_bytes(gzip.compress(rows.encode()))
    elif file.endswith(".zip"):
        with zipfile.ZipFile(path, "w") as z:
            z.writestr("inner.csv", rows)
    elif file.endswith(".parquet"):
        import pyarrow as pa
        import pyarrow.csv as pcsv
        import pyarrow.parquet as pq

        pq.write_table(pcsv.read_csv(pa.py_buffer(rows.encode())), path)
    else:
        path.write_text(rows, encoding="utf-8")
    (tmp_path / "e.toml").write_text(HEAD.format(file=file, precinct=precinct,
                                                 protocol=protocol, extra=extra),
                                     encoding="utf-8")
    return tmp_path / "e.toml"


def _error(path) -> str:
    with pytest.raises(ScenarioError) as err:
        load(path)
    return str(err.value)


@pytest.mark.parametrize("file", ["rows.csv", "rows.csv.gz", "rows.zip", "rows.parquet"])
def test_every_file_kind_reads_the_same_rows(tmp_path, file):
    """Plain, gzipped and zipped CSV and Parquet give the same precincts and totals."""
    rp = replay(load(_write(tmp_path, file=file)))
    t = rp.races.totals
    assert int(t.registered[0]) == 650
    assert int(t.cast[0]) == 360  # box1 + box2, summed per row
    assert t.votes[0].tolist() == [210, 143]
    assert rp.scenario.races[0].precincts.ids.tolist() == [
        "North / 1", "North / 2", "South / 1", "South / 2"]


def test_a_station_number_repeated_across_regions_is_two_stations(tmp_path):
    """uik 1 of North and uik 1 of South are two precincts when the id is region + uik."""
    p = load(_write(tmp_path)).races[0].precincts
    assert len(set(p.ids.tolist())) == 4


def test_a_repeated_id_suggests_an_id_of_several_columns(tmp_path):
    """With the station number alone the ids repeat; the one-line error says how to fix it."""
    msg = _error(_write(tmp_path, precinct='"uik"'))
    assert msg.startswith("rows.csv: row 4, column 'uik': duplicate precinct id '1' in race 'p' "
                          "(also row 2); 1 more id(s) repeat")
    assert 'precinct = ["region", "number"]' in msg
    assert len(msg) < 300


def test_an_id_repeated_in_several_columns_is_refused(tmp_path):
    """The same region and number twice: refused, naming both columns."""
    msg = _error(_write(tmp_path, ROWS.replace("South,S1,2,", "South,S1,1,")))
    assert msg.startswith("rows.csv: row 5, column 'region + uik': duplicate precinct id "
                          "'South / 1' in race 'p' (also row 4)")


def test_rows_in_several_areas_give_the_race_results_by_area(tmp_path):
    """One race over two regions: the race's own area is what every row shares (the nation),
    and each region and district sums its precincts."""
    rp = replay(load(_write(tmp_path)))
    assert rp.scenario.races[0].area == ()
    pa = rp.precinct_areas
    by_path = {p: i for i, p in enumerate(pa.paths)}
    assert set(by_path) == {("North",), ("North", "N1"), ("North", "N2"), ("South",),
                            ("South", "S1")}
    north = pa.counts[by_path[("North",)]]
    assert north[0] == 300  # registered
    assert north[4:6].tolist() == [100, 58]
    assert int(pa.precincts[by_path[("South", "S1")]]) == 2


def test_rows_in_one_area_give_the_race_that_area(tmp_path):
    """Every row in one district: that is the race's area, and there is nothing below it."""
    rows = "\n".join(line if i == 0 else "North,N1," + line.split(",", 2)[2]
                     for i, line in enumerate(ROWS.strip().splitlines())) + "\n"
    rows = rows.replace("North,N1,1,300", "North,N1,3,300").replace("North,N1,2,50",
                                                                      "North,N1,4,50")
    rp = replay(load(_write(tmp_path, rows)))
    assert rp.scenario.races[0].area == ("North", "N1")
    assert rp.precinct_areas is None or rp.precinct_areas.paths == ()


def test_a_blank_area_cell_is_refused(tmp_path):
    """Every row needs its area once the areas are mapped: a blank cell is one line."""
    assert _error(_write(tmp_path, ROWS.replace("South,S1,2,", "South,,2,"))) == (
        "rows.csv: row 5, column 'district': is blank; every row needs its area (or leave "
        "the column out)")


def test_a_blank_count_is_unknown_and_said_once(tmp_path):
    """A blank count cell is unknown (-1), and loading says so in one warning line."""
    s = load(_write(tmp_path, ROWS.replace("North,N2,2,200,", "North,N2,2,,")))
    assert s.races[0].precincts.registered.tolist() == [100, -1, 300, 50]
    assert s.warnings == ("rows.csv: column 'reg': 1 blank cell(s) (row 3): unknown",)


@pytest.mark.parametrize(("cell", "problem"), [
    ("0x10", "must be a whole number, got '0x10'"),
    ("\u00a05", "must be a whole number, got '\\xa05'"),
    ("+5", "must be a whole number, got '+5'"),
    ("-5", "must be >= 0, got -5"),
    ("5000000000000000000",
     "is too large for a count (the limit is 2**62 - 1), got 5000000000000000000"),
])
def test_a_count_is_ascii_digits_and_nothing_else(tmp_path, cell, problem):
    """Hexadecimal, no-break spaces and signs are not counts, though parsers take them."""
    msg = _error(_write(tmp_path, ROWS.replace("North,N1,1,100,50,", f"North,N1,1,100,{cell},")))
    assert msg == f"rows.csv: row 2, column 'box1': {problem}"


def test_a_protocol_line_in_a_missing_column_is_named(tmp_path):
    """A line mapped to a column the header lacks: the key, the column and a guess."""
    msg = _error(_write(tmp_path, extra='valid = "valdi"\n'))
    assert msg.startswith("e.toml: precincts.columns.valid: column 'valdi' is not in the "
                          "header of rows.csv ('region', 'district', 'uik' and 6 more)")


def test_a_line_the_protocol_does_not_know_is_an_unknown_key(tmp_path):
    """Column keys are the protocol's lines: a typo is refused with the allowed keys."""
    assert "unknown key 'isued' (did you mean 'issued'?)" in _error(
        _write(tmp_path, extra='isued = "reg"\n'))


def test_a_relation_naming_an_unknown_line_is_refused(tmp_path):
    """A [protocol] relation over a line nobody declared: one line naming the protocol."""
    msg = _error(_write(tmp_path, protocol='[protocol]\nrelations = ["cast <= isued"]\n'))
    assert msg.startswith("e.toml: protocol: relation 'cast <= isued': 'isued' is not a line")


def test_a_relation_that_does_not_parse_is_named_by_its_place(tmp_path):
    """A relation's text is checked: the place is the relation's index in the table."""
    msg = _error(_write(tmp_path, protocol='[protocol]\nrelations = ["cast =< issued"]\n'))
    assert msg.startswith("e.toml: protocol.relations[1]: ")


def test_a_missing_file_is_one_line(tmp_path):
    """A precinct file that is not there (a shared folder not beside the checkout)."""
    path = _write(tmp_path)
    (tmp_path / "rows.csv").unlink()
    assert _error(path).startswith("e.toml: precincts.file: no such file")


def test_a_row_of_the_wrong_width_is_named(tmp_path):
    """A row with a cell too many, found by the fast reader, is named as before."""
    msg = _error(_write(tmp_path, ROWS.replace("South,S1,2,50,20,0,0,10,10",
                                               "South,S1,2,50,20,0,0,10,10,9")))
    assert msg == "rows.csv: row 5: has 10 cells, the header has 9"


def test_the_replay_table_shows_each_level_asked_for(tmp_path, runner):
    """`saylau replay` lists the race's regions by default and its districts at level 2."""
    from cli.main import main

    path = str(_write(tmp_path))
    one = runner.invoke(main, ["replay", path])
    two = runner.invoke(main, ["replay", path, "--area-level", "2"])
    assert one.exit_code == 0
    assert "p: results by area, level 1 of 2 (--area-level N: deeper)" in one.stdout
    assert "\n  North " in one.stdout
    assert "\n  N1 " not in one.stdout
    assert "p: results by area, level 2 of 2" in two.stdout
    assert "\n  N1 " in two.stdout


def test_json_and_csv_carry_the_areas_below_the_race(tmp_path, runner):
    """Every area of every level in JSON, and one CSV row per area and option."""
    import json

    from cli.main import main

    path = str(_write(tmp_path))
    d = json.loads(runner.invoke(main, ["replay", path, "--format", "json"]).stdout)
    assert [a["path"] for a in d["precinct_areas"]] == [
        ["North"], ["North", "N1"], ["North", "N2"], ["South"], ["South", "S1"]]
    south = d["precinct_areas"][3]
    assert [c["votes"] for c in south["candidates"]] == [110, 85]
    assert south["turnout"] == round(100 * 200 / 350, 4)
    rows = runner.invoke(main, ["replay", path, "--format", "csv"]).stdout.splitlines()
    assert sum(r.endswith("area level 2") for r in rows) == 3 * 2
    assert d["election"]["turnout_basis"] == "cast"
