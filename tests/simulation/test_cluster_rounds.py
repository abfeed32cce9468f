"""Indirect rounds and the calibration's simulated moments on a Dask LocalCluster of two worker
processes: the same bytes as on this machine's threads."""

from __future__ import annotations

import json
import os
import signal
import threading
import time

import attrs
import numpy as np
import pytest

from cli.main import main
from engine.formats.scenario import load
from engine.law.rules import preset
from engine.simulation import cluster
from engine.simulation.blocks import Threads
from engine.simulation.fit import BOUNDS, fit
from engine.simulation.fit_trials import Objective, Trials
from engine.simulation.indirect import STATISTICS, Deputies, Round, RoundCounts, simulate_round
from engine.simulation.indirect_job import RoundJob, RoundRows, round_on
from engine.simulation.indirect_setup import indirect_setup
from engine.simulation.model_check import model_check
from tests.paths import SIMULATIONS

INDIRECT = preset("kz-2013-indirect")
MASLIKHAT = SIMULATIONS / "kz-2013-maslikhat.toml"


def _same_counts(a: RoundCounts, b: RoundCounts) -> bool:
    return all(a.stat(s).dtype == b.stat(s).dtype and a.stat(s).tobytes() == b.stat(s).tobytes()
               for s in STATISTICS)


def test_the_2013_round_on_the_cluster_is_the_local_round(local_cluster):
    """The 2013 round (2,457 races in 188 maslikhats), 150 runs (two full blocks and a short
    one): every run's counts the same bytes on 2 worker processes, in chunks of one block or
    the default, as simulate_round one block after another; progress reaches every run."""
    ind = indirect_setup(load(str(MASLIKHAT)))
    ref = simulate_round(ind.round, ind.rules, runs=150, seed=4, **attrs.asdict(ind.deputies))
    for chunk in (64, None):
        done: list[int] = []
        got = round_on(local_cluster, ind.round, ind.rules, ind.deputies, runs=150, seed=4,
                       chunk_runs=chunk, progress=done.append)
        assert _same_counts(got, ref), chunk
        assert done[-1] == 150
    assert ref.elected.shape == (150,)
    assert ref.first_round_ties.sum() > 0


def test_blocks_joined_in_any_order_are_the_rounds_in_block_order():
    """The accumulator keeps each block's rows: blocks added in any grouping give the runs in
    block order, and a block counted twice is refused rather than counted twice."""
    rnd = Round.even(10, 60, 30, 90)
    job = RoundJob(rnd=rnd, rules=INDIRECT, deputies=Deputies(), seed=9, runs=200)
    late, early = job.new(), job.new()
    job.add(range(2, 4), late)
    job.add(range(0, 2), early)
    late += early
    assert _same_counts(late.counts(4), simulate_round(rnd, INDIRECT, runs=200, seed=9))
    twice = RoundRows(dict(early.rows))
    with pytest.raises(ValueError, match="block 0 counted twice"):
        twice += early


def test_the_fit_on_the_cluster_is_the_fit_on_threads(local_cluster):
    """Every trial of the grids and of Nelder-Mead's paths (and the nested fit at
    persistence 0) evaluated on 2 worker processes: the same trials, distances, fit, region
    and counts at the fit as on two threads."""
    rnd = Round.even(20, 120, 60, 180)
    targets = {"ties": 2, "one_vote_margins": 10, "elected": 55}
    kwargs = {"runs": 10, "seed": 3, "restrict": [("persistence", 0.0)],
              "grid_points": {"loyalty": 5, "attendance": 2, "persistence": 2},
              "region_points": 3}
    here = fit(rnd, INDIRECT, targets, jobs=2, **kwargs)
    there = fit(rnd, INDIRECT, targets, mapper=local_cluster.map, **kwargs)
    assert here.grid.tobytes() == there.grid.tobytes()
    assert here.chi2.tobytes() == there.chi2.tobytes()
    assert (here.point, here.distance, here.region) == (there.point, there.distance,
                                                         there.region)
    assert here.restricted == there.restricted
    assert _same_counts(here.counts, there.counts)
    assert len(here.grid) > 20


def test_the_model_check_on_the_cluster_is_the_local_check(local_cluster):
    """The model check's rounds drawn on 2 worker processes: the same rows and counts."""
    rnd = Round.even(20, 120, 60, 180)
    published = {"ties": 2, "one_vote_margins": 10, "elected": 55, "races": 60}
    at = Deputies(loyalty=0.7, attendance=0.9, persistence=0.5)
    here = model_check(rnd, INDIRECT, at, published, ("ties",), 300, 5)
    there = model_check(rnd, INDIRECT, at, published, ("ties",), 300, 5, backend=local_cluster)
    assert here.rows == there.rows
    assert _same_counts(here.counts, there.counts)
    assert [r.figure for r in here.rows] == ["ties", "one_vote_margins", "elected", "failed"]


