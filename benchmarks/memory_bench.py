"""Peak resident memory, each measurement in a fresh process against a baseline process.

A probe process imports what the measured call needs and sets up its input, resets its peak
to what it holds now, then makes the call (or, for the baseline, does not) and reports its
peak resident set. The call's extra memory is its peak less the baseline's: the interpreter,
the imports and the input cancel out. On Linux the peak is ``VmHWM`` of /proc/self/status,
reset by writing 5 to /proc/self/clear_refs: ``ru_maxrss`` would do elsewhere, but it keeps
the peak of the process that started the probe (a child started by vfork and exec inherits
it), and the transient peak of the imports would hide a smaller call.

- the streamed tally of a ballot file (``engine.tally.ballots.count_codes_stream`` over one reused
  4 MiB buffer, benchmarks/streams.py); promised: memory bounded by the largest chunk. Beside
  it, for contrast: the same over ``np.memmap`` slices (the mapped file pages count as resident
  while mapped), ``np.bincount`` on the same chunks, and the whole file read into memory;
- the whole simulation (``engine.simulation.runner.run``); promised: memory grows with the runs
  drawn at once (``chunk_runs``) and the jobs drawing them, never with the runs. Each job holds one
  chunk at a time, so the peak is at most the jobs times one chunk's working set (measured
  with one job); the chunk is sized from the memory budget (engine/simulation/budget.py, the
  default a quarter of the machine's; ``benchmarks/budget_bench.py`` measures it), and its
  precinct table is quoted beside it.
"""

from __future__ import annotations

import json
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

from benchmarks.streams import CHUNK_BYTES, write_ballots
from benchmarks.timing import Figures, Target, child_process

__all__ = ["TARGET_STREAM_MIB", "bench_memory", "probe", "render", "targets"]

TARGET_STREAM_MIB = 64.0  # issue 7: the streamed 10^8-ballot tally with < 64 MiB extra

_PROBE = r"""
import json, re, resource, sys
def peak_kib():
    try:
        with open("/proc/self/status") as f:
            return int(re.search(r"VmHWM:\s+(\d+)", f.read()).group(1))
    except (OSError, AttributeError):
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
a = json.loads(sys.argv[1])
import numpy as np
import engine.tally.ballots
from benchmarks.streams import read_chunks
if a["kind"] == "simulation":
    from benchmarks.simulate_bench import RULES, SEED, make_model
    from engine.law.rules import preset
    from engine.simulation.budget import plan
    from engine.simulation.runner import run
    model = make_model()
    rules = preset(RULES)
out = {"reset": True}
try:
    with open("/proc/self/clear_refs", "w") as f:
        f.write("5")  # the peak is now what the process holds
except OSError:
    out["reset"] = False
op, k, path, chunk = a["op"], a.get("k"), a.get("path"), a.get("chunk")
if op == "saylau":
    out["counts"] = engine.tally.ballots.count_codes_stream(read_chunks(path, chunk), k).tolist()
elif op == "saylau_memmap":
    mm = np.memmap(path, dtype=np.uint8, mode="r")
    parts = (mm[i : i + chunk] for i in range(0, mm.size, chunk))
    out["counts"] = engine.tally.ballots.count_codes_stream(parts, k).tolist()
elif op == "bincount":
    total = np.zeros(k, dtype=np.int64)
    for c in read_chunks(path, chunk):
        total += np.bincount(c, minlength=k)
    out["counts"] = total.tolist()
elif op == "whole":
    codes = np.fromfile(path, dtype=np.uint8)
    out["counts"] = engine.tally.ballots.count_codes(codes, [0, codes.size], k)[0].tolist()
elif op == "run":
    s = run(model, rules, a["runs"], SEED, jobs=a["jobs"])
    out["runs"] = int(s.runs)
    out["chunk_runs"] = plan(model, a["runs"], a["jobs"], None)[0]
    out["table_cells"] = int(model.n_precincts * (model.k + 2))
out["peak_kib"] = peak_kib()
print(json.dumps(out))
"""


def probe(**args: object) -> Figures:
    """Run one probe process (see the module docstring); its report."""
    done = child_process([sys.executable, "-c", _PROBE, json.dumps(args)])
    if done.returncode != 0:
        msg = f"memory probe {args} failed:\n{done.stderr}"
        raise RuntimeError(msg)
    return json.loads(done.stdout.splitlines()[-1])


def _extra(report: Figures, base: Figures) -> float:
    return (report["peak_kib"] - base["peak_kib"]) / 1024


