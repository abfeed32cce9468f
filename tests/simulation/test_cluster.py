"""Simulations on a Dask LocalCluster of two worker processes: the same bytes as the threads,
a worker killed mid-run changes nothing, a lost or unreachable scheduler is one line."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import attrs
import numpy as np
import pytest

from cli.main import main
from engine.formats.scenario import load
from engine.simulation import cluster, cluster_tasks
from engine.simulation.blocks import Threads
from engine.simulation.cluster import ClusterError, connect, parse_scheduler
from engine.simulation.cluster_tasks import WorkerMismatch
from engine.simulation.cycles import CycleModel, run_cycles
from engine.simulation.histograms import Histogram
from engine.simulation.runner import SimulationJob, run
from engine.simulation.seeds import root_seed
from engine.simulation.setup import Setup, setup
from tests.dask_needed import require_distributed
from tests.paths import ROOT, SIMULATIONS

require_distributed()  # the engine imports dask only when a cluster is asked for

RERUN = SIMULATIONS / "kz-2021-rerun.toml"
STRESS = SIMULATIONS / "against-all-stress.toml"
DECADES = SIMULATIONS / "kz-rural-2021-2037.toml"


@pytest.fixture(scope="module")
def dask2():
    """A LocalCluster of 2 worker processes (1 thread each), shared by this module's tests."""
    with connect("local:2") as backend:
        yield backend


@pytest.fixture(scope="module")
def rerun() -> Setup:
    """The 730 races of the 2021 re-run, with parties and areas."""
    return setup(load(str(RERUN)), None)


def _arrays(result: object) -> dict[str, np.ndarray]:
    """Every array of a Summary or CycleSummary, histograms as their keys and counts."""
    out: dict[str, np.ndarray] = {}
    for field in attrs.fields(type(result)):
        value = getattr(result, field.name)
        if isinstance(value, Histogram):
            out[f"{field.name}.keys"], out[f"{field.name}.counts"] = value.keys, value.counts
        elif isinstance(value, np.ndarray | int):
            out[field.name] = np.asarray(value)
    return out


def _same(a: object, b: object) -> bool:
    x, y = _arrays(a), _arrays(b)
    return x.keys() == y.keys() and all(
        x[k].dtype == y[k].dtype and x[k].tobytes() == y[k].tobytes() for k in x)


def test_a_simulation_on_the_cluster_is_the_threads_simulation(dask2, rerun):
    """The 2021 re-run (730 races, areas and parties): every count the same bytes on threads
    and on 2 worker processes, for any chunk size; progress counts the runs to the end."""
    runs = 400  # 6 full blocks and a short one
    ref = run(rerun.model, rerun.rules, runs, 11, jobs=2, grouping=rerun.grouping)
    for chunk in (64, None):
        done: list[int] = []
        got = run(rerun.model, rerun.rules, runs, 11, chunk_runs=chunk, grouping=rerun.grouping,
                  backend=dask2, progress=done.append)
        assert _same(got, ref), chunk
        assert done == sorted(done)
        assert done[-1] == runs


def test_cycles_on_the_cluster_are_the_threads_cycles(dask2):
    """Four terms of the 2021 rural races: the same counts on threads and on the cluster."""
    st = setup(load(str(DECADES)), None)
    cm = CycleModel.of(st.rules, len(st.races), 2, first_vote=st.scenario.election.date,
                       incumbent=[r.incumbent for r in st.races],
                       served=[r.terms_held for r in st.races])
    ref = run_cycles(st.model, st.rules, cm, 100, 5, jobs=1)
    got = run_cycles(st.model, st.rules, cm, 100, 5, chunk_runs=64, backend=dask2)
    assert _same(got, ref)
    assert ref.elections.sum() > 0


def test_several_jobs_in_one_call_are_each_their_own_run(dask2, rerun):
    """map_jobs sums each job's blocks apart (as the fit's grid points will): two seeds in one
    call give each seed's own Summary, on the cluster as on threads."""
    jobs = [SimulationJob(model=rerun.model, rules=rerun.rules, grouping=None,
                          root=root_seed(seed), runs=130) for seed in (1, 2)]
    on_threads = Threads(2).map_jobs(jobs, [1, 2])
    on_cluster = dask2.map_jobs(jobs, [2, 1])
    for job, a, b in zip(jobs, on_threads, on_cluster, strict=True):
        alone = run(rerun.model, rerun.rules, 130, job.root, jobs=1)
        assert _same(job.summary(a), alone)
        assert _same(job.summary(b), alone)
    assert not _same(jobs[0].summary(on_threads[0]), jobs[1].summary(on_threads[1]))


