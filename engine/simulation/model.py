"""The simulation model of one election, as arrays; its parameters and their defaults.

The model (DESIGN.md section 8), per run and precinct::

    turnout ~ Beta(m k_t, (1 - m) k_t)            m, k_t: the race's turnout mean, concentration
    cast    ~ Binomial(registered, turnout)
    invalid ~ Binomial(cast, invalid_rate)
    shares  ~ Dirichlet(k_s * s)                   s: the race's mean shares, against all included
    votes   ~ Multinomial(cast - invalid, shares)

On top of the precinct noise, each race gets one shock per run shared by all its precincts (the
*swing*), so the precincts of a race move together as they do in reality. With
``sd = swing_sd[race]`` and independent standard normals ``z`` drawn per race and run:

    m -> expit(logit(m) + sd z_t)                  logit-normal turnout shock
    s_j -> s_j exp(sd z_j) / sum_i s_i exp(sd z_i)  logistic-normal share shock (zeros stay 0)

So ``swing_sd`` is the standard deviation of a shift on the log-odds of turnout and on the log of
each option's share: 0.1 moves a 60% turnout by about 2.4 points (one sd) and the share of either
side of a 50/50 race by about 3.5 points. A race with ``swing_sd == 0`` is the pure precinct
model, bit for bit: its means are used as given. An infinite concentration removes that level's
noise (turnout == m, shares == s), which gives closed forms for tests.

The draws are :mod:`engine.simulation.draws`; the seeds :mod:`engine.simulation.seeds`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import attrs
import numpy as np

from engine.formats.model_table import Irregularities
from engine.tally.sums import sum_by_group

if TYPE_CHECKING:
    from numpy.typing import ArrayLike

__all__ = [
    "DEFAULT_AGAINST_ALL_SHARE",
    "DEFAULT_INVALID_RATE",
    "DEFAULT_SHARE_CONCENTRATION",
    "DEFAULT_SWING_SD",
    "DEFAULT_TURNOUT_CONCENTRATION",
    "DEFAULT_TURNOUT_MEAN",
    "Model",
]

# Defaults of the model, used where a scenario says nothing. They are placeholders of a plausible
# size, not estimates: a scenario (or a replay of a historical one) should set the means.
DEFAULT_TURNOUT_MEAN = 0.6

# Beta(0.6 * 50, 0.4 * 50): precinct turnouts with an sd of about 7 points around the race mean.
DEFAULT_TURNOUT_CONCENTRATION = 50.0

DEFAULT_INVALID_RATE = 0.02

# Dirichlet(100 s): a 50% share varies by about 5 points from precinct to precinct.
DEFAULT_SHARE_CONCENTRATION = 100.0

DEFAULT_SWING_SD = 0.1

# Used by :meth:`Model.build` when no mean shares are given: equal candidates, this against all.
DEFAULT_AGAINST_ALL_SHARE = 0.05


def _read_only(a: np.ndarray) -> np.ndarray:
    a.flags.writeable = False
    return a


# The converters of the model's fields: a copy, as the model owns its arrays.
def _int64s(value: ArrayLike) -> np.ndarray:
    return _read_only(np.array(value, dtype=np.int64))


def _float64s(value: ArrayLike) -> np.ndarray:
    return _read_only(np.array(value, dtype=np.float64))


def _float(name: str, value: np.ndarray, r: int, low: float, high: float,
           *, open_low: bool = False, open_high: bool = False) -> None:
    if value.shape != (r,):
        msg = f"{name}: must have shape ({r},) (one per race), got {value.shape}"
        raise ValueError(msg)
    bad = ~((value > low if open_low else value >= low) & (value < high if open_high
                                                          else value <= high))
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        lo, hi = "(["[not open_low], ")]"[not open_high]
        msg = f"{name}[{i}]: must be in {lo}{low}, {high}{hi}, got {value[i]}"
        raise ValueError(msg)


@attrs.frozen(eq=False)
class Model:
    """The simulation model of one election, as arrays (see the module docstring).

    race : (P,) int64, the race of each precinct, in [0, R); every race has a precinct
    registered : (P,) int64 >= 0
    n_candidates : (R,) int64 in [1, K]
    turnout_mean : (R,) float64 in (0, 1); [0, 1] where turnout_concentration is inf
    turnout_concentration : (R,) float64 > 0, or inf (no precinct turnout noise)
    invalid_rate : (R,) float64 in [0, 1]
    share_mean : (R, K + 1) float64 >= 0, rows sum to 1: candidates in ballot order, zeros past
        n_candidates, and against all in the LAST column (0 when the ballot has no such line)
    share_concentration : (R,) float64 > 0, or inf (multinomial votes, no Dirichlet noise)
    swing_sd : (R,) float64 in [0, 1], the race shock's sd on the logit / log scale
    irregularities : fraud injected into the drawn counts (:mod:`engine.simulation.irregularities`)
    """

    race: np.ndarray = attrs.field(converter=_int64s)
    registered: np.ndarray = attrs.field(converter=_int64s)
    n_candidates: np.ndarray = attrs.field(converter=_int64s)
    turnout_mean: np.ndarray = attrs.field(converter=_float64s)
    turnout_concentration: np.ndarray = attrs.field(converter=_float64s)
    invalid_rate: np.ndarray = attrs.field(converter=_float64s)
    share_mean: np.ndarray = attrs.field(converter=_float64s)
    share_concentration: np.ndarray = attrs.field(converter=_float64s)
    swing_sd: np.ndarray = attrs.field(converter=_float64s)
    # ballot stuffing and vote switching after the draws ([model.irregularities]), or None
    irregularities: Irregularities | None = None
    # (R,) int64, the registered voters of each race (derived)
    registered_by_race: np.ndarray = attrs.field(init=False)

    def __attrs_post_init__(self) -> None:
        if self.share_mean.ndim != 2 or self.share_mean.shape[1] < 2:
            msg = f"share_mean: must have shape (R, K + 1) with K >= 1, got {self.share_mean.shape}"
            raise ValueError(msg)
        r, c = self.share_mean.shape
        k = c - 1
        if self.race.ndim != 1 or self.registered.shape != self.race.shape:
            msg = (f"race and registered: must be two (P,) arrays, got {self.race.shape} and "
                   f"{self.registered.shape}")
            raise ValueError(msg)
        if self.race.size and (self.race.min() < 0 or self.race.max() >= r):
            msg = f"race: must be in [0, {r}), got values in [{self.race.min()}, {self.race.max()}]"
            raise ValueError(msg)
        empty = np.flatnonzero(np.bincount(self.race, minlength=r) == 0)
        if empty.size:
            msg = f"race: race {empty[0]} has no precinct (give it one precinct)"
            raise ValueError(msg)
        if (self.registered < 0).any():
            i = int(np.flatnonzero(self.registered < 0)[0])
            msg = f"registered[{i}]: must be >= 0, got {self.registered[i]}"
            raise ValueError(msg)
        nc = self.n_candidates
        if nc.shape != (r,) or (nc < 1).any() or (nc > k).any():
            msg = f"n_candidates: must be (R,) = ({r},) ints in [1, {k}], got {nc!r}"
            raise ValueError(msg)
        _float("turnout_concentration", self.turnout_concentration, r, 0, np.inf, open_low=True)
        finite = np.isfinite(self.turnout_concentration)
        _float("turnout_mean", self.turnout_mean, r, 0, 1)
        edge = finite & ((self.turnout_mean <= 0) | (self.turnout_mean >= 1))
        if edge.any():
            i = int(np.flatnonzero(edge)[0])
            msg = (f"turnout_mean[{i}]: must be in (0, 1) with a finite concentration, "
                   f"got {self.turnout_mean[i]}")
            raise ValueError(msg)
        _float("invalid_rate", self.invalid_rate, r, 0, 1)
        _float("share_concentration", self.share_concentration, r, 0, np.inf, open_low=True)
        _float("swing_sd", self.swing_sd, r, 0, 1)
        s = self.share_mean
        if not np.isfinite(s).all() or (s < 0).any():
            msg = "share_mean: must be finite and >= 0"
            raise ValueError(msg)
        padded = (np.arange(k) >= nc[:, None]) & (s[:, :k] != 0)
        if padded.any():
            i, j = np.argwhere(padded)[0]
            msg = (f"share_mean[{i}, {j}]: must be 0 past the race's {nc[i]} candidates, "
                   f"got {s[i, j]}")
            raise ValueError(msg)
        sums = s.sum(axis=1)
        off = np.abs(sums - 1) > 1e-9
        if off.any():
            i = int(np.flatnonzero(off)[0])
            msg = f"share_mean[{i}]: must sum to 1, got {sums[i]}"
            raise ValueError(msg)
        by_race = sum_by_group(self.registered, self.race, r)
        object.__setattr__(self, "registered_by_race", _int64s(by_race))

    @property
    def n_races(self) -> int:
        return self.share_mean.shape[0]

    @property
    def n_precincts(self) -> int:
        return self.race.shape[0]

    @property
    def k(self) -> int:
        """Candidate columns (the most candidates in any race)."""
        return self.share_mean.shape[1] - 1

    @classmethod
    def build(cls, race: ArrayLike, registered: ArrayLike, n_candidates: ArrayLike,
              share_mean: ArrayLike | None = None, *,
              turnout_mean: ArrayLike = DEFAULT_TURNOUT_MEAN,
              turnout_concentration: ArrayLike = DEFAULT_TURNOUT_CONCENTRATION,
              invalid_rate: ArrayLike = DEFAULT_INVALID_RATE,
              share_concentration: ArrayLike = DEFAULT_SHARE_CONCENTRATION,
              swing_sd: ArrayLike = DEFAULT_SWING_SD,
              against_all: bool = True) -> Model:
        """A model with the documented defaults; each parameter is a scalar or one per race.

        Without ``share_mean``, candidates share equally what against all
        (:data:`DEFAULT_AGAINST_ALL_SHARE`, or 0 when ``against_all`` is false) leaves.
        """
        nc = np.asarray(n_candidates, dtype=np.int64)
        r = nc.shape[0]
        if share_mean is None:
            k = int(nc.max())
            aa = DEFAULT_AGAINST_ALL_SHARE if against_all else 0.0
            share_mean = np.zeros((r, k + 1))
            share_mean[:, :k] = np.where(np.arange(k) < nc[:, None], (1 - aa) / nc[:, None], 0)
            share_mean[:, k] = aa

        def per_race(value: ArrayLike) -> np.ndarray:
            return np.broadcast_to(np.asarray(value, dtype=np.float64), (r,))

        return cls(race=race, registered=registered, n_candidates=nc,
                   turnout_mean=per_race(turnout_mean),
                   turnout_concentration=per_race(turnout_concentration),
                   invalid_rate=per_race(invalid_rate), share_mean=share_mean,
                   share_concentration=per_race(share_concentration),
                   swing_sd=per_race(swing_sd))
