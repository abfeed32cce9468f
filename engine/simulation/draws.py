"""The random draws of the simulation model, vectorised over (runs, precincts, options).

The kernels behind :func:`draw`: they assume a validated model and never check
their input. Each function takes its own ``numpy.random.Generator`` and consumes it in a fixed
order, so the draws of a block of runs depend on that block's seed only.

Shapes: ``n`` runs, ``P`` precincts, ``R`` races, ``C = K + 1`` options (``K`` candidate
columns, zero-padded, then against all).

The binomial draws (ballots cast, invalid ballots, the votes' multinomial chain) have two
kernels, named by :data:`KERNEL`:

- ``"c"``: ``engine.tally._kernels.binomial`` and ``multinomial`` (exact binomials by inversion and
  Hörmann's BTRS, one row after another, GIL released), built when the package is installed
  with a compiler;
- ``"numpy"``: ``Generator.binomial`` (one call per option over all rows for the chain), the
  fallback (without the extension, or with ``SAYLAU_KERNEL=numpy``).

Both draw from the generator passed in and nothing else, but they consume it differently: a
seed gives the same draws on every machine with the same kernel, not across kernels.
"""

from __future__ import annotations

from collections.abc import Callable

import attrs
import numpy as np
from scipy.special import expit, logit

from engine.simulation import irregularities
from engine.simulation.model import Model
from engine.simulation.seeds import block_runs, block_seed
from engine.tally.kernel import compiled

__all__ = ["KERNEL", "Draws", "binomial", "draw", "draw_block", "irregular", "precincts",
           "race_means"]

# Smallest Beta parameter passed to numpy: a swing can push a race's turnout mean so close to
# 0 or 1 that m * concentration underflows to 0, which numpy rejects.
_TINY = np.finfo(np.float64).tiny


@attrs.frozen(eq=False)
class Draws:
    """The raw draws of ``n`` runs (for tests and for callers that want precinct detail).

    turnout_mean : (n, R) float64 and share_mean : (n, R, C) float64, the race means after swing
    turnout : (n, P) float64; cast, invalid : (n, P) int64; votes : (n, P, C) int64
    """

    turnout_mean: np.ndarray
    share_mean: np.ndarray
    turnout: np.ndarray
    cast: np.ndarray
    invalid: np.ndarray
    votes: np.ndarray
    fraud: np.ndarray | None = None  # (n, P) int8 irregularities kind, None without any


def draw(model: Model, runs: int, race_rng: np.random.Generator,
         precinct_rng: np.random.Generator) -> Draws:
    """Draw ``runs`` runs of ``model`` from two generators (race shocks, precinct noise)."""
    t, s = race_means(model, race_rng, runs)
    turnout, cast, invalid, votes = precincts(model, precinct_rng, t, s)
    cast, votes, fraud = irregular(model, precinct_rng, cast, votes)
    return Draws(turnout_mean=t, share_mean=s, turnout=turnout, cast=cast, invalid=invalid,
                 votes=votes, fraud=fraud)


def irregular(model: Model, rng: np.random.Generator, cast: np.ndarray, votes: np.ndarray
              ) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """The model's ``[model.irregularities]`` applied to drawn precincts: cast, votes and each
    precinct's kind of fraud (None, and the counts unchanged, without any). Drawn after the
    clean draws from the same stream, so a clean model's draws do not change; the fraud
    favours each race's candidate with the largest mean share."""
    if model.irregularities is None or not model.irregularities.active:
        return cast, votes, None
    favourite = np.argmax(model.share_mean[:, :model.k], axis=1)
    return irregularities.apply(model.irregularities, model.race, favourite, model.registered,
                                cast, votes, rng)


def draw_block(model: Model, seed: int | np.random.SeedSequence, block: int, runs: int) -> Draws:
    """Block ``block`` of a ``runs``-run simulation, drawn exactly as :func:`run` draws it."""
    race_seq, precinct_seq = block_seed(seed, block).spawn(2)
    return draw(model, block_runs(runs, block), np.random.default_rng(race_seq),
                np.random.default_rng(precinct_seq))