def test_a_worker_killed_mid_run_changes_nothing(dask2, rerun):
    """SIGKILL one worker process after the first chunk: its tasks rerun elsewhere (a block
    is a pure function of its index) and the Summary is the threads' to the byte."""
    runs = 384
    ref = run(rerun.model, rerun.rules, runs, 5, jobs=2, grouping=rerun.grouping)
    pids = dask2.client.run(os.getpid)
    killed: list[int] = []

    def kill_once(done: int) -> None:
        if not killed:
            killed.append(next(iter(pids.values())))
            os.kill(killed[0], signal.SIGKILL)

    got = run(rerun.model, rerun.rules, runs, 5, chunk_runs=64, grouping=rerun.grouping,
              backend=dask2, progress=kill_once)
    assert killed
    assert killed[0] not in dask2.client.run(os.getpid).values()
    assert _same(got, ref)


def test_a_worker_that_would_draw_otherwise_is_refused(dask2, rerun, monkeypatch):
    """Workers whose saylau, numpy or kernel differ from this machine's would give other
    numbers: one ClusterError line saying so, no result."""
    monkeypatch.setattr(cluster_tasks, "worker_facts", lambda: ("0.0.0", "1.0", "numpy"))
    with pytest.raises(ClusterError, match=r"a worker draws with saylau .*, this machine with "
                                           r"saylau 0\.0\.0, numpy 1\.0, kernel numpy"):
        run(rerun.model, rerun.rules, 64, 1, backend=dask2)


def test_a_leaf_checks_the_worker_before_drawing(rerun):
    """The check itself, on this process: other facts raise WorkerMismatch, the same draw."""
    job = SimulationJob(model=rerun.model, rules=rerun.rules, grouping=None, root=root_seed(3),
                        runs=64)
    with pytest.raises(WorkerMismatch):
        cluster_tasks.leaf(job, 0, 1, ("0.0.0", "1.0", "numpy"))
    acc = cluster_tasks.leaf(job, 0, 1, cluster_tasks.worker_facts())
    assert _same(job.summary(acc), run(rerun.model, rerun.rules, 64, 3, jobs=1))


@pytest.mark.parametrize(("text", "parsed"), [
    ("local", ("local", None)), ("local:3", ("local", 3)),
    ("tcp://10.0.0.5:8786", ("tcp://10.0.0.5:8786", None))])
def test_scheduler_addresses(text, parsed):
    """local, local:N and a tcp:// address are understood (local alone: the usable cores)."""
    kind, n = parse_scheduler(text)
    assert kind == parsed[0]
    assert n == parsed[1] or (parsed[1] is None and kind == "local" and n >= 1)


@pytest.mark.parametrize("text", ["local:0", "local:two", "10.0.0.5:8786", "tcp://"])
def test_a_bad_scheduler_address_is_refused(text):
    """A malformed --scheduler is a ValueError naming what it should be."""
    with pytest.raises(ValueError, match="local"):
        parse_scheduler(text)


# --- the command line -----------------------------------------------------------------------


def _invoke(runner, *args: str):
    return runner.invoke(main, ["simulate", *args])


def test_the_command_prints_the_same_bytes_on_threads_and_local_clusters(runner, monkeypatch):
    """`--scheduler local:1` and `local:2` print what the threads print, byte for byte; where
    it ran is on stderr, and on a terminal a progress bar that advances as chunks finish."""
    import cli.simulate

    args = ["--runs", "200", "--seed", "4", "--format", "json"]
    ref = _invoke(runner, str(STRESS), *args)
    assert ref.exit_code == 0, ref.output
    one = _invoke(runner, str(STRESS), *args, "--scheduler", "local:1")
    assert one.exit_code == 0, one.output
    assert one.stdout == ref.stdout
    assert one.stderr.startswith("running on a LocalCluster of 1 worker process (tcp://")
    monkeypatch.setattr(cli.simulate, "_on_terminal", lambda: True)
    monkeypatch.setattr(cli.simulate, "PROGRESS_AFTER", 0.0)
    two = _invoke(runner, str(STRESS), *args, "--scheduler", "local:2", "--chunk-runs", "64")
    assert two.exit_code == 0, two.output
    assert two.stdout == ref.stdout
    lines = two.stderr.split("\n")
    assert lines[0].startswith("running on a LocalCluster of 2 worker processes (tcp://")
    assert lines[0].endswith("): 2 workers, 2 threads")
    bars = lines[1].split("\r")[1:]
    assert bars[-1] == "simulating [##############################] 200/200 runs"
    # an update as chunks (64, 64, 64 and 8 runs) finish, in any order, two finishing
    # together making one: the runs done so far
    done = [int(bar.split("] ")[1].split("/")[0]) for bar in bars]
    assert done == sorted(set(done))
    assert all(d % 64 in (0, 8) for d in done)
    assert lines[2:] == [""]


