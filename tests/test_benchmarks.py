"""The benchmarks run end to end on tiny inputs: every case checked and printed with its ratios
(their figures are not asserted: no timed tests)."""

from __future__ import annotations

import importlib.util
import json

import numpy as np
import pytest

import engine.tally.ballots
from benchmarks import (
    ballots_bench,
    budget_bench,
    cluster_bench,
    inference_bench,
    peers,
    pipeline_bench,
    scaling,
    streams,
)
from benchmarks import runner as bench_runner
from cli.main import main


def figures_cluster_ok(path) -> bool:
    """The cluster figures hold the cluster's run, its bytes per block and the pipeline."""
    c = json.loads(path.read_text())["cluster"]
    one = c["clusters"]["1"]
    return (sorted(c["clusters"]) == ["1"] and one["bytes_per_block"] > 0
            and one["pipeline"]["tasks"] == 16 and c["runs"] == 128)


@pytest.fixture
def no_peers(monkeypatch):
    """As if none of the peers were installed (pandas stays)."""
    monkeypatch.setattr(peers, "available", lambda name: name == "pandas")


def test_saylau_bench_smoke_prints_every_case_with_its_ratios(runner, tmp_path, no_peers):
    """The quick benchmark's code path on tiny sizes: exit 0, every section, JSON and PNG."""
    out, png = tmp_path / "results.json", tmp_path / "scaling.png"
    result = runner.invoke(main, ["bench", "--smoke", "--output", str(out), "--plot", str(png)])
    assert result.exit_code == 0, result.output
    text = result.output
    for heading in ("ballot tally, one race, one core", "streamed from a file",
                    "precinct rows -> races", "rules pipeline", "votes draw, 64 runs",
                    "whole simulation", "replay end to end, 300 precincts",
                    "replay of kz-2021-rural", "calibration of synthetic", "peak memory",
                    "scaling: time against size", "OpenElections files end to end",
                    "targets, as measured in this run"):
        assert heading in text
    if cluster_bench.available():  # 128 runs on threads and LocalCluster(1): identical
        assert "simulation on Dask: 128 runs (2 blocks of 64)" in text
        assert "identical Summaries on threads and every cluster: yes" in text
        assert figures_cluster_ok(out)
    else:
        assert cluster_bench.SKIPPED in text
    assert "VoteKit: not installed, its ballot tally skipped" in text
    assert "prefsampling: not installed, its generator skipped" in text
    assert "x bincount" in text
    assert "x reduceat" in text
    assert "x python" in text
    figures = json.loads(out.read_text())
    assert [c["n_options"] for c in figures["ballots"]["cases"]] == [2, 7, 16]
    assert all(c["ratio"]["bincount"] > 0 for c in figures["ballots"]["cases"])
    assert figures["precincts"][0]["n_rows"] == 500
    assert figures["memory"]["stream"]["extra_mib"]["saylau"] < 64
    assert figures["environment"]["kernel"] == engine.tally.ballots.KERNEL
    assert {t["met"] for t in figures["targets"]} <= {True, False, None}
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_python_m_benchmarks_writes_the_figures_and_the_plot(tmp_path, capsys, monkeypatch):
    """``python -m benchmarks --smoke --json F --plot P`` runs the smoke configuration and
    writes both (the run itself stubbed: the test above runs it)."""
    from benchmarks.__main__ import main as bench_main

    seen = []
    points = [("case", "saylau", 10, 1e-3), ("case", "saylau", 100, 1e-2)]
    fake = {"environment": {"config": "smoke"}, "scaling": scaling.series(points)}
    monkeypatch.setattr(bench_runner, "run", lambda cfg: seen.append(cfg) or fake)
    out, png = tmp_path / "figures.json", tmp_path / "scaling.png"
    assert bench_main(["--smoke", "--json", str(out), "--plot", str(png)]) == 0
    assert seen == [bench_runner.SMOKE]
    assert json.loads(out.read_text())["scaling"][0]["slope"] == pytest.approx(1.0)
    assert png.stat().st_size > 0
    assert f"wrote {out}" in capsys.readouterr().out