def bench_stream_memory(n: int, k: int, contrasts: bool = True,
                        chunk_bytes: int = CHUNK_BYTES) -> Figures:
    """Extra peak memory (MiB) of tallying a file of ``n`` ballots: saylau and the contrasts."""
    with tempfile.TemporaryDirectory(prefix="saylau-mem-") as tmp:
        path = str(Path(tmp) / "ballots.u8")
        expected = write_ballots(Path(path), n, k).tolist()
        base = probe(kind="stream", op="none")
        ops = ["saylau", *(("saylau_memmap", "bincount", "whole") if contrasts else ())]
        extra = {}
        for op in ops:
            report = probe(kind="stream", op=op, k=k, path=path, chunk=chunk_bytes)
            if report["counts"] != expected:
                msg = f"memory probe {op}: the counts are wrong"
                raise AssertionError(msg)
            extra[op] = _extra(report, base)
    return {"n_ballots": n, "n_options": k, "chunk_bytes": chunk_bytes,
            "file_mib": n / 2**20, "baseline_mib": base["peak_kib"] / 1024,
            "extra_mib": extra}


def bench_simulation_memory(cases: Sequence[tuple[int, int]]) -> Figures:
    """Extra peak memory (MiB) of the whole simulation for each (runs, jobs) (none: {})."""
    if not cases:
        return {}
    base = probe(kind="simulation", op="none")
    out = []
    for runs, jobs in cases:
        report = probe(kind="simulation", op="run", runs=runs, jobs=jobs)
        table_mib = report["chunk_runs"] * report["table_cells"] * 8 / 2**20
        out.append({"runs": runs, "jobs": jobs, "chunk_runs": report["chunk_runs"],
                    "table_mib_per_chunk": table_mib, "extra_mib": _extra(report, base)})
    return {"baseline_mib": base["peak_kib"] / 1024, "cases": out}


def bench_memory(n_ballots: int, k: int, sim_cases: Sequence[tuple[int, int]],
                 contrasts: bool = True) -> Figures:
    """Both measurements; ``sim_cases``: (runs, jobs) of each simulation measured."""
    return {"stream": bench_stream_memory(n_ballots, k, contrasts),
            "simulation": bench_simulation_memory(sim_cases)}


_LABELS = {"saylau": "saylau, count_codes_stream over one reused buffer",
           "saylau_memmap": "saylau over np.memmap slices (file pages resident while mapped)",
           "bincount": "np.bincount on the same chunks",
           "whole": "the whole file in memory, count_codes"}


def render(results: Figures) -> str:
    """The memory figures as text."""
    s = results["stream"]
    bound = s["chunk_bytes"] / 2**20
    lines = [f"peak memory, fresh processes against a baseline process (baseline"
             f" {s['baseline_mib']:.0f} MiB)",
             f"  streamed tally of {s['n_ballots']:.0e} ballots ({s['file_mib']:.0f} MiB file),"
             f" {s['n_options']} options, chunks of {bound:.0f} MiB; promised: one chunk;"
             f" target < {TARGET_STREAM_MIB:g} MiB extra"]
    for op, mib in s["extra_mib"].items():
        met = f"  {'met' if mib < TARGET_STREAM_MIB else 'NOT met'}" if op == "saylau" else ""
        lines.append(f"    {_LABELS[op]:<66} {mib:>7.1f} MiB extra{met}")
    sim = results["simulation"]
    if not sim:
        return "\n".join(lines)
    lines.append(f"  whole simulation (2021-shaped model; baseline {sim['baseline_mib']:.0f} MiB):"
                 " promised: grows with chunk_runs x jobs, not with runs")
    for c in sim["cases"]:
        lines.append(f"    {c['runs']:>6,} runs, jobs={c['jobs']}, chunk_runs {c['chunk_runs']}:"
                     f" {c['extra_mib']:7.1f} MiB extra; the chunk's precinct table"
                     f" {c['table_mib_per_chunk']:.1f} MiB")
    one = {c["chunk_runs"]: c["extra_mib"] for c in sim["cases"] if c["jobs"] == 1}
    for c in sim["cases"]:
        if c["jobs"] > 1 and c["chunk_runs"] in one:
            bound = c["jobs"] * one[c["chunk_runs"]]
            lines.append(f"    bound at {c['runs']:,} runs: {c['jobs']} jobs x one job's"
                         f" {one[c['chunk_runs']]:.1f} MiB = {bound:.1f} MiB;"
                         f" measured {c['extra_mib']:.1f} MiB")
    return "\n".join(lines)


def targets(results: Figures) -> list[Target]:
    """The issue's memory target against the figure."""
    s = results["stream"]
    mib = s["extra_mib"]["saylau"]
    return [{"target": f"streamed {s['n_ballots']:.0e}-ballot tally < {TARGET_STREAM_MIB:g} MiB"
                       " extra memory",
             "met": mib < TARGET_STREAM_MIB, "detail": f"{mib:.1f} MiB extra"}]
