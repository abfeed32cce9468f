"""The simulation on Dask, measured (issue 19): threads, LocalCluster(1), LocalCluster(2).

The shipped 2021 re-run (scenarios/simulations/kz-2021-rerun.toml: 730 races, 1,847 precincts)
is simulated ``runs`` times on this machine's threads, then on a LocalCluster of one and of two
worker processes (one thread each), started as ``saylau simulate --scheduler local:N`` starts
them; the three Summaries must be identical, array by array. A first run of 64 runs on each
cluster (the workers' imports, the model shipped) is not timed: its start-up is given apart.

Communication: every byte written to a TCP socket by this process (the client and, in a
LocalCluster, the scheduler) and by the workers, heartbeats included, during a run, over the
run's blocks of 64 runs; measured at ``runs / 10`` and ``runs`` on LocalCluster(2): the bytes
per block must not grow with the runs.

For the plan of a larger cluster: the cost of one block on one worker thread (LocalCluster(1)'s
seconds over its blocks), the tasks per second the whole pipeline sustains (client, scheduler
and workers, on 2,000 chunks of a one-precinct model), and a worker's peak memory (VmHWM after
``/proc/self/clear_refs``, on a new worker each time) against the README's formula.

Target (issue 19): LocalCluster(2) >= 0.8x the throughput of the threads.
"""

from __future__ import annotations

import argparse
import pickle
import re
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks.timing import Figures, Target, environment, render_environment, write_json

__all__ = ["SKIPPED", "TARGET_RATIO", "available", "bench_cluster", "main", "plan_64", "render",
           "targets", "worker_mib"]

TARGET_RATIO = 0.8  # issue 19: LocalCluster(2) at >= 0.8x the threads' runs per second
SEED = 20210725
RUNS_FULL, RUNS_QUICK = 10_000, 1_000
PIPELINE_TASKS = 2_000
_SENT = [0]  # bytes this process has written to TCP sockets since the counter was installed


def find_simulation(name: str = "kz-2021-rerun") -> Path | None:
    """The shipped simulation scenario ``name`` beside this checkout or under the working
    folder."""
    for root in (Path(__file__).resolve().parents[1], Path.cwd()):
        path = root / "scenarios" / "simulations" / f"{name}.toml"
        if path.is_file():
            return path
    return None


def count_tcp_writes() -> int:
    """Count the bytes every ``distributed`` TCP comm of this process writes (once per
    process); returns the count so far."""
    from distributed.comm import tcp

    if not getattr(tcp.TCP.write, "_saylau_counted", False):
        original = tcp.TCP.write

        async def write(self: Any, msg: Any, serializers: Any = None,
                        on_error: str = "message") -> int:
            n: int = await original(self, msg, serializers=serializers, on_error=on_error)
            _SENT[0] += n
            return n

        write._saylau_counted = True  # type: ignore[attr-defined]
        tcp.TCP.write = write  # type: ignore[method-assign]
    return _SENT[0]


def reset_peak() -> bool:
    """Make this process's peak resident memory (VmHWM) what it holds now (Linux)."""
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
    except OSError:
        return False
    return True


def peak_mib() -> float:
    """This process's peak resident memory, MiB (VmHWM; nan where /proc is absent)."""
    try:
        with open("/proc/self/status") as f:
            found = re.search(r"VmHWM:\s+(\d+)", f.read())
    except OSError:
        return float("nan")
    return int(found.group(1)) / 1024 if found else float("nan")


def cpu_seconds() -> float:
    """User and system CPU seconds of this process, all its threads."""
    import resource

    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def _cpu_everywhere(client: Any) -> float:
    return cpu_seconds() + sum(client.run(cpu_seconds).values())


def _sent_everywhere(client: Any) -> int:
    return count_tcp_writes() + sum(client.run(count_tcp_writes).values())


def _same(a: dict[str, np.ndarray], b: dict[str, np.ndarray]) -> list[str]:
    return [k for k in a if k not in b or a[k].tobytes() != b[k].tobytes()]


