"""Indirect election by maslikhat deputies (2013-2021): the re-vote, a round simulated, its fit.

From 2013 to 2021 rural and town akims were elected by the deputies of the district (town)
maslikhat, by secret ballot, from candidates proposed by the district akim (seeds 002, 003;
DESIGN.md section 4). :func:`engine.law.rules.decide` applies the quorum and the threshold; a tie for
first place leads to one re-vote among the tied (:func:`decide_rounds`), and a second tie to a
repeat election (outcome ``tie``).

A round is simulated deputy by deputy, every race of every maslikhat and every run at once: a
deputy attends the session with probability ``attendance`` (so deputies present ~
Binomial(seats, attendance) per maslikhat, one session for all its races); a deputy present
votes for the candidate the akim proposed first with probability ``loyalty``, otherwise for one
of the others at random; the re-vote among tied leaders follows the same rule among the tied.
Draws are uniforms fixed by the seed (common random numbers), so the counts move smoothly with
the parameters, which :func:`fit` uses: the method of simulated moments.
"""

from __future__ import annotations

import math
from concurrent.futures import ThreadPoolExecutor

import attrs
import numpy as np

from engine.formats.model_table import FIT_PARAMETERS, FIT_TARGETS
from engine.law.rules import Decision, Outcome, RuleSet, decide
from engine.simulation.seeds import child_seed
from engine.tally.threads import cores

__all__ = ["DEFAULT_ATTENDANCE", "DEFAULT_LOYALTY", "STATISTICS", "Fit", "Round", "RoundCounts",
           "decide_rounds", "fit", "simulate_round", "split_evenly"]

# Defaults, placeholders of a plausible size (no source publishes them): most deputies attend
# and most vote for the candidate the akim proposed first.
DEFAULT_ATTENDANCE = 0.9
DEFAULT_LOYALTY = 0.8

# Runs drawn at once: (runs, races, deputies) uniforms, float32, stay near 30 MB per array.
_CHUNK_CELLS = 8_000_000


def decide_rounds(votes: np.ndarray, n_candidates: np.ndarray, rules: RuleSet, *,
                  present: np.ndarray, seats: np.ndarray,
                  revote: np.ndarray | None = None) -> Decision:
    """Decide the first round; where the leaders tied and ``revote`` counts are given (the
    re-vote among them, -1 unknown), decide by the re-vote, whose tie is final (``tie``)."""
    first = decide(votes, n_candidates, rules, cast=present, registered=seats)
    if revote is None:
        return first
    revote = np.asarray(revote, np.int64)
    on = np.arange(votes.shape[-1]) < np.asarray(n_candidates)[..., None]
    tied = on & (np.asarray(votes) == first.top[..., None])
    again = (first.outcome == Outcome.TIE) & np.where(tied, revote >= 0, True).all(axis=-1)
    second = decide(np.where(tied, revote, -1), n_candidates, rules, cast=present,
                    registered=seats)
    pick = again
    return Decision(**{f.name: np.where(pick, getattr(second, f.name), getattr(first, f.name))
                       for f in attrs.fields(Decision)})


@attrs.frozen(eq=False)
class Round:
    """Maslikhats and the races they fill. seats : (M,); maslikhat : (R,) index into seats;
    n_candidates : (R,)."""

    seats: np.ndarray
    maslikhat: np.ndarray
    n_candidates: np.ndarray

    @classmethod
    def even(cls, maslikhats: int, deputies: int, races: int, candidates: int) -> Round:
        """Published totals split as evenly as whole numbers allow: deputies over maslikhats,
        races over maslikhats, candidates over races (at least two each)."""
        seats = split_evenly(deputies, maslikhats)
        per = split_evenly(races, maslikhats)
        maslikhat = np.repeat(np.arange(maslikhats), per)
        n_cand = split_evenly(max(candidates, 2 * races), races)
        return cls(seats=seats, maslikhat=maslikhat, n_candidates=n_cand)

    @property
    def n_races(self) -> int:
        return self.maslikhat.shape[0]


