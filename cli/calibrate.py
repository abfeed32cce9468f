"""`saylau calibrate`: fit a model's parameters to published counts (simulated moments)."""

from __future__ import annotations

import json
from typing import Any

import click
import numpy as np

from cli.output import UserError, emit, format_option, output_option, user_errors
from cli.sim_render import counts_lines

__all__ = ["calibrate"]


def _dict(fit: Any, ind: Any, runs: int, seed: int) -> dict[str, Any]:
    return {
        "election": ind.scenario.election.name, "scenario": ind.scenario.file,
        "rules": ind.rules.name, "runs_per_trial": runs, "seed": seed,
        "fitted": fit.point, "region_95": {k: list(v) for k, v in fit.region.items()},
        "distance": fit.distance, "critical_95": fit.critical,
        "trials": int(fit.grid.shape[0]),
        "targets": {name: {"published": value,
                           "simulated": {str(int(v)): int(c) for v, c in
                                         zip(*np.unique(fit.counts.stat(name),
                                                        return_counts=True), strict=True)}}
                    for name, value in fit.targets.items()},
    }


@click.command()
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--runs", "-n", type=click.IntRange(min=10), default=None,
              help="simulated rounds per trial  [default: the file's, else 100]")
@click.option("--seed", type=click.IntRange(min=0), default=None,
              help="the uniforms shared by every trial  [default: the file's, else 0]")
@format_option("table", "json")
@output_option
@user_errors
def calibrate(file: str, runs: int | None, seed: int | None, fmt: str,
              output: str | None) -> None:
    """Fit FILE's [calibrate] parameters so its simulated counts match the published ones."""
    from engine.formats.scenario import load
    from engine.simulation.fit import fit
    from engine.simulation.indirect_setup import indirect_setup

    scenario = load(file)
    cal = scenario.calibration
    if cal is None:
        msg = f"{scenario.file}: has no [calibrate] table (parameters, targets)"
        raise UserError(msg)
    if scenario.election.rules.kind != "indirect":
        msg = f"{scenario.file}: calibrate fits indirect (maslikhat) rounds only for now"
        raise UserError(msg)
    ind = indirect_setup(scenario)
    missing = [t for t in cal.targets if t not in ind.published]
    if missing:
        msg = (f"{scenario.file}: {cal.place}.targets: {ind.source} publishes no "
               f"{missing[0]!r}; published: {', '.join(sorted(ind.published)) or 'none'}")
        raise UserError(msg)
    runs = runs or cal.runs
    seed = cal.seed if seed is None else seed
    fixed = {"loyalty": ind.loyalty, "attendance": ind.attendance}
    result = fit(ind.round, ind.rules, {t: ind.published[t] for t in cal.targets},
                 parameters=cal.parameters,
                 fixed={k: v for k, v in fixed.items() if k not in cal.parameters},
                 runs=runs, seed=seed)
    if fmt == "json":
        emit(json.dumps(_dict(result, ind, runs, seed), ensure_ascii=False, indent=2) + "\n",
             output)
        return
    r = ind.round
    lines = [ind.scenario.election.name,
             f"method of simulated moments · rules {ind.rules.name}",
             f"{r.n_races:,} races in {r.seats.shape[0]:,} maslikhats of "
             f"{int(r.seats.sum()):,} deputies",
             f"{result.grid.shape[0]} trials of {runs} simulated rounds each, all on the same "
             f"uniforms (seed {seed})", "",
             f"  {'parameter':<14}{'fitted':>8}   95% region (trials not rejected)"]
    for p in result.parameters:
        lo, hi = result.region[p]
        region = "none on the grid" if np.isnan(lo) else f"{lo:.3f} - {hi:.3f}"
        lines.append(f"  {p:<14}{result.point[p]:>8.3f}   {region}")
    lines += ["", f"At the fit ({runs} rounds):",
              *counts_lines(result.counts, ind.published, tuple(result.targets)), "",
              f"distance {result.distance:.2f} (chi-square, {len(result.targets)} targets); "
              f"95% critical value {result.critical:.2f}"
              + ("" if result.distance <= result.critical else ": the model does not fit"), ""]
    narrow = [p for p in result.parameters if result.region[p][0] == result.region[p][1]]
    if narrow:
        lines += ["The region is no wider than one trial: the model only just reproduces the",
                  "published counts (or does not), so read the fitted values as the model's",
                  "best compromise, not as estimates with a margin.", ""]
    emit("\n".join(lines), output)