def test_cycles_print_the_same_bytes_on_a_local_cluster(runner):
    """`--cycles 3 --scheduler local:2` prints what the threads print, byte for byte."""
    args = ["--runs", "200", "--seed", "4", "--format", "json", "--cycles", "3"]
    ref = _invoke(runner, str(STRESS), *args)
    got = _invoke(runner, str(STRESS), *args, "--scheduler", "local:2", "--chunk-runs", "64")
    assert ref.exit_code == got.exit_code == 0, got.output
    assert got.stdout == ref.stdout
    assert json.loads(got.stdout)["cycles"] == 3


def test_an_unreachable_scheduler_is_one_line_and_writes_nothing(runner, tmp_path, monkeypatch):
    """Nobody listens on the port: exit 2, one line naming the address and the reason, and no
    output file."""
    monkeypatch.setattr(cluster, "CONNECT_TIMEOUT", 2.0)
    out = tmp_path / "r.json"
    result = _invoke(runner, str(STRESS), "--scheduler", "tcp://127.0.0.1:1", "-o", str(out))
    assert result.exit_code == 2
    [line] = result.stderr.splitlines()
    # the reason is there when the first attempt was refused within the time-out
    assert re.fullmatch(r"error: --scheduler tcp://127\.0\.0\.1:1: no Dask scheduler answered "
                        r"within 2 s( \(connection refused\))?; is `dask scheduler` running "
                        r"there\?", line), line
    assert list(tmp_path.iterdir()) == []


def _start(folder: Path, *args: str) -> subprocess.Popen:
    """``python -m ARGS`` in its own session, started in ``folder``: not the checkout, whose
    engine (without its built kernels, in CI) would shadow the installed saylau."""
    return subprocess.Popen([sys.executable, "-m", *args], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, start_new_session=True, cwd=folder)


def _wait_for(path: Path, seconds: float = 30.0) -> None:
    deadline = time.monotonic() + seconds
    while not path.exists() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert path.exists(), f"{path} did not appear"


def test_a_remote_scheduler_gives_the_same_bytes_and_losing_it_is_one_line(tmp_path):
    """`dask scheduler` and `dask worker` started apart: --scheduler tcp://... prints the
    threads' bytes; a scheduler killed mid-run is one line, exit 2, and no output file."""
    info = tmp_path / "scheduler.json"
    scheduler = _start(tmp_path, "distributed.cli.dask_scheduler", "--host", "127.0.0.1",
                       "--port", "0", "--dashboard-address", ":0", "--scheduler-file", str(info))
    worker = None
    try:
        _wait_for(info)
        address = json.loads(info.read_text())["address"]
        worker = _start(tmp_path, "distributed.cli.dask_worker", address, "--nworkers", "1",
                        "--nthreads", "2", "--dashboard-address", ":0", "--no-dashboard")
        saylau = [str(Path(sys.executable).with_name("saylau")), "simulate"]
        ref = subprocess.run([*saylau, str(STRESS), "--runs", "300"], capture_output=True,
                             text=True, cwd=ROOT, check=True)
        got = subprocess.run([*saylau, str(STRESS), "--runs", "300", "--scheduler", address],
                             capture_output=True, text=True, cwd=ROOT, check=False)
        assert got.returncode == 0, got.stderr
        assert got.stdout == ref.stdout
        assert got.stderr == f"running on the Dask scheduler at {address}: 1 worker, 2 threads\n"

        out = tmp_path / "big.json"
        long_run = subprocess.Popen([*saylau, str(RERUN), "--runs", "100000", "--scheduler",
                                     address,
                                     "-o", str(out)], stdout=subprocess.PIPE,
                                    stderr=subprocess.PIPE, text=True, cwd=ROOT)
        assert long_run.stderr is not None
        assert long_run.stderr.readline().startswith("running on the Dask scheduler")
        time.sleep(1.0)  # blocks are running
        os.killpg(scheduler.pid, signal.SIGKILL)
        _, err = long_run.communicate(timeout=60)
        assert long_run.returncode == 2
        assert err.splitlines() == [
            f"error: --scheduler {address}: lost the Dask scheduler; nothing was written"]
        assert not out.exists()
        assert [p.name for p in tmp_path.iterdir()] == ["scheduler.json"]
    finally:
        for proc in (worker, scheduler):
            if proc is not None and proc.poll() is None:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=30)

