"""Forensics with --scheduler: the Monte-Carlo nulls, bootstraps and digit tests run as a Dask
LocalCluster's tasks give the same findings, and `saylau forensics` the same bytes."""

from __future__ import annotations

import json

import pytest

from cli.main import main
from engine.analysis import forensics as fx
from engine.formats.scenario import load
from engine.simulation.setup import setup
from tests.paths import SIMULATIONS

RERUN = SIMULATIONS / "kz-2021-rerun.toml"


def test_the_tests_on_the_cluster_find_what_they_find_here(local_cluster):
    """One simulated election of the 2021 re-run (1,847 precincts): every finding of examine
    the same, to the last bit, with its parts on 2 worker processes as one after another."""
    st = setup(load(str(RERUN)), None)
    table, results = fx.simulated_election(st.model, st.rules, 8)
    p = fx.precincts_of(table, results)
    here = fx.examine(p, 8, null_runs=40, bootstrap=40)
    there = fx.examine(p, 8, null_runs=40, bootstrap=40, mapper=local_cluster.map)
    assert there.findings == here.findings
    assert len(here.findings) == 13
    assert not any(f.cannot for f in here.findings)


def test_forensics_prints_the_same_bytes_on_a_local_cluster(runner):
    """`saylau forensics` of a simulated 2021 re-run with --scheduler local:2 prints what it
    prints here, byte for byte; where it ran is on stderr only."""
    args = ["forensics", str(RERUN), "--seed", "2", "--format", "json"]
    ref = runner.invoke(main, args)
    got = runner.invoke(main, [*args, "--scheduler", "local:2"])
    assert ref.exit_code == got.exit_code == 0, got.output
    assert got.stdout == ref.stdout
    assert json.loads(ref.stdout)["precincts"] == 1847
    assert got.stderr.startswith("running on a LocalCluster of 2 worker processes (tcp://")


def test_forensics_on_an_unreachable_scheduler_is_one_line_and_writes_nothing(runner, tmp_path,
                                                                              monkeypatch):
    """Nobody listens on the port: exit 2, one line naming the address, no output file."""
    pytest.importorskip("distributed")
    from engine.simulation import cluster

    monkeypatch.setattr(cluster, "CONNECT_TIMEOUT", 2.0)
    out = tmp_path / "fx.json"
    result = runner.invoke(main, ["forensics", str(RERUN), "--scheduler", "tcp://127.0.0.1:1",
                                  "-o", str(out)])
    assert result.exit_code == 2
    [line] = result.stderr.splitlines()
    assert line.startswith("error: --scheduler tcp://127.0.0.1:1: no Dask scheduler answered "
                           "within 2 s")
    assert list(tmp_path.iterdir()) == []
