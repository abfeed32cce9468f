"""The method of simulated moments for an indirect round: the deputies' loyalty, attendance and
re-vote persistence fitted to the counts a source published, and the 95% region of parameters
the published counts do not reject.

Every trial reads the same uniforms (common random numbers, drawn once:
:func:`engine.simulation.indirect.block_deck`), so the simulated counts move smoothly with the
parameters. The distance of a trial is ``(x - m)' S^-1 (x - m)``: x the published counts, m the
simulated means, S the simulated covariance times ``1 + 1 / runs`` (the simulation's own noise
in m) plus (half a count)^2 on each variance, so that a count that never varies, or two that
move together (elected = races - ties when no race fails), is not a division by zero. A
trial whose distance is at most the chi-square 95% point with one degree per target is not
rejected: those trials are the region. The fit test (Hansen's J) has targets - parameters
degrees of freedom: with as many parameters as targets the fit can match them and its distance
tests nothing (the model check of :mod:`engine.simulation.model_check` is then the test).

The search: a grid over the bounds (finest along loyalty), Nelder-Mead from its two best points
side by side, each restarted once, then a grid over the box of the trials not rejected (widened
by one step of the first grid), so the region is measured where it is, not only near the fit.
Trials are evaluated through ``mapper`` (threads by default): each is a pure function of the
parameters, so a cluster's map can evaluate them as well. A nested fit (a parameter held at a
value) starts from the first grid's trials at that value, Nelder-Mead from its best one.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Sequence

import attrs
import numpy as np

from engine.formats.model_table import FIT_PARAMETERS
from engine.law.rules import RuleSet
from engine.simulation.blocks import Mapper, Threads
from engine.simulation.fit_trials import Objective, Trials, distance
from engine.simulation.indirect import STATISTICS, Deputies, Round, RoundCounts
from engine.tally.threads import cores

__all__ = ["BOUNDS", "GRID_POINTS", "Fit", "Nested", "distance", "fit"]

# Where the search looks; the data may not bound a parameter inside them (Fit.open_ends).
BOUNDS = {"loyalty": (0.3, 1.0), "attendance": (0.5, 1.0), "persistence": (0.0, 1.0)}
# Points of the first grid along each parameter: loyalty moves the counts most (one-vote wins
# change by about ten for 0.01 in 2013), so it is searched finest.
GRID_POINTS = {"loyalty": 15, "attendance": 4, "persistence": 4}


@attrs.frozen
class Nested:
    """The fit with one parameter held at a value: its best distance and point, the p-value of
    holding it (chi-square(1) of the increase over the full fit's distance), and the targets'
    simulated means at its best point."""

    parameter: str
    value: float
    distance: float
    p_value: float
    point: dict[str, float]
    means: dict[str, float]


@attrs.frozen(eq=False)
class Fit:
    """The method of simulated moments' answer.

    point : {parameter: value} fitted; distance : its distance; region : {parameter: (low,
    high)} over the trials not rejected (nan when none is); open_ends : {parameter: (low end
    at the search bound, high end at the search bound)}: the data do not bound the parameter
    on that side within ``bounds``; grid, chi2 : (G, P) every trial and its distance; counts :
    the simulated counts at the fit; critical : the region's chi-square 95% point (one degree
    per target); fit_df, fit_critical : the fit test's degrees of freedom (targets -
    parameters) and 95% point (None when 0); restricted : the nested fits asked for.
    """

    parameters: tuple[str, ...]
    point: dict[str, float]
    fixed: dict[str, float]
    distance: float
    region: dict[str, tuple[float, float]]
    open_ends: dict[str, tuple[bool, bool]]
    bounds: dict[str, tuple[float, float]]
    grid: np.ndarray
    chi2: np.ndarray
    counts: RoundCounts
    targets: dict[str, int]
    critical: float
    fit_df: int
    fit_critical: float | None
    runs: int
    seed: int
    restricted: tuple[Nested, ...] = ()

    @property
    def deputies(self) -> Deputies:
        return Deputies(**(self.fixed | self.point))

    @property
    def inside(self) -> int:
        """Trials not rejected."""
        return int((self.chi2 <= self.critical).sum())


def fit(rnd: Round, rules: RuleSet, targets: dict[str, int], *,
        parameters: tuple[str, ...] = FIT_PARAMETERS, fixed: dict[str, float] | None = None,
        runs: int = 100, seed: int = 0, grid_points: dict[str, int] | None = None,
        region_points: int = 5,
        bounds: dict[str, tuple[float, float]] | None = None,
        restrict: Sequence[tuple[str, float]] = (), jobs: int | None = None,
        mapper: Mapper | None = None) -> Fit:
    """Fit ``parameters`` (of loyalty, attendance, persistence) so that the simulated
    ``targets`` (names of :data:`STATISTICS`) match the published counts, the others held at
    ``fixed``; ``restrict`` (parameter, value) pairs also fit the model with that parameter
    held at that value (persistence 0: the re-vote drawn afresh) to say how much it adds.
    ``mapper(f, points)`` evaluates trials (default: threads)."""
    fixed = {k: v for k, v in (fixed or {}).items() if k not in parameters}
    bounds = BOUNDS | (bounds or {})
    points = GRID_POINTS | (grid_points or {})
    unknown = [p for p in parameters if p not in FIT_PARAMETERS]
    if unknown or not parameters:
        msg = f"parameters: choose among {', '.join(FIT_PARAMETERS)}, got {list(parameters)}"
        raise ValueError(msg)
    bad = [t for t in targets if t not in STATISTICS]
    if bad or not targets:
        msg = f"targets: choose among {', '.join(STATISTICS)}, got {sorted(targets)}"
        raise ValueError(msg)
    trials = Trials(rnd, rules, runs, seed, bounds)
    mapper = mapper or Threads(cores() if jobs is None else jobs).map

    def counts_at(x: np.ndarray, names: tuple[str, ...] = parameters,
                  held: dict[str, float] = fixed) -> RoundCounts:
        return trials.counts(x, names, held)

    def search(names: tuple[str, ...], held: dict[str, float],
               known: tuple[np.ndarray, np.ndarray] | None = None, starts: int = 2
               ) -> _Search:
        return _search(Objective(trials, names, held, dict(targets)), names, bounds, points,
                       mapper, starts=starts, known=known)

    import scipy.stats  # here, not at import: the CLI starts faster

    critical = float(scipy.stats.chi2.ppf(0.95, df=len(targets)))
    found = search(parameters, fixed)
    fine = _region_grid(found, parameters, bounds, region_points, critical)
    grid = np.concatenate([found.grid, fine])
    chi2 = np.concatenate([found.chi2, np.array(list(mapper(found.objective, list(fine))))])
    restricted = []
    for p, value in restrict:
        if p in parameters and len(parameters) > 1:
            at = parameters.index(p)
            # the first grid's trials at that value are the nested fit's first grid
            on = np.isclose(found.grid[:len(found.first)][:, at], value)
            known = (np.delete(found.first[on], at, axis=1), found.chi2[:len(found.first)][on])
            nested = search(parameters[:at] + parameters[at + 1:], fixed | {p: value},
                            known if on.any() else None, starts=1)
            restricted.append((p, value, nested))
            # its trials are trials of the whole model too
            grid = np.concatenate([grid, np.insert(nested.grid, at, value, axis=1)])
            chi2 = np.concatenate([chi2, nested.chi2])
    x, best = grid[int(np.argmin(chi2))], float(chi2.min())
    region, open_ends = _projection(grid, chi2 <= critical, parameters, bounds)
    tested = []
    for p, value, nested in restricted:
        rest = tuple(q for q in parameters if q != p)
        at_best = counts_at(nested.x, rest, fixed | {p: value})
        tested.append(Nested(
            parameter=p, value=value, distance=nested.best,
            p_value=float(scipy.stats.chi2.sf(max(nested.best - best, 0.0), df=1)),
            point=dict(zip(rest, map(float, nested.x), strict=True)),
            means={t: float(at_best.stat(t).mean()) for t in targets}))
    fit_df = len(targets) - len(parameters)
    return Fit(parameters=parameters, point=dict(zip(parameters, map(float, x), strict=True)),
               fixed=fixed, distance=best, region=region, open_ends=open_ends,
               bounds={p: bounds[p] for p in parameters}, grid=grid, chi2=chi2,
               counts=counts_at(x), targets=dict(targets), critical=critical,
               fit_df=fit_df,
               fit_critical=float(scipy.stats.chi2.ppf(0.95, df=fit_df)) if fit_df > 0
               else None, runs=runs, seed=seed, restricted=tuple(tested))


@attrs.frozen(eq=False)
class _Search:
    objective: Callable[[np.ndarray], float]
    x: np.ndarray
    best: float
    grid: np.ndarray
    chi2: np.ndarray
    step: np.ndarray
    first: np.ndarray  # the first grid: the leading rows of ``grid``


def _projection(grid: np.ndarray, kept: np.ndarray, names: tuple[str, ...],
                bounds: dict[str, tuple[float, float]]
                ) -> tuple[dict[str, tuple[float, float]], dict[str, tuple[bool, bool]]]:
    """Each parameter's range over the ``kept`` trials, and whether it reaches a bound."""
    inside = grid[kept]
    ranges, ends = {}, {}
    for i, p in enumerate(names):
        lo, hi = bounds[p]
        if inside.size:
            a, b = float(inside[:, i].min()), float(inside[:, i].max())
            ranges[p], ends[p] = (a, b), (a <= lo, b >= hi)
        else:
            ranges[p], ends[p] = (math.nan, math.nan), (False, False)
    return ranges, ends


