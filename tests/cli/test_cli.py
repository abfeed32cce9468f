"""The `saylau` command: replay output in each format, exit codes, one-line user errors."""

from __future__ import annotations

import importlib
import json
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from cli.main import COMMANDS, main
from tests.imported import imported_by
from tests.paths import MALFORMED, SEMEY_2025, SIMULATIONS
from tests.texts import MAJORITY, ULKEN


def _expected_error(path: Path) -> str:
    first = path.read_text(encoding="utf-8").splitlines()[0]
    assert first.startswith("# error: ")
    return "error: " + first.removeprefix("# error: ") + "\n"


@pytest.mark.parametrize("path", sorted(MALFORMED.glob("*.toml")), ids=lambda p: p.stem)
def test_a_malformed_scenario_gives_one_exact_line_and_exit_2(runner, path, monkeypatch):
    """Each file of the malformed corpus fails with the exact line its first comment states."""
    monkeypatch.chdir(path.parent)
    for command in (["validate", path.name], ["replay", path.name]):
        result = runner.invoke(main, command)
        assert result.exit_code == 2, result.output
        assert result.stderr == _expected_error(path)
        assert result.stdout == ""


def test_semey_replay_prints_the_winner_and_the_inferred_intervals(runner, scenarios):
    """The table names the winner and shows the against-all and ballots-cast intervals."""
    result = runner.invoke(main, ["replay", str(scenarios / "historical/semey-2025.toml")])
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "Semey (Abai Region)  —  elected: Ädilet Qojanbaev" in out
    assert "  race[semey].against_all.votes" in out
    assert "4,299-4,313" in out
    assert "cast 118,538-118,559*" in out
    assert "withdrawn on 2025-10-07: Qanat Şapatov (not on the ballot)" in out
    assert max(len(line) for line in out.splitlines()) <= 80  # an 80-column terminal


def test_semey_json_has_the_promised_keys(runner, scenarios):
    """--format json carries election, races, areas, checks and inferred with JSON numbers."""
    result = runner.invoke(main, ["replay", str(scenarios / "historical/semey-2025.toml"),
                                  "--format", "json"])
    assert result.exit_code == 0
    d = json.loads(result.stdout)
    assert set(d) >= {"election", "races", "areas", "checks", "inferred"}
    race = d["races"][0]
    for key in ("id", "name", "registered", "cast", "invalid", "valid", "turnout", "candidates",
                "against_all", "winner", "runner_up", "margin_votes", "margin_points", "outcome"):
        assert key in race
    assert race["registered"] == 220761
    assert race["cast"] is None  # unpublished: null, inferred below
    assert race["candidates"][0] == {"name": "Ädilet Qojanbaev", "party": "Independent",
                                     "votes": 89441, "share": None}
    assert set(race["against_all"]) == {"votes", "share"}
    assert (race["winner"], race["runner_up"], race["margin_votes"]) == (
        "Ädilet Qojanbaev", "Qanyş Töleuov", 76884)
    assert race["outcome"] == "elected"
    inferred = {i["where"]: [i["low"], i["high"]] for i in d["inferred"]}
    assert inferred["race[semey].against_all.votes"] == [4299, 4313]
    check = d["checks"][0]
    assert set(check) >= {"where", "published", "recomputed", "status"}
    assert isinstance(check["published"], float)


def test_csv_output_has_one_row_per_race_and_option(runner, scenarios):
    """--format csv: a header and one row per candidate plus against all."""
    result = runner.invoke(main, ["replay", str(scenarios / "historical/semey-2025.toml"),
                                  "--format", "csv"])
    lines = result.stdout.splitlines()
    assert lines[0].startswith("race_id,race,area,option,party,votes,share,elected")
    assert len(lines) == 1 + 4
    assert lines[1].startswith("semey,Semey,Abai Region,Ädilet Qojanbaev,Independent,89441,,True")


