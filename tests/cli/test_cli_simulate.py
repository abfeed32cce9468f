"""`saylau simulate`: same seed same bytes, the three formats, --plot, one-line errors."""

from __future__ import annotations

import csv
import io
import json
import sys
from pathlib import Path

import pytest

from cli.main import main
from engine.simulation.draws import KERNEL
from tests.texts import MAJORITY, RURAL_HEAD

SEMEY_2029 = "simulations/semey-2029.toml"
RERUN_2021 = "simulations/kz-2021-rerun.toml"
STRESS = "simulations/against-all-stress.toml"


def _simulate(runner, scenarios: Path, file: str, *args: str):
    result = runner.invoke(main, ["simulate", str(scenarios / file), *args])
    assert result.exit_code == 0, result.output
    return result.stdout


@pytest.mark.parametrize("fmt", ["table", "json", "csv"])
def test_the_same_seed_gives_the_same_bytes_for_any_jobs_and_chunks(runner, scenarios, fmt):
    """One seed prints the same bytes in each format whatever --jobs and --chunk-runs; another
    seed prints other bytes."""
    outputs = {_simulate(runner, scenarios, STRESS, "--runs", "700", "--seed", "7",
                         "--format", fmt, *extra)
               for extra in (["--jobs", "1"], ["--jobs", "2"],
                             ["--jobs", "2", "--chunk-runs", "64"],
                             ["--jobs", "1", "--chunk-runs", "1000"])}
    assert len(outputs) == 1
    other = _simulate(runner, scenarios, STRESS, "--runs", "700", "--seed", "8", "--format", fmt)
    assert other not in outputs


def test_semey_2029_prints_win_probabilities(runner, scenarios):
    """The Semey 2029 table opens with the rules, runs, seed and voters, and has a line for each
    candidate, against all, turnout, the margin and a finish within one vote."""
    out = _simulate(runner, scenarios, SEMEY_2029, "--runs", "2000", "--seed", "1")
    assert out.startswith("2029 Semey akim election (simulated)\nsimulation · rules "
                          f"kz-2023-district · 2,000 runs · seed 1 · kernel {KERNEL} · 1 race")
    assert "220,761 registered in 128 precincts" in out
    for line in ("Ädilet Qojanbaev", "Qanyş Töleuov", "Aibolat Bekjasarov", "against all",
                 "turnout ", "margin ", "P(margin <= 1 vote)"):
        assert line in out


def test_json_probabilities_derive_from_the_counts(runner, scenarios):
    """Every run ends in one outcome; p_win is wins over runs, inside its 95% interval; and the
    larger against all is, the more races it voids."""
    d = json.loads(_simulate(runner, scenarios, STRESS, "--runs", "1000", "--seed", "3",
                             "--format", "json"))
    assert d["runs"] == 1000
    assert d["seed"] == 3
    assert d["rules"] == "kz-2021-rural"
    for race in d["races"]:
        wins = sum(c["wins"] for c in race["candidates"])
        # every run ends in exactly one outcome; winners exist only where someone was elected
        assert sum(race["outcomes"].values()) == 1000
        assert wins == race["outcomes"].get("elected", 0)
        for c in race["candidates"]:
            assert c["p_win"] == c["wins"] / 1000
            lo, hi = c["p_win_95"]
            assert lo <= c["p_win"] <= hi
        q = race["margin_votes"]
        assert q["p5"] <= q["p50"] <= q["p95"]
        assert race["p_margin_le_1"] <= race["p_margin_le_10"]
    # against all voids more races the larger it is (fails_if_top): 0.55% .. 40%
    failed = [r["outcomes"].get("failed_against_all", 0) for r in d["races"]]
    assert failed == sorted(failed)
    assert failed[-1] > 300


def test_races_won_add_up_from_regions_to_the_nation(runner, scenarios):
    """The 730 races of the 2021 rerun, won by a party or left without a winner in every run,
    add up from the regions to the nation."""
    d = json.loads(_simulate(runner, scenarios, RERUN_2021, "--runs", "128", "--seed", "2",
                             "--format", "json"))
    assert len(d["races"]) == 730
    areas = {tuple(a["path"]): a for a in d["areas"]}
    nation = areas[()]
    assert nation["races"] == 730

    def total(area) -> int:  # races won by any party or left without a winner, over all runs
        return sum(int(k) * n for c in area["counts"] if c["name"] != "margin <= 10 votes"
                   for k, n in c["distribution"].items())

    assert total(nation) == 730 * 128
    assert sum(total(a) for p, a in areas.items() if len(p) == 1) == total(nation)
    assert sum(a["races"] for p, a in areas.items() if len(p) == 1) == 730