def bench_cluster(runs: int, sizes: Sequence[int] = (1, 2), memory: bool = True,
                  pipeline_tasks: int = PIPELINE_TASKS) -> Figures:
    """Threads and LocalCluster(n) for n in ``sizes``: seconds, start-up, identical Summaries,
    bytes per block (on the largest cluster), per-block cost, pipeline tasks per second, and a
    worker's memory. See the module docstring."""
    from benchmarks.simulate_bench import summary_arrays
    from engine.formats.scenario import load
    from engine.simulation.cluster import connect
    from engine.simulation.runner import default_chunk_runs, run
    from engine.simulation.seeds import BLOCK_RUNS
    from engine.simulation.setup import setup
    from engine.tally.threads import cores

    path = find_simulation()
    if path is None:
        msg = "scenarios/simulations/kz-2021-rerun.toml not found beside the benchmarks"
        raise FileNotFoundError(msg)
    st = setup(load(str(path)), None)
    model, rules, grouping = st.model, st.rules, st.grouping
    blocks = -(-runs // BLOCK_RUNS)
    out: Figures = {"runs": runs, "blocks": blocks, "races": model.n_races,
                    "precincts": model.n_precincts, "options": model.k + 1,
                    "threads": cores(), "clusters": {}}
    t0, c0 = time.perf_counter(), cpu_seconds()
    ref = summary_arrays(run(model, rules, runs, SEED, grouping=grouping))
    out["threads_s"] = time.perf_counter() - t0
    out["threads_cpu_s"] = cpu_seconds() - c0
    for n in sizes:
        t0 = time.perf_counter()
        with connect(f"local:{n}") as dask:
            row: Figures = {"start_s": time.perf_counter() - t0}
            run(model, rules, BLOCK_RUNS, SEED, grouping=grouping, backend=dask)  # warm-up
            row["warm_up_s"] = time.perf_counter() - t0 - row["start_s"]
            row["chunk_runs"] = default_chunk_runs(model, runs, dask.slots)
            sent, c0 = _sent_everywhere(dask.client), _cpu_everywhere(dask.client)
            t0 = time.perf_counter()
            summary = run(model, rules, runs, SEED, grouping=grouping, backend=dask)
            row["seconds"] = time.perf_counter() - t0
            row["cpu_s"] = _cpu_everywhere(dask.client) - c0
            got = summary_arrays(summary)
            row["bytes_per_block"] = (_sent_everywhere(dask.client) - sent) / blocks
            row["result_bytes"] = len(pickle.dumps(summary))
            if differ := _same(ref, got):
                msg = f"LocalCluster({n}) differs from the threads in {differ}"
                raise AssertionError(msg)
            if n == max(sizes):
                row["bytes_small"] = _bytes_per_block(dask, st, max(runs // 10, BLOCK_RUNS))
                row["pipeline"] = _pipeline(dask, pipeline_tasks)
        out["clusters"][str(n)] = row
    if memory:
        out["memory"] = _memory(model, rules)
    out["compared"] = sorted(ref)
    return out


def _bytes_per_block(dask: Any, st: Any, runs: int) -> Figures:
    from engine.simulation.runner import run
    from engine.simulation.seeds import BLOCK_RUNS

    sent = _sent_everywhere(dask.client)
    summary = run(st.model, st.rules, runs, SEED, grouping=st.grouping, backend=dask)
    return {"runs": runs,
            "bytes_per_block": (_sent_everywhere(dask.client) - sent) / -(-runs // BLOCK_RUNS),
            "result_bytes": len(pickle.dumps(summary))}


def _pipeline(dask: Any, tasks: int = PIPELINE_TASKS) -> Figures:
    """Chunks of one block of a one-precinct model: what the client, scheduler and workers
    sustain per second when the draws cost nothing."""
    from engine.law.rules import preset
    from engine.simulation.model import Model
    from engine.simulation.runner import run
    from engine.simulation.seeds import BLOCK_RUNS

    tiny = Model.build(race=[0], registered=[100], n_candidates=[2])
    rules = preset("kz-2021-rural")
    run(tiny, rules, BLOCK_RUNS * 8, SEED, chunk_runs=BLOCK_RUNS, backend=dask)
    sent = _sent_everywhere(dask.client)
    t0, here = time.perf_counter(), cpu_seconds()
    run(tiny, rules, BLOCK_RUNS * tasks, SEED, chunk_runs=BLOCK_RUNS, backend=dask)
    seconds = time.perf_counter() - t0
    # this process is the client and (in a LocalCluster) the scheduler: its CPU per task is
    # what a scheduler's machine and the client spend, whatever the draws cost
    return {"tasks": tasks, "seconds": seconds, "tasks_per_s": tasks / seconds,
            "bytes_per_task": (_sent_everywhere(dask.client) - sent) / tasks,
            "client_scheduler_cpu_per_task": (cpu_seconds() - here) / tasks}


# A worker's peak resident memory, one thread, against the chunk it draws (README, "Simulating
# on a cluster"): fitted on fresh LocalCluster(1) workers, 1,847 to 50,000 precincts, 200 to
# 2,000 races, 1 to 4 blocks a chunk; T = runs x precincts x (options + 1) x 8 bytes.
MEMORY_IDLE_MIB = 80  # the worker with saylau, numpy, scipy and distributed imported
MEMORY_PER_CHUNK_T = 2.5  # the chunk's draws, kept until its precinct table is summed
MEMORY_PER_BLOCK_T = 1.3  # one block's temporaries while it is drawn (gammas, shares)
MEMORY_PER_RACE_RUN = 200  # bytes: the decisions and histograms of every race of every run


def worker_mib(precincts: int, options: int, races: int, chunk_runs: int) -> float:
    """The formula: a one-thread worker's peak, MiB, drawing chunks of ``chunk_runs`` runs."""
    t_chunk = chunk_runs * precincts * (options + 1) * 8 / 2**20
    t_block = min(chunk_runs, 64) / chunk_runs * t_chunk
    return (MEMORY_IDLE_MIB + MEMORY_PER_CHUNK_T * t_chunk + MEMORY_PER_BLOCK_T * t_block
            + MEMORY_PER_RACE_RUN * races * chunk_runs / 2**20)


def _memory(model: Any, rules: Any) -> Figures:
    """A fresh worker's peak (one thread, a new LocalCluster(1) each: memory a process freed
    stays in its heap and would hide a later peak) against :func:`worker_mib`, for the re-run
    and a 20,000-precinct, 2,000-race model at chunks of 1 and 4 blocks."""
    from benchmarks.simulate_bench import make_model
    from engine.law.rules import preset
    from engine.simulation.cluster import connect
    from engine.simulation.model import Model
    from engine.simulation.runner import run
    from engine.simulation.seeds import BLOCK_RUNS

    tiny = Model.build(race=[0], registered=[100], n_candidates=[2])
    points = []
    for m in (model, make_model(20_000, 2_000, 13_100_000)):
        for blocks in (1, 4):
            with connect("local:1") as dask:
                run(tiny, preset("kz-2021-rural"), BLOCK_RUNS, SEED, backend=dask)  # imports
                idle = max(dask.client.run(peak_mib).values())
                dask.client.run(reset_peak)
                chunk = blocks * BLOCK_RUNS
                run(m, rules, chunk, SEED, chunk_runs=chunk, backend=dask)
                measured = max(dask.client.run(peak_mib).values())
            points.append({"precincts": m.n_precincts, "races": m.n_races, "options": m.k + 1,
                           "chunk_runs": chunk, "idle_mib": idle, "measured_mib": measured,
                           "formula_mib": worker_mib(m.n_precincts, m.k + 1, m.n_races, chunk)})
    return {"points": points}


def render(r: Figures) -> str:
    """The figures as text, with the plan for 64 workers."""
    thr = r["runs"] / r["threads_s"]
    lines = [f"simulation on Dask: {r['runs']:,} runs ({r['blocks']:,} blocks of 64) of the 2021"
             f" re-run, {r['races']} races, {r['precincts']:,} precincts, {r['options']} options",
             f"  target: LocalCluster(2) >= {TARGET_RATIO:g}x the threads' runs per second",
             f"  {'':22} {'start-up s':>10} {'run s':>8} {'runs/s':>8} {'x threads':>10}",
             f"  {'threads (' + str(r['threads']) + ')':<22} {'':>10} {r['threads_s']:8.2f}"
             f" {thr:8.0f} {1:9.2f}x"]
    for n, c in r["clusters"].items():
        rate = r["runs"] / c["seconds"]
        lines.append(f"  {'LocalCluster(' + n + ')':<22} {c['start_s'] + c['warm_up_s']:10.2f}"
                     f" {c['seconds']:8.2f} {rate:8.0f} {rate / thr:9.2f}x")
    cpu = ", ".join([f"threads {r['threads_cpu_s'] / r['blocks']:.3f}"]
                    + [f"LocalCluster({n}) {c['cpu_s'] / r['blocks']:.3f}"
                       for n, c in r["clusters"].items()])
    lines.append(f"  CPU seconds per block (every process; a shared machine's load moves the"
                 f" wall clock, not these): {cpu}")
    lines.append(f"  identical Summaries on threads and every cluster: yes ({len(r['compared'])}"
                 " arrays compared)")
    big = r["clusters"][max(r["clusters"], key=int)]
    small = big["bytes_small"]
    pipe = big["pipeline"]
    lines.append(f"  bytes sent (every process, heartbeats included) per block:"
                 f" {small['bytes_per_block'] / 1e3:,.1f} kB at {small['runs']:,} runs,"
                 f" {big['bytes_per_block'] / 1e3:,.1f} kB at {r['runs']:,}; mostly the end's"
                 f" sums across workers and the result ({big['result_bytes'] / 1e6:,.1f} MB"
                 f" pickled at {r['runs']:,} runs, {small['result_bytes'] / 1e6:,.1f} MB at"
                 f" {small['runs']:,})")
    ms = 1e3 * pipe["client_scheduler_cpu_per_task"]
    lines.append(f"  pipeline: {pipe['tasks']:,} one-block tasks of a one-precinct model in"
                 f" {pipe['seconds']:.2f} s, {pipe['tasks_per_s']:,.0f} tasks/s here (client,"
                 f" scheduler and workers on the same cores); client and scheduler {ms:.2f} CPU"
                 f" ms a task (one core of their own: {1e3 / ms:,.0f} tasks/s);"
                 f" {pipe['bytes_per_task'] / 1e3:,.1f} kB sent a task")
    one = r["clusters"].get("1")
    if one is not None:
        # CPU, not wall: on a dedicated core the two agree, on a shared machine only CPU holds
        block_s = one["cpu_s"] / r["blocks"]
        lines.append(f"  one block on one worker thread: {block_s:.3f} CPU s (wall"
                     f" {one['seconds'] / r['blocks']:.3f} s here), {64 / block_s:,.0f} runs/s per"
                     " dedicated thread")
        limit = 1 / pipe["client_scheduler_cpu_per_task"]
        plan = plan_64(block_s, pipe["bytes_per_task"], limit, one["chunk_runs"] // 64,
                       big["result_bytes"])
        lines.append(f"  64 workers: ~{plan['runs_per_s']:,.0f} runs/s; {plan['tasks_per_s']:,.0f}"
                     f" tasks/s at {plan['blocks_per_task']} blocks a task (the client and"
                     f" scheduler's {limit:,.0f} tasks/s reached at"
                     f" ~{plan['workers_at_limit']:,.0f} workers); {plan['mb_per_s']:,.2f} MB/s on"
                     f" the network while drawing, {plan['end_mb']:,.0f} MB at the end (each"
                     " worker's sum once, the result twice)")
    mem = r.get("memory")
    if mem:
        lines.append(f"  worker memory, one thread (formula: {MEMORY_IDLE_MIB} MiB +"
                     f" {MEMORY_PER_CHUNK_T:g} T_chunk + {MEMORY_PER_BLOCK_T:g} T_block +"
                     f" {MEMORY_PER_RACE_RUN} B x races x chunk runs; T = runs x precincts x"
                     " (options + 1) x 8 B):")
        for pt in mem["points"]:
            lines.append(f"    {pt['precincts']:>7,} precincts, {pt['races']:>5,} races,"
                         f" {pt['chunk_runs']:>4} runs a chunk: measured"
                         f" {pt['measured_mib']:6.0f} MiB (idle {pt['idle_mib']:.0f}), formula"
                         f" {pt['formula_mib']:6.0f}")
    return "\n".join(lines)


def plan_64(block_s: float, bytes_per_task: float, pipeline_tasks_per_s: float,
            blocks_per_task: int, result_bytes: float, workers: int = 64) -> Figures:
    """What ``workers`` one-thread workers would do at the measured per-block cost: runs and
    tasks per second, the workers at which the pipeline's measured tasks per second is
    reached, the network while drawing (task messages) and at the end (the sums)."""
    blocks_per_task = max(1, blocks_per_task)
    tasks_per_s = workers / (blocks_per_task * block_s)
    return {"runs_per_s": workers * 64 / block_s, "tasks_per_s": tasks_per_s,
            "blocks_per_task": blocks_per_task,
            "workers_at_limit": pipeline_tasks_per_s * blocks_per_task * block_s,
            "mb_per_s": tasks_per_s * bytes_per_task / 1e6,
            "end_mb": (workers + 2) * result_bytes / 1e6}


def available() -> bool:
    """dask.distributed is installed."""
    import importlib.util

    return importlib.util.find_spec("distributed") is not None


SKIPPED = ("dask.distributed: not installed, the simulation on Dask skipped (pip install "
           "'saylau[dask]')")


def targets(r: Figures | None) -> list[Target]:
    """Issue 19's target against the figures."""
    if not r or "2" not in r["clusters"]:
        why = "dask.distributed not installed" if not r else "no LocalCluster(2) in this run"
        return [{"target": f"LocalCluster(2) >= {TARGET_RATIO:g}x the threads at {RUNS_FULL:,}"
                           " runs (issue 19)", "met": None, "detail": f"not measured ({why})"}]
    ratio = r["threads_s"] / r["clusters"]["2"]["seconds"]
    big = r["clusters"]["2"]
    small = big["bytes_small"]
    grew = big["bytes_per_block"] > small["bytes_per_block"]
    at = r["runs"] == RUNS_FULL  # the figure: shorter runs weigh the end's sums more
    return [{"target": f"LocalCluster(2) >= {TARGET_RATIO:g}x the threads at {RUNS_FULL:,} runs"
                       " (issue 19)",
             "met": ratio >= TARGET_RATIO if at else None,
             "detail": f"{ratio:.2f}x at {r['runs']:,} runs"},
            {"target": "bytes per block do not grow with the runs (issue 19)", "met": not grew,
             "detail": f"{small['bytes_per_block'] / 1e3:.1f} kB at "
                       f"{small['runs']:,} runs, "
                       f"{big['bytes_per_block'] / 1e3:.1f} kB at {r['runs']:,}"}]


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m benchmarks cluster [--quick] [--runs N] [--json PATH]``."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks cluster",
                                     description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--quick", action="store_true", help=f"{RUNS_QUICK:,} runs")
    parser.add_argument("--runs", type=lambda s: int(float(s)), default=None, metavar="N")
    parser.add_argument("--json", type=Path, metavar="PATH", help="also write the figures here")
    args = parser.parse_args(argv)
    runs = args.runs or (RUNS_QUICK if args.quick else RUNS_FULL)
    print(render_environment(environment()))
    if not available():
        print(SKIPPED)
        return 0
    results = bench_cluster(runs)
    print(render(results))
    for t in targets(results):
        state = {True: "met", False: "NOT met", None: "not measured"}[t["met"]]
        print(f"  {t['target']}: {state} ({t['detail']})")
    if args.json is not None:
        write_json(results, args.json)
    sys.stdout.flush()
    return 0