def test_output_is_written_to_the_named_file(runner, scenarios, tmp_path):
    """--output writes the whole result to the file and nothing to stdout."""
    target = tmp_path / "semey.json"
    result = runner.invoke(main, ["replay", str(scenarios / "historical/semey-2025.toml"),
                                  "--format", "json", "--output", str(target)])
    assert result.exit_code == 0
    assert result.stdout == ""
    assert json.loads(target.read_text(encoding="utf-8"))["races"][0]["id"] == "semey"
    assert [p.name for p in tmp_path.iterdir()] == ["semey.json"]  # no temporary file left


def test_output_into_a_missing_folder_is_a_user_error(runner, scenarios, tmp_path):
    """Writing into a folder that does not exist fails with one line, nothing written."""
    result = runner.invoke(main, ["replay", str(scenarios / "historical/semey-2025.toml"),
                                  "--output", str(tmp_path / "no" / "x.txt")])
    assert result.exit_code == 2
    assert "does not exist" in result.stderr
    assert "Traceback" not in result.output


def test_strict_exits_1_when_a_published_figure_does_not_hold(runner, tmp_path):
    """--strict turns a mismatch into exit code 1; without it the replay succeeds."""
    path = tmp_path / "ulken.toml"
    path.write_text(ULKEN, encoding="utf-8")
    assert runner.invoke(main, ["replay", str(path)]).exit_code == 0
    result = runner.invoke(main, ["replay", str(path), "--strict"])
    assert result.exit_code == 1
    assert "race[ulken].published.invalid_share" in result.stdout
    assert result.stderr == "1 published figure(s) do not hold\n"


def test_strict_passes_when_every_figure_holds(runner, scenarios):
    """Semey's figures are all consistent, so --strict exits 0."""
    result = runner.invoke(main, ["replay", str(scenarios / "historical/semey-2025.toml"),
                                  "--strict"])
    assert result.exit_code == 0




def test_a_majority_rule_is_applied_and_named_in_every_output(runner, tmp_path):
    """A direct race under threshold = "majority_present" where the leader has 45% elects
    nobody (failed_majority: a second round where the law has one), and the table, the JSON and
    the simulation header name the preset with what the scenario changed."""
    path = tmp_path / "majority.toml"
    path.write_text(MAJORITY, encoding="utf-8")
    table = runner.invoke(main, ["replay", str(path)])
    assert table.exit_code == 0, table.output
    assert ("rules kz-2023-district (against_all false, threshold majority_present)"
            in table.stdout)
    d = json.loads(runner.invoke(main, ["replay", str(path), "--format", "json"]).stdout)
    assert d["election"]["rules_changed"] == {"against_all": "false",
                                              "threshold": "majority_present"}
    assert d["races"][0]["outcome"] == "failed_majority"
    assert d["races"][0]["winner"] is None
    semey = json.loads(runner.invoke(main, ["replay", str(SEMEY_2025), "--format", "json"]).stdout)
    assert "rules_changed" not in semey["election"]  # a preset as it is: its name alone


def test_validate_is_silent_for_sound_files(runner, scenarios):
    """validate prints nothing and exits 0 when every file is sound (the scenarios of real
    OpenElections files print what loading mended: tests/formats/test_openelections_states)."""
    files = [p for p in sorted(scenarios.rglob("*.toml")) if p.parent.name != "openelections"]
    result = runner.invoke(main, ["validate", *map(str, files)])
    assert (result.exit_code, result.output) == (0, "")


def test_a_missing_scenario_file_is_one_line(runner, tmp_path):
    """A path that does not exist is named in one line with exit 2."""
    result = runner.invoke(main, ["replay", str(tmp_path / "none.toml")])
    assert result.exit_code == 2
    assert result.stderr == f"error: {tmp_path / 'none.toml'}: no such file\n"