def test_a_map_keeps_the_order_of_its_points(local_cluster):
    """Dask.map gives f at every point in the order given, on the cluster as on threads."""
    xs = [np.array([float(i)]) for i in range(37)]
    there = local_cluster.map(np.square, xs)
    assert np.array_equal(np.concatenate(there), np.concatenate(Threads(2).map(np.square, xs)))
    assert np.array_equal(np.concatenate(there), np.arange(37.0) ** 2)


def test_calibrate_prints_the_same_bytes_on_a_local_cluster(runner):
    """`saylau calibrate` of the 2013 round (10 rounds a trial, 10 in the check) with
    --scheduler local:2 prints what it prints on threads, byte for byte."""
    args = ["calibrate", str(MASLIKHAT), "--runs", "10", "--check-runs", "10", "--format",
            "json"]
    ref = runner.invoke(main, args)
    got = runner.invoke(main, [*args, "--scheduler", "local:2"])
    assert ref.exit_code == got.exit_code == 0, got.output
    assert got.stdout == ref.stdout
    assert got.stderr.startswith("running on a LocalCluster of 2 worker processes (tcp://")
    assert json.loads(ref.stdout)["runs_per_trial"] == 10


def test_calibrate_on_an_unreachable_scheduler_is_one_line_and_writes_nothing(runner, tmp_path,
                                                                              monkeypatch):
    """Nobody listens on the port: exit 2, one line naming the address, no output file."""
    pytest.importorskip("distributed")
    monkeypatch.setattr(cluster, "CONNECT_TIMEOUT", 2.0)
    out = tmp_path / "fit.json"
    result = runner.invoke(main, ["calibrate", str(MASLIKHAT), "--runs", "10", "--scheduler",
                                  "tcp://127.0.0.1:1", "-o", str(out)])
    assert result.exit_code == 2
    [line] = result.stderr.splitlines()
    assert line.startswith("error: --scheduler tcp://127.0.0.1:1: no Dask scheduler answered "
                           "within 2 s")
    assert list(tmp_path.iterdir()) == []


def test_a_round_within_memory_is_the_same_round_and_a_block_too_large_is_one_line(runner):
    """--memory sizes an indirect round's chunks and threads, never its counts (30M: one
    block at a time, the same bytes as the default); a budget smaller than one block's
    uniforms (23 MiB for 2013) is one line naming the file and --memory, exit 2."""
    args = ["simulate", str(MASLIKHAT), "--runs", "150", "--seed", "3", "--format", "json"]
    ref = runner.invoke(main, args)
    small = runner.invoke(main, [*args, "--memory", "30M", "--jobs", "2"])
    assert ref.exit_code == small.exit_code == 0, small.output
    assert small.stdout == ref.stdout
    refused = runner.invoke(main, [*args, "--memory", "10M"])
    assert refused.exit_code == 2
    assert refused.stderr.splitlines() == [
        "error: kz-2013-maslikhat.toml: --memory: a block of 64 runs of this round (2,457 "
        "races) draws about 23 MiB of uniforms, more than the budget of 10 MiB: raise --memory"]
    assert refused.stdout == ""


def test_a_worker_killed_during_the_trials_changes_nothing(local_cluster):
    """SIGKILL one worker 0.3 s into 120 trials of the 2013 round (they take longer): its
    tasks (and the objective it held) are made again on the other, and every distance is the
    threads' to the bit."""
    ind = indirect_setup(load(str(MASLIKHAT)))
    trials = Trials(ind.round, ind.rules, 20, 1, BOUNDS)
    objective = Objective(trials, ("loyalty", "attendance", "persistence"), {},
                          {"ties": 3, "one_vote_margins": 37, "elected": 2454})
    points = [np.array([0.3 + 0.7 * i / 119, 0.9, 0.5]) for i in range(120)]
    ref = Threads(1).map(objective, points)
    client = local_cluster.client
    victim = next(iter(client.run(os.getpid).values()))
    timer = threading.Timer(0.3, os.kill, (victim, signal.SIGKILL))
    start = time.monotonic()
    timer.start()
    got = local_cluster.map(objective, points)
    took = time.monotonic() - start
    timer.join()
    assert took > 0.3  # the worker died while the trials ran
    assert got == ref
    client.wait_for_workers(2, timeout=60)  # the nanny's new worker, for the other tests
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:  # until the scheduler has forgotten the dead one
        try:
            if victim not in client.run(os.getpid).values():
                break
        except OSError:  # a broadcast to the dead worker's closed comm
            pass
        time.sleep(0.2)
    else:
        pytest.fail("the killed worker is still listed after 30 s")