def race_means(model: Model, rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Each run's race-level turnout mean and option shares, after the race swing.

    returns turnout : (n, R) float64, shares : (n, R, C) float64 (rows sum to 1, zeros kept)

    The shocks are drawn for every race, whatever its ``swing_sd``, so one race's setting never
    moves another race's draws; a race with ``swing_sd == 0`` gets its means back unchanged
    (not recomputed through logit and exp, which could move them by an ulp).
    """
    r, c = model.share_mean.shape
    z_turnout = rng.standard_normal((n, r))
    z_share = rng.standard_normal((n, r, c))
    sd = model.swing_sd
    swung = sd > 0
    turnout = np.broadcast_to(model.turnout_mean, (n, r))
    shares = np.broadcast_to(model.share_mean, (n, r, c))
    if swung.any():
        with np.errstate(divide="ignore"):  # a mean of exactly 0 or 1 stays there
            shocked = expit(logit(model.turnout_mean) + sd * z_turnout)
        turnout = np.where(swung, shocked, turnout)
        w = model.share_mean * np.exp(sd[:, None] * z_share)  # zero shares stay zero
        w /= w.sum(axis=-1, keepdims=True)
        shares = np.where(swung[:, None], w, shares)
    return turnout, shares


def precincts(model: Model, rng: np.random.Generator, turnout_mean: np.ndarray,
              share_mean: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Draw every precinct of ``n`` runs given the runs' race means.

    turnout_mean : (n, R) float64, share_mean : (n, R, C) float64, from :func:`race_means`
    returns turnout (n, P) float64, cast (n, P) int64, invalid (n, P) int64,
    votes (n, P, C) int64 with votes.sum(-1) + invalid == cast <= registered.
    """
    race = model.race
    n = turnout_mean.shape[0]
    p = race.shape[0]
    c = share_mean.shape[-1]

    # turnout ~ Beta(m k, (1 - m) k); an infinite concentration means turnout == m exactly.
    m = turnout_mean[:, race]
    kt = model.turnout_concentration[race]
    exact_t = np.isinf(kt)
    kt_draw = np.where(exact_t, 1.0, kt)
    a = np.maximum(m * kt_draw, _TINY)
    b = np.maximum((1.0 - m) * kt_draw, _TINY)
    turnout = rng.beta(a, b)
    if exact_t.any():
        turnout = np.where(exact_t, m, turnout)

    cast = _binomial(rng, model.registered, turnout)
    invalid = _binomial(rng, cast, model.invalid_rate[race])
    valid = cast - invalid

    # shares ~ Dirichlet(k s) as normalised gammas: no normalisation is needed, because the
    # conditional binomial chain below only uses ratios of the gammas.
    s = share_mean[:, race, :]
    ks = model.share_concentration[race]
    exact_s = np.isinf(ks)
    g = rng.standard_gamma(s * np.where(exact_s, 1.0, ks)[:, None])
    if exact_s.any():
        g = np.where(exact_s[:, None], s, g)
    total = g.sum(axis=-1, keepdims=True)
    # All gammas of a row can underflow to 0 only when every alpha is tiny; fall back to the
    # mean shares rather than divide 0 by 0.
    g = np.where(total > 0, g, s)

    votes = np.empty((n, p, c), dtype=np.int64)
    _multinomial_chain(rng, valid, g, votes)
    return turnout, cast, invalid, votes


def _multinomial_chain_numpy(rng: np.random.Generator, n: np.ndarray, weights: np.ndarray,
                             out: np.ndarray) -> None:
    """Multinomial(n, weights / weights.sum(-1)) by conditional binomials, into ``out``.

    n : (...,) int64, weights : (..., C) float64 >= 0 with a positive sum, out : (..., C) int64

    Option j gets Binomial(rest, w_j / (w_j + ... + w_last)). The last positive weight's
    ratio is exactly 1 (a float sum of zeros adds nothing), so it takes every remaining vote
    and a zero weight (a padding column) always gets exactly 0 votes, wherever it sits.
    numpy's own ``Generator.multinomial`` instead gives the last column what is left, which
    would hand rounding leftovers to a zero-share last column.
    """
    suffix = np.cumsum(weights[..., ::-1], axis=-1)[..., ::-1]
    with np.errstate(invalid="ignore", divide="ignore"):
        ratio = weights / suffix
    ratio[~(suffix > 0)] = 0.0  # after the last positive weight: nothing left to give
    rest = n
    c = weights.shape[-1]
    for j in range(c - 1):
        k = rng.binomial(rest, ratio[..., j])
        out[..., j] = k
        rest = rest - k
    out[..., c - 1] = rest


def _binomial_numpy(rng: np.random.Generator, n: np.ndarray, p: np.ndarray) -> np.ndarray:
    """Binomial(n, p), broadcast: int64 of the shape of ``n`` and ``p`` broadcast together."""
    return rng.binomial(n, p)


def _binomial_c(rng: np.random.Generator, n: np.ndarray, p: np.ndarray) -> np.ndarray:
    """:func:`_binomial_numpy` on the compiled kernel."""
    n, p = np.broadcast_arrays(n, p)
    # aligned buffers for the kernel (a model unpickled from a Dask message may hold others)
    rows = np.require(n, np.int64, ["C", "A"])
    prob = np.require(p, np.float64, ["C", "A"])
    out = np.empty(rows.shape, dtype=np.int64)
    bit_generator = rng.bit_generator
    with bit_generator.lock:
        _binomial_kernel(bit_generator.capsule, rows, prob, out)
    return out


def _multinomial_chain_c(rng: np.random.Generator, n: np.ndarray, weights: np.ndarray,
                         out: np.ndarray) -> None:
    """:func:`_multinomial_chain_numpy`'s draws on the compiled kernel: same contract, same
    distribution, other numbers from the same generator."""
    c = weights.shape[-1]
    rows = np.require(np.broadcast_to(n, weights.shape[:-1]), np.int64, ["C", "A"])
    rows = rows.reshape(-1)
    w = np.require(weights, np.float64, ["C", "A"]).reshape(rows.size, c)
    direct = out.dtype == np.int64 and out.flags.c_contiguous and out.flags.aligned
    target = out if direct else np.empty(out.shape, dtype=np.int64)
    bit_generator = rng.bit_generator
    with bit_generator.lock:
        _multinomial_kernel(bit_generator.capsule, rows, w, target.reshape(rows.size, c))
    if not direct:
        out[...] = target


_binomial: Callable[[np.random.Generator, np.ndarray, np.ndarray], np.ndarray]
_multinomial_chain: Callable[[np.random.Generator, np.ndarray, np.ndarray, np.ndarray], None]
if compiled is None:  # built without a compiler, or SAYLAU_KERNEL=numpy: numpy's binomials
    _binomial = _binomial_numpy
    _multinomial_chain = _multinomial_chain_numpy
    KERNEL = "numpy"
else:
    _binomial_kernel = compiled.binomial
    _multinomial_kernel = compiled.multinomial
    _binomial = _binomial_c
    _multinomial_chain = _multinomial_chain_c
    KERNEL = "c"


def binomial(rng: np.random.Generator, n: np.ndarray, p: np.ndarray) -> np.ndarray:
    """Binomial(n, p), broadcast, on the kernel in use (:data:`KERNEL`): for other seeded
    streams that draw as the simulation does (forensics' nulls)."""
    return _binomial(rng, n, p)
