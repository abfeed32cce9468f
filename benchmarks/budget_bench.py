"""The simulation's memory budget (``saylau simulate --memory``), measured: for models of more and
more precincts under one budget, the extra peak resident memory of the whole simulation, each in
a fresh process against a baseline process (as :mod:`benchmarks.memory_bench` measures).

Promised (engine/simulation/budget.py): the chunks drawn at once and the workers drawing them are
sized so that together they hold at most the budget, whatever the precincts; a model whose one
block of 64 runs does not fit is refused in one line before anything is drawn.

``python -m benchmarks.budget_bench [--budget MIB] [--precincts N ...]``
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence

from benchmarks.timing import Figures, child_process

__all__ = ["bench_budget", "main", "render"]

BUDGET_MIB = 256
PRECINCTS = (2_000, 8_000, 16_000, 32_000, 1_000_000)
RUNS = 512
JOBS = 2

_PROBE = r"""
import json, re, sys
def peak_kib():
    with open("/proc/self/status") as f:
        return int(re.search(r"VmHWM:\s+(\d+)", f.read()).group(1))
a = json.loads(sys.argv[1])
from benchmarks.simulate_bench import RULES, SEED, make_model
from engine.errors import ScenarioError
from engine.law.rules import preset
from engine.simulation import budget
from engine.simulation.runner import run
model = make_model(n_precincts=a["precincts"], n_races=min(100, a["precincts"]))
rules = preset(RULES)
out = {"run_bytes": budget.run_bytes(model), "options": model.k + 1}
with open("/proc/self/clear_refs", "w") as f:
    f.write("5")  # the peak is now what the process holds
if a["op"] == "run":
    try:
        budget.fits(model, a["memory"])
    except ScenarioError as err:
        out["refused"] = str(err)
    else:
        out["chunk_runs"], out["jobs"] = budget.plan(model, a["runs"], a["jobs"], a["memory"])
        run(model, rules, a["runs"], SEED, jobs=a["jobs"], memory=a["memory"])
out["peak_kib"] = peak_kib()
print(json.dumps(out))
"""


def _probe(**args: object) -> Figures:
    done = child_process([sys.executable, "-c", _PROBE, json.dumps(args)])
    if done.returncode != 0:
        msg = f"budget probe {args} failed:\n{done.stderr}"
        raise RuntimeError(msg)
    return json.loads(done.stdout.splitlines()[-1])


def bench_budget(precincts: Sequence[int] = PRECINCTS, budget_mib: int = BUDGET_MIB,
                 runs: int = RUNS, jobs: int = JOBS) -> Figures:
    """Extra peak MiB of ``runs`` simulated runs of each model under ``budget_mib``."""
    memory = budget_mib << 20
    cases = []
    for p in precincts:
        base = _probe(op="none", precincts=p)
        report = _probe(op="run", precincts=p, memory=memory, runs=runs, jobs=jobs)
        extra = (report["peak_kib"] - base["peak_kib"]) / 1024
        cases.append({"precincts": p, "options": report["options"],
                      "run_mib": report["run_bytes"] / 2**20,
                      "chunk_runs": report.get("chunk_runs"), "jobs": report.get("jobs"),
                      "refused": report.get("refused"), "extra_mib": extra,
                      "within": report.get("refused") is not None or extra <= budget_mib})
    return {"budget_mib": budget_mib, "runs": runs, "jobs": jobs, "cases": cases}


def render(results: Figures) -> str:
    """The figures as text."""
    lines = [f"simulation under --memory {results['budget_mib']} MiB ({results['runs']} runs, "
             f"--jobs {results['jobs']}): extra peak resident memory, fresh processes"]
    for c in results["cases"]:
        head = f"  {c['precincts']:>9,} precincts x {c['options']} options"
        if c["refused"]:
            lines.append(f"{head}: refused before drawing ({c['run_mib'] * 64:,.0f} MiB a "
                         f"block); {max(c['extra_mib'], 0.0):.0f} MiB extra")
            continue
        lines.append(f"{head}: chunk {c['chunk_runs']} runs x {c['jobs']} worker(s), "
                     f"{c['extra_mib']:6.1f} MiB extra, {'within' if c['within'] else 'OVER'}"
                     " the budget")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> None:
    """Measure and print."""
    ap = argparse.ArgumentParser(prog="python -m benchmarks.budget_bench")
    ap.add_argument("--budget", type=int, default=BUDGET_MIB, help="MiB (default 256)")
    ap.add_argument("--precincts", type=int, nargs="+", default=list(PRECINCTS))
    ap.add_argument("--runs", type=int, default=RUNS)
    args = ap.parse_args(argv)
    print(render(bench_budget(args.precincts, args.budget, args.runs)))


if __name__ == "__main__":
    main()