def test_the_2021_replay_lists_what_does_not_hold_and_strict_fails(runner, scenarios):
    """The 2021 replay lists the area figures that do not hold (627 seats published, 563
    recomputed), --strict exits 1, and the JSON summary counts all 19 mismatches."""
    path = str(scenarios / "historical/kz-2021-rural.toml")
    table = runner.invoke(main, ["replay", path])
    assert table.exit_code == 0, table.output
    assert "Published results by area" in table.stdout
    assert "area[Kazakhstan].party[Nur Otan].published[1].seats" in table.stdout
    assert "mismatch   published 627  recomputed 563  difference +64" in table.stdout
    assert runner.invoke(main, ["replay", path, "--strict"]).exit_code == 1
    data = json.loads(runner.invoke(main, ["replay", path, "--format", "json"]).stdout)
    ulken = [c for c in data["checks"] if c["where"] == "race[ulken].published.invalid_share"]
    assert ulken == [{**ulken[0], "published": 3.77, "recomputed": 0.0, "difference": 3.77,
                      "status": "mismatch"}]
    assert data["summary"]["mismatch"] == 19


def test_validate_reports_a_path_that_is_not_a_file_in_one_line(runner, tmp_path):
    """A scenario path that runs through a plain file is one error line, exit 2, no traceback."""
    (tmp_path / "plain").write_text("x", encoding="utf-8")
    result = runner.invoke(main, ["validate", str(tmp_path / "plain" / "x.toml")])
    assert result.exit_code == 2
    assert result.stderr.startswith("error: ")
    assert len(result.stderr.splitlines()) == 1
    assert "Traceback" not in result.output


HEAVY = ("scipy", "matplotlib", "pandas")
SEMEY_2029 = SIMULATIONS / "semey-2029.toml"


def test_importing_the_command_line_imports_no_numerical_library(tmp_path):
    """`saylau --help` starts fast: importing cli.main pulls in neither numpy nor scipy,
    matplotlib or pandas (issue 14's start-up target is measured in benchmarks/)."""
    loaded = imported_by("import cli.main", tmp_path)
    assert [m for m in (*HEAVY, "numpy", "dask", "distributed") if m in loaded] == []


def test_a_simulation_without_scheduler_imports_no_dask(tmp_path):
    """Dask is imported only for --scheduler: a local simulation starts as fast as before."""
    code = ("import sys\nfrom cli.main import main\n"
            f"sys.argv = ['saylau', 'simulate', {str(SEMEY_2029)!r}, '--runs', '64']\n"
            "try:\n    main()\nexcept SystemExit:\n    pass")
    loaded = imported_by(code, tmp_path)
    assert "numpy" in loaded
    assert [m for m in ("dask", "distributed") if m in loaded] == []


def test_a_replay_imports_neither_scipy_nor_matplotlib_nor_pandas(tmp_path):
    """`saylau replay` on a plain scenario imports only what replaying needs (scipy only where
    the compiled kernels are missing: the sparse product is the fallback)."""
    from engine.tally import sums

    code = ("import sys\nfrom cli.main import main\n"
            f"sys.argv = ['saylau', 'replay', {str(SEMEY_2025)!r}]\n"
            "try:\n    main()\nexcept SystemExit:\n    pass")
    loaded = imported_by(code, tmp_path)
    assert "numpy" in loaded
    heavy = HEAVY if sums._group_sum_c is not None else ("matplotlib", "pandas")
    assert [m for m in heavy if m in loaded] == []


def test_saylau_help_lists_each_command_as_its_own_docstring_says(runner):
    """The lazy group's listing (written out in cli/main.py, so --help imports no command) is
    the listing click would make from the commands themselves."""
    eager = click.Group("main", help=main.help, context_settings=main.context_settings,
                        params=main.params)
    for name, (module, _) in COMMANDS.items():
        eager.add_command(getattr(importlib.import_module(module), name))
    lazy = runner.invoke(main, ["--help"], prog_name="saylau")
    built = runner.invoke(eager, ["--help"], prog_name="saylau")
    assert lazy.exit_code == 0
    assert lazy.output == built.output


def test_an_unknown_command_is_named():
    """A mistyped command is one usage error naming it, exit 2."""
    result = CliRunner().invoke(main, ["replya", "x.toml"])
    assert result.exit_code == 2
    assert "No such command 'replya'" in result.output
