"""The benchmark runs end to end on tiny inputs (its figures are not asserted: no timed tests)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import engine.ballots

# benchmarks/ is not installed: reach it from the checkout, after the installed engine
sys.path.append(str(Path(__file__).resolve().parents[1]))
from benchmarks import tally_bench


def test_the_benchmark_checks_its_contenders_and_prints_every_ratio(tmp_path, capsys):
    out = tmp_path / "results.json"
    code = tally_bench.main(["--ballots", "2000", "--precincts", "500:7", "--repeat", "1",
                             "--replay-precincts", "300", "--json", str(out)])
    assert code == 0
    printed = capsys.readouterr().out
    assert "x bincount" in printed and "x reduceat" in printed
    assert "replay end to end, 300 precincts" in printed
    figures = json.loads(out.read_text())
    assert [b["n_options"] for b in figures["ballots"]] == [2, 7, 16]
    assert all(b["bincount_ratio"] > 0 for b in figures["ballots"])
    assert figures["precincts"][0]["n_rows"] == 500
    assert figures["replay"]["n_precincts"] == 300 and figures["replay"]["command_s"] > 0
    assert figures["environment"]["kernel"] == engine.ballots.KERNEL