def test_bench_refuses_an_output_in_a_missing_folder_before_measuring(runner, tmp_path):
    """A typo in --output costs one line and exit 2, not a benchmark run."""
    result = runner.invoke(main, ["bench", "--output", str(tmp_path / "no" / "r.json")])
    assert result.exit_code == 2
    assert "does not exist" in result.output


def test_streamed_ballots_equal_the_ballots_in_memory(tmp_path):
    """The file read back in chunks holds exactly make_ballots, and counts the same."""
    path = tmp_path / "b.u8"
    counts = streams.write_ballots(path, 10_001, 7)
    codes = streams.make_ballots(10_001, 7)
    assert np.concatenate([c.copy() for c in streams.read_chunks(path, 4096)]).tobytes() \
        == codes.tobytes()
    assert counts.tolist() == np.bincount(codes, minlength=7).tolist()


def test_the_python_rules_loop_agrees_with_saylau_on_every_race():
    """The pipeline's plain Python baseline decides as saylau does (checked before timing)."""
    case = pipeline_bench.bench_pipeline(300, 1, python_cap=300, slow_repeat=1)
    assert case["python_races"] == 300
    assert sum(case["outcomes"].values()) == 300


def test_a_carried_cost_is_marked_and_the_slope_of_linear_work_is_one():
    """Costs carried from a smaller size print with ~; time proportional to size has slope 1."""
    assert ballots_bench._ratio(1234.0, carried=True) == "~1234x"
    rows = scaling.series([("c", "x", 10, 1.0), ("c", "x", 1000, 100.0), ("c", "y", 10, 1.0)])
    assert rows[0]["slope"] == pytest.approx(1.0)
    assert rows[1]["slope"] is None


@pytest.mark.skipif(not all(importlib.util.find_spec(m) for m in
                            ("votekit", "pref_voting", "votelib", "prefsampling")),
                    reason="the peers are not installed (pip install 'saylau[bench]')")
def test_each_peer_counts_the_ballots_as_saylau_does():
    """Every peer's own tally gives the counts of count_codes; the generators give n ballots."""
    codes = streams.make_ballots(60, 4)
    expected = np.bincount(codes, minlength=4)
    for name, tally in peers.TALLIES.items():
        build, count = tally(codes, 4)
        assert count(build()).tolist() == expected.tolist(), name
    for name, generate in peers.GENERATORS.items():
        assert generate(50, 4, 1) == 50, name



def test_the_report_benchmark_writes_the_page_and_prints_each_stage():
    """`python -m benchmarks.report_bench` on a tiny election: the command, the stages and the
    size measured and printed against the targets (Chromium left out: the browser tests open
    pages)."""
    from benchmarks import report_bench

    r = report_bench.bench_report(300, 6, repeat=1, browser=False)
    assert r["bytes"] > 10_000
    assert min(r[k] for k in ("command_s", "no_forensics_s", "load_s", "replay_s",
                              "forensics_s", "page_s")) > 0
    text = report_bench.render(r)
    assert "saylau report, 300 precincts in 6 races" in text
    assert "opened in Chromium: not measured" in text


def test_the_inference_and_budget_benchmarks_run_and_check_themselves():
    """Smoke runs: the inference bench checks its intervals before timing; the budget bench
    keeps a small model within the budget and refuses one whose block does not fit."""
    f = inference_bench.bench_inference(races=5, repeat=1)
    assert f["inferred"] == 25
    b = budget_bench.bench_budget(precincts=(200, 1_000_000), budget_mib=64, runs=64, jobs=1)
    small, big = b["cases"]
    assert small["refused"] is None
    assert small["within"]
    assert "--memory" in big["refused"]
    assert "budget" in budget_bench.render(b)