def test_csv_has_one_row_per_race_and_candidate(runner, scenarios):
    """--format csv: one row per race and candidate (5 races of 4 candidates), each with a
    probability and the number of runs."""
    out = _simulate(runner, scenarios, STRESS, "--runs", "300", "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(out)))
    assert len(rows) == 5 * 4
    assert {r["race_id"] for r in rows} == {"bersugir-2021", "bersugir-aa10", "bersugir-aa20",
                                            "bersugir-aa30", "bersugir-aa40"}
    assert all(0 <= float(r["p_win"]) <= 1 and r["runs"] == "300" for r in rows)


def test_output_and_plot_are_written_to_files(runner, scenarios, tmp_path):
    """--output and --plot write the JSON and a PNG, nothing else, and nothing on stdout."""
    pytest.importorskip("matplotlib", reason="--plot needs the optional matplotlib")
    out, png = tmp_path / "semey.json", tmp_path / "semey.png"
    result = runner.invoke(main, ["simulate", str(scenarios / SEMEY_2029), "--runs", "500",
                                  "--format", "json", "--output", str(out), "--plot", str(png)])
    assert result.exit_code == 0, result.output
    assert result.stdout == ""
    assert json.loads(out.read_text(encoding="utf-8"))["runs"] == 500
    assert png.read_bytes().startswith(b"\x89PNG\r\n\x1a\n")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["semey.json", "semey.png"]


def test_plot_without_matplotlib_is_a_one_line_error(runner, scenarios, monkeypatch):
    """--plot without matplotlib is one line saying how to install it, exit 2."""
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # import fails
    result = runner.invoke(main, ["simulate", str(scenarios / SEMEY_2029), "--plot", "x.png"])
    assert result.exit_code == 2
    assert result.stderr == ("error: --plot needs matplotlib: pip install 'saylau[plot]' "
                             "(or pip install matplotlib)\n")


@pytest.mark.parametrize(("args", "message"), [
    (["--from", "missing.toml"], "error: missing.toml: no such file\n"),
    (["--runs", "0"], "Invalid value for '--runs'"),
])
def test_bad_arguments_are_one_line(runner, scenarios, args, message):
    """A --from file that does not exist, or no runs: one line on stderr, exit 2."""
    result = runner.invoke(main, ["simulate", str(scenarios / SEMEY_2029), *args])
    assert result.exit_code == 2
    assert message in result.stderr
    assert "Traceback" not in result.output


def test_a_bad_model_table_exits_2_with_the_place(runner, tmp_path):
    """An unknown key in [model] is one line naming the file, the place and the key meant."""
    f = tmp_path / "bad.toml"
    f.write_text(RURAL_HEAD + """[model]
swing = 0.2
[[race]]
id = "a"
registered = 100
[[race.candidate]]
name = "A"
""", encoding="utf-8")
    result = runner.invoke(main, ["simulate", str(f)])
    assert result.exit_code == 2
    assert result.stderr.startswith("error: bad.toml: model: unknown key 'swing' (did you mean "
                                    "'swing_sd'?)")
    assert result.stderr.count("\n") == 1


@pytest.mark.parametrize(("args", "says"), [
    (["--scheduler", "local:2", "--jobs", "2"], "--jobs sets this machine's threads"),
    (["--scheduler", "local:0"], "local:N takes a whole number of worker processes >= 1"),
    (["--scheduler", "10.0.0.5:8786"], "neither a scheduler's address (tcp://HOST:PORT) nor"),
])
def test_a_scheduler_that_cannot_be_used_is_one_line(runner, scenarios, args, says):
    """--scheduler with --jobs, or an address of no known form: exit 2, one line, before any
    cluster starts."""
    result = runner.invoke(main, ["simulate", str(scenarios / STRESS), *args])
    assert result.exit_code == 2
    assert says in result.stderr
    assert len(result.stderr.splitlines()) == 1


def test_an_indirect_round_prints_the_same_bytes_on_a_local_cluster(runner, scenarios):
    """The 2013 maslikhat round with --scheduler local:2 (chunks of one block) prints what it
    prints here, byte for byte; where it ran is on stderr only."""
    args = [str(scenarios / "simulations/kz-2013-maslikhat.toml"), "--runs", "150", "--seed",
            "3", "--format", "json"]
    ref = runner.invoke(main, ["simulate", *args])
    got = runner.invoke(main, ["simulate", *args, "--scheduler", "local:2", "--chunk-runs", "64"])
    assert ref.exit_code == got.exit_code == 0, got.output
    assert got.stdout == ref.stdout
    assert json.loads(ref.stdout)["runs"] == 150
    assert got.stderr.startswith("running on a LocalCluster of 2 worker processes (tcp://")


def test_scheduler_without_dask_says_what_to_install(runner, scenarios, monkeypatch):
    """Without dask.distributed installed, --scheduler names the extra to install."""
    import cli.cluster

    real = cli.cluster.importlib.util.find_spec
    monkeypatch.setattr(cli.cluster.importlib.util, "find_spec",
                        lambda name, *a: None if name == "distributed" else real(name, *a))
    result = runner.invoke(main, ["simulate", str(scenarios / STRESS), "--scheduler", "local"])
    assert result.exit_code == 2
    assert result.stderr.splitlines() == [
        "error: --scheduler needs dask.distributed: pip install 'saylau[dask]' (or pip install "
        "'dask[distributed]')"]


def test_a_simulated_majority_rule_counts_failed_majority_as_failed(runner, tmp_path):
    """Under threshold = "majority_present" a race whose leader stays near 45% mostly fails
    to elect: its failed_majority runs are in the outcomes and in p_failed, and the header
    names the changed rule."""
    path = tmp_path / "majority.toml"
    path.write_text(MAJORITY, encoding="utf-8")
    out = runner.invoke(main, ["simulate", str(path), "--runs", "200", "--format", "json"])
    assert out.exit_code == 0, out.output
    race = json.loads(out.stdout)["races"][0]
    failed = race["outcomes"].get("failed_majority", 0)
    assert failed > 100  # a 45% leader rarely passes half
    assert race["p_failed"] == round(failed / 200, 6)
    table = runner.invoke(main, ["simulate", str(path), "--runs", "50"])
    assert "rules kz-2023-district (against_all false, threshold majority_present)" in table.stdout
