"""Limits declared and checked before any work (engine/limits.py), and the one rule of a count:
each input the hostile run of issue 17 found is refused in one line naming the file, the place
and the limit (and how to change it, where it can be changed)."""

from __future__ import annotations

import os
import threading

import numpy as np
import pytest

from engine.errors import ScenarioError
from engine.formats import counts
from engine.formats.scenario import load, loads
from engine.replay.run import replay

HEAD = '[election]\nname = "x"\ndate = 2021-07-25\nrules = "kz-2021-rural"\n'
RACE = ('[[race]]\nid = "a"\nregistered = 100\n[[race.candidate]]\nname = "A"\nvotes = 10\n'
        '{published}[[race.candidate]]\nname = "B"\nvotes = 5\n')
CSV_SCENARIO = HEAD + """[[race]]
id = "a"
[[race.candidate]]
name = "A"
[[race.candidate]]
name = "B"
[precincts]
file = "rows.csv"
[precincts.columns]
precinct = "p"
registered = "reg"
cast = "cast"
invalid = "inv"
against_all = "aa"
candidates = ["A", "B"]
"""


def _error(text: str, name: str = "x.toml") -> str:
    with pytest.raises(ScenarioError) as err:
        loads(text, name=name)
    return str(err.value)


def _csv_error(tmp_path, rows: str) -> str:
    (tmp_path / "rows.csv").write_text("p,reg,cast,inv,aa,A,B\n" + rows, encoding="utf-8")
    (tmp_path / "s.toml").write_text(CSV_SCENARIO, encoding="utf-8")
    with pytest.raises(ScenarioError) as err:
        load(tmp_path / "s.toml")
    return str(err.value)


@pytest.mark.parametrize(("cell", "problem"), [
    ("\u00a0290", "must be a whole number, got '\\xa0290'"),
    ("٣", "must be a whole number, got '٣'"),
    ('"1,000"', "must be a whole number, got '1,000'"),
    ("-5", "must be >= 0, got -5"),
    ("9" * 5000, "is too large for a count (the limit is 2**62 - 1), got 999999999999999999999999"
                 "... (5,000 digits)"),
])
def test_a_count_cell_follows_the_one_rule(tmp_path, cell, problem):
    """A no-break space, other scripts' digits, separators, signs and 5,000 digits are refused
    in a precinct file by the rule every reader shares (engine/formats/counts.py)."""
    msg = _csv_error(tmp_path, f"1,1000,600,10,0,{cell},300\n")
    assert msg == f"rows.csv: row 2, column 'A': {problem}"
    assert counts.cell_problem(cell.strip('"')) == problem


def test_the_toml_reader_and_the_precinct_reader_say_the_same():
    """A negative and a too-large count read the same words from TOML and from a CSV cell."""
    for value in (-5, 2**62):
        toml = _error(HEAD + RACE.format(published="").replace("votes = 10", f"votes = {value}"))
        assert toml.endswith(counts.cell_problem(str(value)) or "")


@pytest.mark.parametrize(("text", "problem"), [
    (HEAD + "deep = " + "[" * 1000 + "]" * 1000 + "\n",
     "x.toml: tables and arrays nested more than 32 deep (the limit of a scenario file)"),
    (HEAD + "deep = " + "[" * 40 + "]" * 40 + "\n",
     "tables and arrays nested more than 32 deep (the limit of a scenario file)"),
    (HEAD + "x = " + "1" * 5000 + "\n", "x.toml: not valid TOML: Exceeds the limit (4300 digits)"),
    (HEAD + RACE.format(published='published = { share = "' + "1" * 5000 + '" }\n'),
     "must be a percentage like \"53.70\", got '111111111111111111111111111111111111111..."),
    (HEAD + RACE.format(published='published = { share = "50.' + "1" * 20 + '" }\n'),
     "must be a percentage like \"53.70\" (at most 12 decimals)"),
    (HEAD + RACE.format(published='published = { share = "٥٠" }\n'),
     "must be a percentage like \"53.70\", got '٥٠'"),
    (HEAD.replace("2021-07-25", "9999-12-30") + RACE.format(published=""),
     "x.toml: election.date: must lie between 1800-01-01 and 2999-12-31 (the calendar's range), "
     "got 9999-12-30"),
    (HEAD + '[rules]\nterm_years = 1000000\n' + RACE.format(published=""),
     "rules.term_years: must be a whole number from 1 to 50, got 1000000"),
    (HEAD + '[rules]\nmin_candidates = "two"\n' + RACE.format(published=""),
     "rules.min_candidates: must be a whole number from 1 to 1000, got 'two'"),
])
def test_a_hostile_scenario_is_one_line(text, problem):
    """Nesting 1,000 deep, an integer or a percentage of 5,000 digits, other scripts' digits,
    a date at the end of the calendar, a term of a million years: each one line, no trace."""
    msg = _error(text)
    assert problem in msg
    assert "\n" not in msg


def test_counts_that_add_up_past_int64_are_refused_naming_the_file(tmp_path):
    """Three stations of 2**62 - 1 voters each: their sums would wrap, so the file is refused
    at load, naming it and the race (no replay prints 'registered ?' or votes above cast)."""
    big = 2**62 - 1
    msg = _csv_error(tmp_path, "".join(f"{i},{big},{big},0,0,{big},0\n" for i in range(3)))
    assert msg.startswith("s.toml: race[a]: the counts of the file add up to more than int64")


