"""The calibration of the 2013 indirect round, measured (issue 18).

``saylau calibrate scenarios/simulations/kz-2013-maslikhat.toml`` end to end in a fresh process
(the fit of loyalty, attendance and persistence by simulated moments, the nested fit with
persistence held at 0, and the model check of 1,000 rounds), and, in process, one trial of the
fit: 100 simulated rounds of the 2,457 races, on uniforms drawn once and kept (as the fit does)
against the same trial drawing its uniforms afresh (as every trial did before). The two trials'
counts are checked equal first.

Target (issue 18): the calibration in under 60 s on this machine.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from benchmarks.timing import (
    Figures,
    Target,
    child_process,
    environment,
    median_seconds,
    write_json,
)
from engine.formats.scenario import load
from engine.law.rules import preset
from engine.simulation.fit import fit
from engine.simulation.indirect import (
    Deputies,
    Kernels,
    Round,
    block_deck,
    counts_on,
    join_decks,
    n_blocks,
    simulate_round,
)
from engine.simulation.indirect_setup import indirect_setup

__all__ = ["TARGET_SECONDS", "bench_calibration", "main", "render", "targets"]

TARGET_SECONDS = 60.0
SCENARIO = "kz-2013-maslikhat"
_SAYLAU = [sys.executable, "-c", "from cli.main import main; main()"]
# a point inside the 2013 fit's region: the trial timed
AT = Deputies(loyalty=0.76, attendance=0.95, persistence=0.8)


def find_scenario() -> Path | None:
    """The shipped simulation scenario beside this checkout or under the working folder."""
    for root in (Path(__file__).resolve().parents[1], Path.cwd()):
        path = root / "scenarios" / "simulations" / f"{SCENARIO}.toml"
        if path.is_file():
            return path
    return None


def _trials(rnd: Round, rules, runs: int, seed: int, repeat: int) -> dict[str, float]:
    """Seconds of one trial on kept uniforms and on uniforms drawn afresh, counts checked."""
    decks = join_decks([block_deck(rnd, seed, b, runs) for b in range(n_blocks(runs))])
    kernels = Kernels.of(rnd, rules)
    kept = counts_on(rules, AT, decks, kernels)
    fresh = simulate_round(rnd, rules, loyalty=AT.loyalty, attendance=AT.attendance,
                           persistence=AT.persistence, runs=runs, seed=seed)
    for name in ("elected", "ties", "one_vote_margins", "first_round_ties"):
        if not np.array_equal(kept.stat(name), fresh.stat(name)):
            msg = f"a trial on kept uniforms counts {name} otherwise than one drawn afresh"
            raise AssertionError(msg)
    return {"kept_s": median_seconds(lambda: counts_on(rules, AT, decks, kernels), repeat),
            "fresh_s": median_seconds(lambda: simulate_round(
                rnd, rules, loyalty=AT.loyalty, attendance=AT.attendance,
                persistence=AT.persistence, runs=runs, seed=seed), repeat),
            "deck_mib": sum(d.nbytes for d in decks) / 2**20}


def bench_calibration(repeat: int = 3, *, smoke: bool = False) -> Figures | None:
    """The command's seconds (each run, and their median) and one trial's, in and out of the
    kept uniforms; a tiny synthetic round in process only when ``smoke``; None without the
    shipped scenario."""
    if smoke:
        rules = preset("kz-2013-indirect")
        rnd = Round.even(20, 120, 60, 180)
        f = fit(rnd, rules, {"ties": 2, "one_vote_margins": 10, "elected": 55}, runs=10,
                seed=1)
        return {"scenario": "synthetic", "runs": 10, "trials": int(f.grid.shape[0]),
                "command_s": None, "command_runs_s": [],
                **_trials(rnd, rules, 10, 1, 1)}
    scenario = find_scenario()
    if scenario is None:
        return None
    ind = indirect_setup(load(scenario))
    cal = load(scenario).calibration
    assert cal is not None  # the shipped scenario has its [calibrate] table
    seconds: list[float] = []
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "fit.json"
        command = [*_SAYLAU, "calibrate", str(scenario), "--format", "json", "--output",
                   str(out)]

        def once() -> None:
            t = time.perf_counter()
            done = child_process(command)
            seconds.append(time.perf_counter() - t)
            if done.returncode != 0:
                msg = f"saylau calibrate: exit {done.returncode}\n{done.stderr}"
                raise RuntimeError(msg)

        median = median_seconds(once, repeat, warm_up=False)
        d = json.loads(out.read_text(encoding="utf-8"))
    return {"scenario": SCENARIO, "runs": cal.runs, "trials": d["trials"],
            "distance": d["distance"], "critical_95": d["critical_95"],
            "command_s": median, "command_runs_s": [round(s, 2) for s in seconds],
            **_trials(ind.round, ind.rules, cal.runs, cal.seed, max(repeat, 5))}


def render(result: Figures | None) -> str:
    """The calibration as text."""
    if result is None:
        return (f"calibration of {SCENARIO}: skipped, scenarios/simulations/ not found (run "
                "from a checkout of saylau)")
    lines = [f"calibration of {result['scenario']} ({result['trials']} trials of "
             f"{result['runs']} rounds; target < {TARGET_SECONDS:.0f} s)"]
    if result["command_s"] is not None:
        met = "met" if result["command_s"] < TARGET_SECONDS else "NOT met"
        runs = ", ".join(f"{s:.1f}" for s in result["command_runs_s"])
        lines.append(f"  saylau calibrate (fresh process, median of {runs} s): "
                     f"{result['command_s']:.1f} s  {met}")
    ratio = result["fresh_s"] / result["kept_s"]
    lines.append(f"  one trial: {1000 * result['kept_s']:.1f} ms on kept uniforms "
                 f"({result['deck_mib']:.0f} MiB), {1000 * result['fresh_s']:.1f} ms drawing "
                 f"them afresh ({ratio:.1f}x)")
    return "\n".join(lines)


def targets(result: Figures | None) -> list[Target]:
    """The issue's target against the figures."""
    if result is None or result["command_s"] is None:
        return []
    return [{"target": f"saylau calibrate {SCENARIO} < {TARGET_SECONDS:.0f} s (issue 18)",
             "met": result["command_s"] < TARGET_SECONDS,
             "detail": f"{result['command_s']:.1f} s (runs: "
                       + ", ".join(f"{s:.1f}" for s in result["command_runs_s"]) + ")"}]


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m benchmarks calibrate [--repeat N] [--output PATH]``."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks calibrate",
                                     description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--repeat", type=int, default=3, help="runs of the command")
    parser.add_argument("--output", "--json", "-o", type=Path, metavar="PATH",
                        help="also write the figures here as JSON")
    args = parser.parse_args(argv)
    result = bench_calibration(args.repeat)
    print(render(result))
    if args.output is not None:
        write_json({"environment": environment(), "calibration": result}, args.output)
        print(f"wrote {args.output}")
    return 0