def _axes_grid(axes: list[np.ndarray]) -> np.ndarray:
    return np.stack([g.ravel() for g in np.meshgrid(*axes, indexing="ij")], axis=-1)


def _nelder_mead(objective: Callable[[np.ndarray], float], start: np.ndarray,
                 step: np.ndarray, lo: np.ndarray, hi: np.ndarray
                 ) -> list[tuple[np.ndarray, float]]:
    """Nelder-Mead from ``start`` (a simplex half a grid step wide), restarted once from where
    it stopped with a simplex half as wide; every trial, in order."""
    import scipy.optimize  # here, not at import: the CLI starts faster

    path: list[tuple[np.ndarray, float]] = []

    def traced(x: np.ndarray) -> float:
        x = np.clip(x, lo, hi)
        value = objective(x)
        path.append((x, value))
        return value

    x = start
    for width in (step / 2, step / 4):
        simplex = np.vstack([x, x + np.diag(np.where(x + width <= hi, width, -width))])
        scipy.optimize.minimize(traced, x, method="Nelder-Mead",
                                options={"initial_simplex": simplex, "xatol": 1e-3,
                                         "fatol": 1e-3, "maxfev": 15 * len(x)})
        x = min(path, key=lambda t: t[1])[0]
    return path


def _search(objective: Callable[[np.ndarray], float], names: tuple[str, ...],
            bounds: dict[str, tuple[float, float]], points: dict[str, int], mapper: Mapper,
            starts: int = 2, known: tuple[np.ndarray, np.ndarray] | None = None) -> _Search:
    """A grid over the bounds (``known``: its trials, already evaluated), then Nelder-Mead
    from its ``starts`` best points, side by side (every trial recorded, in an order that does
    not depend on the threads)."""
    lo = np.array([bounds[p][0] for p in names])
    hi = np.array([bounds[p][1] for p in names])
    n = np.array([points[p] for p in names])
    step = (hi - lo) / (n - 1)
    if known is None:
        grid = _axes_grid([np.linspace(a, b, k) for a, b, k in zip(lo, hi, n, strict=True)])
        chi2 = np.array(list(mapper(objective, list(grid))))
    else:
        grid, chi2 = known
    first_grid = grid
    starts_at = [grid[i] for i in np.argsort(chi2, kind="stable")[:starts]]
    # a path is a pure function of its start: a module function and a picklable objective,
    # so a cluster's workers can walk the paths as well as threads
    paths = mapper(functools.partial(_nelder_mead, objective, step=step, lo=lo, hi=hi), starts_at)
    for path in paths:
        grid = np.concatenate([grid, np.array([x for x, _ in path])])
        chi2 = np.concatenate([chi2, np.array([v for _, v in path])])
    i = int(np.argmin(chi2))
    return _Search(objective=objective, x=grid[i], best=float(chi2[i]), grid=grid, chi2=chi2,
                   step=step, first=first_grid)


def _region_grid(found: _Search, names: tuple[str, ...],
                 bounds: dict[str, tuple[float, float]], points: int,
                 critical: float) -> np.ndarray:
    """A grid of ``points`` a side over the box of the trials not rejected, one coarse step
    wider each way (around the fit, 1.5 steps each way, when none is)."""
    lo = np.array([bounds[p][0] for p in names])
    hi = np.array([bounds[p][1] for p in names])
    inside = found.grid[found.chi2 <= critical]
    if inside.size:
        a, b = inside.min(axis=0) - found.step, inside.max(axis=0) + found.step
    else:
        a, b = found.x - 1.5 * found.step, found.x + 1.5 * found.step
    a, b = np.clip(a, lo, hi), np.clip(b, lo, hi)
    return _axes_grid([np.linspace(x, y, points) for x, y in zip(a, b, strict=True)])