@pytest.mark.parametrize(("limit", "text", "place"), [
    ("RACES", HEAD + RACE.format(published="").replace('id = "a"', 'id = "a"') * 1, ""),
    ("CANDIDATES", HEAD + RACE.format(published=""), "race[1].candidate"),
])
def test_a_limit_names_itself_and_how_to_change_it(monkeypatch, limit, text, place):
    """Races and candidates past their limit: one line naming the limit and its variable."""
    if limit == "RACES":
        text = HEAD + "".join(RACE.format(published="").replace('"a"', f'"a{i}"')
                              for i in range(3))
        place = "race"
    monkeypatch.setenv(f"SAYLAU_MAX_{limit}", "1")
    msg = _error(text)
    assert msg.startswith(f"x.toml: {place}: ")
    assert msg.endswith(f"more than the limit of 1 (set SAYLAU_MAX_{limit} to change it)")
    monkeypatch.setenv(f"SAYLAU_MAX_{limit}", "many")
    assert _error(text) == f"SAYLAU_MAX_{limit}: must be a whole number >= 1, got 'many'"


def test_a_precinct_file_stops_at_the_precincts_limit(tmp_path, monkeypatch):
    """Reading stops at the precincts limit, however long the file."""
    monkeypatch.setenv("SAYLAU_MAX_PRECINCTS", "3")
    msg = _csv_error(tmp_path, "".join(f"{i},10,5,0,0,3,2\n" for i in range(5)))
    assert "more than the limit of 3 (set SAYLAU_MAX_PRECINCTS to change it)" in msg


def test_a_file_past_its_size_limit_is_refused_before_it_is_read(tmp_path, monkeypatch):
    """A scenario larger than SAYLAU_MAX_SCENARIO_BYTES is refused on its size alone."""
    path = tmp_path / "big.toml"
    path.write_text(HEAD + RACE.format(published="") + "#" * 5000 + "\n", encoding="utf-8")
    monkeypatch.setenv("SAYLAU_MAX_SCENARIO_BYTES", "1000")
    with pytest.raises(ScenarioError, match=r"bytes of a scenario \(TOML\) file: more than the "
                       r"limit of 1,000 \(set SAYLAU_MAX_SCENARIO_BYTES"):
        load(path)


@pytest.mark.parametrize("kind", ["device", "directory", "fifo"])
@pytest.mark.parametrize("where", ["scenario", "precincts"])
def test_only_regular_files_are_read(tmp_path, kind, where):
    """/dev/zero, a directory or a FIFO as a scenario or a precinct file is refused at once:
    never read whole, never waited on (the FIFO has no writer)."""
    if kind == "device":
        special = "/dev/zero"
        if not os.path.exists(special):
            pytest.skip("no /dev/zero here")
    elif kind == "directory":
        special = str(tmp_path)
    else:
        special = str(tmp_path / "fifo")
        os.mkfifo(special)
    path = special
    if where == "precincts":
        path = str(tmp_path / "s.toml")
        (tmp_path / "s.toml").write_text(CSV_SCENARIO.replace('"rows.csv"', f'"{special}"'),
                                         encoding="utf-8")
    result: list[str] = []

    def run() -> None:
        try:
            load(path)
        except ScenarioError as err:
            result.append(str(err))

    t = threading.Thread(target=run, daemon=True)
    t.start()
    t.join(20)
    assert not t.is_alive(), "blocked"
    kinds = {"device": "a character device", "directory": "a directory",
             "fifo": "a FIFO (named pipe)"}
    assert result
    assert result[0].endswith(f"is {kinds[kind]}, not a regular file")


def test_a_csv_ending_in_blank_lines_reads(tmp_path):
    """Blank lines at the end of a precinct file are no rows (not "0 cells")."""
    (tmp_path / "rows.csv").write_text("p,reg,cast,inv,aa,A,B\n1,100,60,0,0,40,20\n\n\n",
                                       encoding="utf-8")
    (tmp_path / "s.toml").write_text(CSV_SCENARIO, encoding="utf-8")
    assert load(tmp_path / "s.toml").races[0].precincts.votes.tolist() == [[40, 20]]


def test_a_failed_csv_read_is_located_without_reading_the_file_whole(tmp_path):
    """A bad row deep in a file is named by streaming (the error path holds a block)."""
    rows = "".join(f"{i},100,60,0,0,40,20\n" for i in range(200_000)) + "x,1\n"
    msg = _csv_error(tmp_path, rows)
    assert msg == "rows.csv: row 200002: has 2 cells, the header has 7"


def test_a_station_with_more_ballots_than_voters_is_a_finding(tmp_path):
    """cast <= registered is a relation of the basic protocol: a station breaking it is counted
    and listed, not refused; cast = invalid + options likewise (two rows of 600 ballots with
    500 counted are two findings, not a silent total)."""
    (tmp_path / "rows.csv").write_text(
        "p,reg,cast,inv,aa,A,B\n1,500,600,10,0,300,200\n2,1000,600,10,0,250,250\n"
        "3,1000,500,0,0,300,200\n", encoding="utf-8")
    (tmp_path / "s.toml").write_text(CSV_SCENARIO, encoding="utf-8")
    rp = replay(load(tmp_path / "s.toml"))
    assert rp.protocol is not None
    rel = {f.relation.text: f for f in rp.protocol.relations}
    assert (rel["cast <= registered"].checked, rel["cast <= registered"].failed) == (3, 1)
    assert rel["cast <= registered"].worst[0].precinct == "1"
    assert (rel["cast = invalid + options"].failed,
            [s.precinct for s in rel["cast = invalid + options"].worst]) == (2, ["1", "2"])
    assert np.array_equal(rp.races.totals.cast, [1700])
