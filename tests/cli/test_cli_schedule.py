"""`saylau schedule`: the legal calendar of the next election, as a table or as JSON."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from cli.schedule import schedule


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


SEMEY_2029 = [
    "Regular election under kz-2023-district: term 2025-10-14 to 2029-10-13",
    "Vote due by 2029-10-03; vote on 2029-09-30 (Sunday)",
    "",
    "stage                from              to                rule",
    "calling              2029-08-20        2029-08-20        >= 40 days before vote",
    "nomination           2029-08-21        2029-08-30        to 30 days before",
    "registration         2029-08-21        2029-09-04 18:00  to 25 days before 18:00",
    "campaign             2029-09-04 18:00  2029-09-29 00:00  to 00:00 the day before",
    "vote                 2029-09-30 07:00  2029-09-30 20:00  by term end - 10 days",
    "results              2029-09-30        2029-10-03        within 3 days",
    "winner registration  2029-10-01        2029-10-07        within 7 days of vote",
]


def test_schedule_prints_the_2029_semey_calendar(runner):
    """The term begun on 14 Oct 2025 leads to a vote on Sunday 30 Sep 2029."""
    result = runner.invoke(schedule, ["--term-start", "2025-10-14", "--rules", "kz-2023-district"])
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[: len(SEMEY_2029)] == SEMEY_2029
    assert result.stderr == ""


def test_the_district_rules_are_the_default(runner):
    """Without --rules the calendar is the kz-2023-district one."""
    result = runner.invoke(schedule, ["--term-start", "2025-10-14"])
    assert result.stdout.splitlines()[: len(SEMEY_2029)] == SEMEY_2029


@pytest.mark.parametrize("args", [
    ["--term-start", "2025-10-14"],
    ["--early-termination", "2025-08-18"],
    ["--term-start", "2024-02-29", "--rules", "kz-2021-rural"],
])
def test_every_table_line_fits_80_columns(runner, args):
    """The table is for a terminal."""
    result = runner.invoke(schedule, args)
    assert result.exit_code == 0
    assert max(len(line) for line in result.stdout.splitlines()) <= 80


def test_schedule_after_the_semey_dismissal_votes_on_12_october_2025(runner):
    """Seed 001: dismissed 18 Aug 2025, the published vote date comes out."""
    result = runner.invoke(schedule, ["--early-termination", "2025-08-18"])
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert lines[:3] == [
        "Early election under kz-2023-district: powers ended 2025-08-18",
        "Calling due by 2025-09-18 (within a month); for this vote, by 2025-09-01",
        "Vote due by 2025-10-18; vote on 2025-10-12 (Sunday)",
    ]
    as_json = json.loads(runner.invoke(schedule, ["--early-termination", "2025-08-18",
                                                  "--format", "json"]).stdout)
    assert (as_json["calling_due_by"], as_json["call_by"]) == ("2025-09-18", "2025-09-01")
    assert "registration         2025-09-02        2025-09-16 18:00  to 25 days before 18:00" in (
        lines)


def test_schedule_json_gives_iso_dates(runner):
    """JSON for programs: the basis, the deadlines and every stage with ISO dates."""
    result = runner.invoke(schedule, ["--term-start", "2025-10-14", "--format", "json"])
    assert result.exit_code == 0
    data = json.loads(result.stdout)
    assert data["rules"] == "kz-2023-district"
    assert (data["term_start"], data["term_end"]) == ("2025-10-14", "2029-10-13")
    assert (data["call_by"], data["vote_by"], data["vote_date"]) == (
        "2029-08-20", "2029-10-03", "2029-09-30")
    assert list(data["stages"]) == ["calling", "nomination", "registration", "campaign", "vote",
                                    "results", "winner_registration"]
    assert data["stages"]["registration"] == {
        "from": "2029-08-21", "to": "2029-09-04T18:00", "rule": "to 25 days before 18:00"}
    assert data["stages"]["vote"]["from"] == "2029-09-30T07:00"


def test_a_given_vote_date_moves_the_calendar(runner):
    """--vote-date replaces the latest legal Sunday."""
    result = runner.invoke(schedule, ["--term-start", "2025-10-14", "--vote-date", "2029-09-23",
                                      "--format", "json"])
    data = json.loads(result.stdout)
    assert (data["vote_date"], data["stages"]["calling"]["from"]) == ("2029-09-23", "2029-08-13")


@pytest.mark.parametrize(("args", "message"), [
    (["--term-start", "2025-13-01"],
     "error: Invalid value for '--term-start': not a date (YYYY-MM-DD): '2025-13-01'"),
    (["--term-start", "2025-10-14", "--rules", "kz-1999"],
     "error: rules: unknown rule set 'kz-1999' "
     "(known: kz-2013-indirect, kz-2021-rural, kz-2023-district)"),
    (["--term-start", "2025-10-14", "--rules", "kz-2013-indirect"],
     "error: rules: rule set 'kz-2013-indirect' has no election timetable "
     "(known: kz-2021-rural, kz-2023-district)"),
    ([], "error: give exactly one of --term-start and --early-termination"),
    (["--term-start", "2025-10-14", "--early-termination", "2025-08-18"],
     "error: give exactly one of --term-start and --early-termination"),
    (["--term-start", "2025-10-14", "--format", "xml"],
     "error: Invalid value for '--format': 'xml' is not one of 'table', 'json'."),
    (["--term-start", "2025-10-14", "--vote-date", "2029-10-07"],
     "error: vote: 2029-10-07 is after the last legal day, 2029-10-03"),
    (["--early-termination", "2025-08-18", "--vote-date", "2025-09-20"],
     "error: vote: 2025-09-20 leaves no room for 40 days' notice after the termination on "
     "2025-08-18; the earliest is 2025-09-29"),
    (["--nonsense"], "error: No such option '--nonsense'."),
])
def test_a_user_error_is_one_line_on_stderr_and_exit_2(runner, args, message):
    """Bad dates, unknown rule sets and wrong option combinations: one line, exit 2."""
    result = runner.invoke(schedule, args)
    assert result.exit_code == 2
    assert result.stderr.splitlines() == [message]
    assert result.stdout == ""
