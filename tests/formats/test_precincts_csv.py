"""Precinct rows from CSV files: any header language, column mapping, located errors."""

from __future__ import annotations

import numpy as np
import pytest

from engine.errors import ScenarioError
from engine.formats.scenario import load
from engine.replay.run import replay

SCENARIO = """
[election]
name = "csv election"
rules = "kz-2021-rural"
[[race]]
id = "r1"
registered = 400
[[race.candidate]]
name = "A"
[[race.candidate]]
name = "B"
[[race]]
id = "r2"
[[race.candidate]]
name = "C"
[precincts]
file = "rows.csv"
[precincts.columns]
race = "Округ"
precinct = "УИК"
registered = "Избиратели"
cast = "Бюллетени"
invalid = "Недействительные"
against_all = "Против всех"
candidates = ["Кандидат 1", "Кандидат 2"]
area = ["Область"]
"""

ROWS = """Округ,УИК,Избиратели,Бюллетени,Недействительные,Против всех,Кандидат 1,Кандидат 2,Область
r1,1,200,150,5,5,100,40,North
r2,7,90,80,0,10,70,,South
r1,2,200,120,0,10,60,50,North
"""


def _write(tmp_path, rows: str = ROWS, scenario: str = SCENARIO):
    (tmp_path / "rows.csv").write_text(rows, encoding="utf-8")
    (tmp_path / "e.toml").write_text(scenario, encoding="utf-8")
    return tmp_path / "e.toml"


def test_rows_attach_to_their_races_and_sum_exactly(tmp_path):
    """Precinct rows in any order and header language sum to their races."""
    rp = replay(load(_write(tmp_path)))
    t = rp.races.totals
    assert t.cast.tolist() == [270, 80]
    assert t.votes.tolist() == [[160, 90], [70, 0]]
    assert rp.scenario.races[1].area == ("South",)
    assert rp.scenario.races[0].precincts.ids.tolist() == ["1", "2"]
    # r1's race-level registered (400) is a published total, checked against the rows.
    check = next(c for c in rp.checks if c.where == "race[r1].registered")
    assert check.status == "exact"


def test_a_bad_cell_names_its_row_and_column(tmp_path):
    """A count that is not a number is reported with its row and column."""
    path = _write(tmp_path, ROWS.replace("r1,2,200,120", "r1,2,200,12o"))
    with pytest.raises(ScenarioError) as err:
        load(path)
    assert str(err.value) == ("rows.csv: row 4, column 'Бюллетени': must be a whole number, "
                              "got '12o'")


def test_a_row_for_an_unknown_race_is_refused(tmp_path):
    """A race id missing from the scenario is named with its row."""
    with pytest.raises(ScenarioError, match=r"row 2, column 'Округ': race 'r9' is not"):
        load(_write(tmp_path, ROWS.replace("r1,1,", "r9,1,")))


def test_a_missing_column_lists_the_header(tmp_path):
    """A mapped column that the header lacks is named along with the header."""
    with pytest.raises(ScenarioError, match="column 'Против всех' is not in the header"):
        load(_write(tmp_path, ROWS.replace("Против всех", "Против")))


def test_votes_for_a_candidate_the_race_does_not_have_are_refused(tmp_path):
    """A one-candidate race with votes in the second candidate column is an error."""
    with pytest.raises(ScenarioError, match="race 'r2' has 1 candidates"):
        load(_write(tmp_path, ROWS.replace("70,,South", "70,3,South")))


def test_a_large_csv_election_replays(tmp_path):
    """20,000 precincts over 100 races load and conserve every vote."""
    rng = np.random.default_rng(5)
    p, r = 20_000, 100
    race = rng.integers(0, r, p)
    votes = rng.integers(0, 300, (p, 3))
    invalid = rng.integers(0, 10, p)
    cast = votes.sum(axis=1) + invalid
    lines = ["race,precinct,registered,cast,invalid,aa,c1,c2"]
    lines += [f"r{race[i]},{i},{cast[i] + 50},{cast[i]},{invalid[i]},{votes[i, 2]},"
              f"{votes[i, 0]},{votes[i, 1]}" for i in range(p)]
    races = "".join(f'[[race]]\nid = "r{i}"\n[[race.candidate]]\nname = "A"\n'
                    f'[[race.candidate]]\nname = "B"\n' for i in range(r))
    scenario = ('[election]\nname = "big"\nrules = "kz-2021-rural"\n' + races +
                '[precincts]\nfile = "rows.csv"\n[precincts.columns]\nrace = "race"\n'
                'precinct = "precinct"\nregistered = "registered"\ncast = "cast"\n'
                'invalid = "invalid"\nagainst_all = "aa"\ncandidates = ["c1", "c2"]\n')
    rp = replay(load(_write(tmp_path, "\n".join(lines) + "\n", scenario)))
    assert rp.races.totals.cast.sum() == cast.sum()
    assert rp.areas.cast[0] == cast.sum()
    assert rp.races.totals.against_all.sum() == votes[:, 2].sum()


@pytest.mark.parametrize(("cell", "error"), [
    ("-1", "rows.csv: row 2, column 'Против всех': must be >= 0, got -1"),
    ("²", "rows.csv: row 2, column 'Против всех': must be a whole number, got '²'"),
    ("12345678901234567890", "rows.csv: row 2, column 'Против всех': is too large for a count "
                             "(the limit is 2**62 - 1), got 12345678901234567890"),
])
@pytest.mark.parametrize("blank_elsewhere", [False, True])
def test_a_bad_count_is_refused_on_every_conversion_path(tmp_path, cell, error, blank_elsewhere):
    """Plain columns and columns with blank (unknown) cells both refuse and locate bad cells."""
    rows = ROWS.replace("r1,1,200,150,5,5,", f"r1,1,200,150,5,{cell},")
    if blank_elsewhere:
        rows = rows.replace("r1,2,200,120,0,10,", "r1,2,200,120,0,,")
    with pytest.raises(ScenarioError) as err:
        load(_write(tmp_path, rows))
    assert str(err.value) == error


def test_blank_counts_are_unknown_and_blank_candidate_cells_are_zero(tmp_path):
    """A count cell left blank (or only a space) is unknown, -1; a blank cell in a candidate
    column the race does not use is no votes, not an error."""
    rows = ROWS.replace("r1,2,200,120,0,10,", "r1,2,200,120,0, ,")
    rp = replay(load(_write(tmp_path, rows)))
    p = rp.scenario.races[0].precincts
    assert p.against_all.tolist() == [5, -1]
    assert rp.scenario.races[1].precincts.votes.tolist() == [[70]]


@pytest.mark.parametrize(("cell", "problem"), [
    ("+10", "must be a whole number, got '+10'"),
    ("1_000", "must be a whole number, got '1_000'"),
    ("1 000", "must be a whole number, got '1 000'"),
    ("٣", "must be a whole number, got '٣'"),
    ("5000000000000000000",
     "is too large for a count (the limit is 2**62 - 1), got 5000000000000000000"),
    ("-9223372036854775808", "must be >= 0, got -9223372036854775808"),
])
def test_cells_python_would_accept_are_refused_as_counts(tmp_path, cell, problem):
    """int() takes signs, underscores and other scripts' digits; counts in a CSV may not."""
    rows = ROWS.replace("r1,1,200,150,5,5,", f"r1,1,200,150,5,{cell},")
    rows = rows.replace("r1,2,200,120,0,10,", "r1,2,200,120,0,,")  # and a blank in the column
    with pytest.raises(ScenarioError) as err:
        load(_write(tmp_path, rows))
    assert str(err.value) == f"rows.csv: row 2, column 'Против всех': {problem}"