def split_evenly(total: int, parts: int) -> np.ndarray:
    """``total`` split into ``parts`` whole numbers as equal as can be, larger ones first."""
    out = np.full(parts, total // parts, np.int64)
    out[:total % parts] += 1
    return out


@attrs.frozen(eq=False)
class RoundCounts:
    """Per run (N,): races elected, tied twice (repeat), won by one vote, failed for want of a
    quorum or a majority."""

    elected: np.ndarray
    ties: np.ndarray
    one_vote_margins: np.ndarray
    failed_quorum: np.ndarray
    failed_majority: np.ndarray

    def stat(self, name: str) -> np.ndarray:
        return getattr(self, name)


STATISTICS = FIT_TARGETS


def _votes(choice: np.ndarray, present: np.ndarray, k: int) -> np.ndarray:
    """Counts per candidate: choice (..., D) int in [0, k), present (..., D) bool -> (..., k)."""
    cells = np.prod(choice.shape[:-1], dtype=np.int64)
    key = np.arange(cells).reshape(choice.shape[:-1])[..., None] * k + choice
    return np.bincount(key[present], minlength=cells * k).reshape(*choice.shape[:-1], k)


def _chunk(rnd: Round, rules: RuleSet, loyalty: float, attendance: float,
           rng: np.random.Generator, n: int) -> RoundCounts:
    r, d, k = rnd.n_races, int(rnd.seats.max()), int(rnd.n_candidates.max())
    m = rnd.seats.shape[0]
    seat_ok = np.arange(d) < rnd.seats[:, None]                         # (M, D)
    attend = rng.random((n, m, d), dtype=np.float32) < attendance
    attend &= seat_ok
    present_dep = attend[:, rnd.maslikhat, :]                            # (n, R, D)
    present = attend.sum(axis=-1)[:, rnd.maslikhat]                      # (n, R)
    u = rng.random((n, r, d), dtype=np.float32)
    v = rng.random((n, r, d), dtype=np.float32)
    others = (rnd.n_candidates - 1)[None, :, None]
    choice = np.where(u < loyalty, 0, 1 + np.minimum((v * others).astype(np.int64),
                                                     others - 1))
    votes = _votes(choice, present_dep, k)
    seats = np.broadcast_to(rnd.seats[rnd.maslikhat], present.shape)
    first = decide(votes, rnd.n_candidates, rules, cast=present, registered=seats)
    # the re-vote, drawn where the leaders tied: the same rule among the tied
    u2 = rng.random((n, r, d), dtype=np.float32)
    v2 = rng.random((n, r, d), dtype=np.float32)
    tied_runs, tied_races = np.nonzero(first.outcome == Outcome.TIE)
    revote = np.full(votes.shape, -1, np.int64)
    if tied_runs.size:
        on = np.arange(k) < rnd.n_candidates[tied_races][:, None]
        tied = on & (votes[tied_runs, tied_races] == first.top[tied_runs, tied_races][:, None])
        rest = tied.copy()
        rest[:, 0] = False                                               # the tied others
        n_rest = rest.sum(axis=-1)[:, None]                              # (T, 1)
        pick = np.minimum((v2[tied_runs, tied_races] * n_rest).astype(np.int64),
                          np.maximum(n_rest - 1, 0))                     # (T, D)
        ranks = np.cumsum(rest, axis=-1) - 1                             # (T, K)
        other_choice = np.argmax((ranks[:, None, :] == pick[..., None]) & rest[:, None, :],
                                 axis=-1)
        loyal = tied[:, :1] & (u2[tied_runs, tied_races] < loyalty)
        loyal |= tied[:, :1] & (n_rest == 0)
        choice2 = np.where(loyal, 0, other_choice)
        revote[tied_runs, tied_races] = _votes(choice2, present_dep[tied_runs, tied_races], k)
    final = decide_rounds(votes, rnd.n_candidates, rules, present=present, seats=seats,
                          revote=revote)
    out = final.outcome
    elected = (out == Outcome.ELECTED) | (out == Outcome.UNCONTESTED)
    return RoundCounts(
        elected=elected.sum(axis=1), ties=(out == Outcome.TIE).sum(axis=1),
        one_vote_margins=(elected & (final.margin_votes == 1)).sum(axis=1),
        failed_quorum=(out == Outcome.FAILED_QUORUM).sum(axis=1),
        failed_majority=(out == Outcome.FAILED_MAJORITY).sum(axis=1))


def simulate_round(rnd: Round, rules: RuleSet, *, loyalty: float, attendance: float,
                   runs: int, seed: int | np.random.SeedSequence) -> RoundCounts:
    """``runs`` simulated rounds; the same seed gives the same uniforms whatever the
    parameters (common random numbers), chunk ``c`` of runs drawing from child ``c``."""
    if not (0 <= loyalty <= 1 and 0 <= attendance <= 1):
        msg = f"loyalty and attendance: must be in [0, 1], got {loyalty}, {attendance}"
        raise ValueError(msg)
    per = max(1, _CHUNK_CELLS // max(1, rnd.n_races * int(rnd.seats.max())))
    parts = []
    for c, start in enumerate(range(0, runs, per)):
        rng = np.random.default_rng(child_seed(seed, c))
        parts.append(_chunk(rnd, rules, loyalty, attendance, rng, min(per, runs - start)))
    return RoundCounts(**{s: np.concatenate([p.stat(s) for p in parts]) for s in STATISTICS})


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
