"""The method of simulated moments for an indirect round: deputies' loyalty and attendance fitted
to the counts a source published, and the 95% region the counts do not reject.

Every trial draws the same uniforms (common random numbers, :func:`simulate_round`), so the
simulated counts move smoothly with the parameters.
"""

from __future__ import annotations

import math
from concurrent.futures import ThreadPoolExecutor

import attrs
import numpy as np

from engine.formats.model_table import FIT_PARAMETERS
from engine.law.rules import RuleSet
from engine.simulation.indirect import (
    DEFAULT_ATTENDANCE,
    DEFAULT_LOYALTY,
    STATISTICS,
    Round,
    RoundCounts,
    simulate_round,
)
from engine.tally.threads import cores

__all__ = ["Fit", "fit"]


@attrs.frozen(eq=False)
class Fit:
    """The method of simulated moments: the parameters whose simulated counts come nearest the
    published ones, and the 95% region of parameters the published counts do not reject.

    point : {parameter: value}; distance : the fit's chi-square; region : {parameter: (low,
    high)} over the grid points not rejected; grid : (G, P) parameters tried and their chi2;
    counts : the simulated counts at the fit.
    """

    parameters: tuple[str, ...]
    point: dict[str, float]
    distance: float
    region: dict[str, tuple[float, float]]
    grid: np.ndarray
    chi2: np.ndarray
    counts: RoundCounts
    targets: dict[str, int]
    critical: float


def _distance(counts: RoundCounts, targets: dict[str, int]) -> float:
    """Sum over targets of (published - simulated mean)^2 / simulated variance: a chi-square
    with one degree per target when the published count is one draw of the model (sd floored
    at half a count, so a count that never varies is not a division by zero)."""
    total = 0.0
    for name, value in targets.items():
        x = counts.stat(name)
        sd = max(float(x.std()), 0.5)
        total += ((value - float(x.mean())) / sd) ** 2
    return total


def fit(rnd: Round, rules: RuleSet, targets: dict[str, int], *,
        parameters: tuple[str, ...] = FIT_PARAMETERS,
        fixed: dict[str, float] | None = None, runs: int = 200, seed: int = 0,
        grid_points: int = 7, bounds: dict[str, tuple[float, float]] | None = None) -> Fit:
    """Fit ``parameters`` (of loyalty, attendance) so that the simulated ``targets`` (names of
    :data:`STATISTICS`) match the published counts; the same uniforms at every trial."""
    fixed = dict(fixed or {})
    bounds = {"loyalty": (0.3, 1.0), "attendance": (0.5, 1.0)} | (bounds or {})
    unknown = [p for p in parameters if p not in FIT_PARAMETERS]
    if unknown or not parameters:
        msg = f"parameters: choose among loyalty, attendance, got {list(parameters)}"
        raise ValueError(msg)
    bad = [t for t in targets if t not in STATISTICS]
    if bad or not targets:
        msg = f"targets: choose among {', '.join(STATISTICS)}, got {sorted(targets)}"
        raise ValueError(msg)

    def counts_at(x: np.ndarray) -> RoundCounts:
        values = {"loyalty": DEFAULT_LOYALTY, "attendance": DEFAULT_ATTENDANCE} | fixed
        for name, value in zip(parameters, x, strict=True):
            lo, hi = bounds[name]
            values[name] = float(min(max(value, lo), hi))
        return simulate_round(rnd, rules, runs=runs, seed=seed, **values)

    def objective(x: np.ndarray) -> float:
        return _distance(counts_at(x), targets)

    def on_grid(axes: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
        grid = np.stack([g.ravel() for g in np.meshgrid(*axes, indexing="ij")], axis=-1)
        with ThreadPoolExecutor(cores()) as ex:  # numpy releases the GIL in the draws
            chi2 = np.array(list(ex.map(objective, grid)))
        return grid, chi2

    # a coarse grid over the bounds, the simplex from its best point, then a fine grid around
    # the fit for the region
    step = np.array([(bounds[p][1] - bounds[p][0]) / (grid_points - 1) for p in parameters])
    grid, chi2 = on_grid([np.linspace(*bounds[p], grid_points) for p in parameters])
    start = grid[int(np.argmin(chi2))]
    import scipy.optimize  # here, not at import: the CLI starts faster
    import scipy.stats

    best = scipy.optimize.minimize(
        objective, start, method="Nelder-Mead",
        options={"initial_simplex": np.vstack([start, start + np.diag(step / 2)]),
                 "xatol": 1e-3, "fatol": 1e-3, "maxiter": 60})
    x = best.x if best.fun <= chi2.min() else start
    x = np.array([min(max(v, bounds[p][0]), bounds[p][1])
                  for v, p in zip(x, parameters, strict=True)])
    fine, fine_chi2 = on_grid([np.clip(np.linspace(v - 1.5 * h, v + 1.5 * h, grid_points),
                                       *bounds[p]) for v, h, p in zip(x, step, parameters,
                                                                      strict=True)])
    grid, chi2 = np.concatenate([grid, fine]), np.concatenate([chi2, fine_chi2])
    critical = float(scipy.stats.chi2.ppf(0.95, df=len(targets)))
    inside = grid[chi2 <= critical]
    region = {p: ((float(inside[:, i].min()), float(inside[:, i].max())) if inside.size
                  else (math.nan, math.nan)) for i, p in enumerate(parameters)}
    return Fit(parameters=parameters, point=dict(zip(parameters, map(float, x), strict=True)),
               distance=float(min(best.fun, chi2.min())), region=region, grid=grid, chi2=chi2,
               counts=counts_at(x), targets=dict(targets), critical=critical)
