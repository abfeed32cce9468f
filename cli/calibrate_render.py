"""`saylau calibrate` rendered: the fitted parameters, their 95% region, and the counts at the
fit beside the published ones."""

from __future__ import annotations

import json
from typing import Any

import numpy as np

from cli.rounds_render import counts_lines

__all__ = ["to_json", "to_table"]


def to_dict(fit: Any, ind: Any, runs: int, seed: int) -> dict[str, Any]:
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


def to_json(result: Any, ind: Any, runs: int, seed: int) -> str:
    return json.dumps(to_dict(result, ind, runs, seed), ensure_ascii=False, indent=2) + "\n"


def to_table(result: Any, ind: Any, runs: int, seed: int) -> str:
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
    return "\n".join(lines)
