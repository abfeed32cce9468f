"""Monte-Carlo simulation of an election: the model, its seeded draws and the chunked runner.

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

Seeding. Runs are cut into blocks of :data:`BLOCK_RUNS` runs. Block ``b`` draws from
``SeedSequence(seed).spawn(n_blocks)[b]`` (built directly, so no list of children is ever
held), which spawns two streams: one for the race shocks, one for the precincts. A chunk is a
whole number of blocks, and every reduction is an exact integer sum, so the same seed gives the
same bytes for any chunk size and any number of workers.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

import attrs
import numpy as np

from engine.law.rules import Decision, Outcome, RuleSet, decide
from engine.simulation import draws as _draws
from engine.simulation import irregularities
from engine.simulation.histograms import QUANTILES, Histogram
from engine.simulation.irregularities import Irregularities
from engine.tally.areas import area_membership
from engine.tally.sums import sum_by_group
from engine.tally.threads import cores

__all__ = [
    "BASIS_POINTS",
    "BLOCK_RUNS",
    "DEFAULT_AGAINST_ALL_SHARE",
    "DEFAULT_INVALID_RATE",
    "DEFAULT_SHARE_CONCENTRATION",
    "DEFAULT_SWING_SD",
    "DEFAULT_TURNOUT_CONCENTRATION",
    "DEFAULT_TURNOUT_MEAN",
    "QUANTILES",
    "Draws",
    "Grouping",
    "Model",
    "Summary",
    "Tallied",
    "block_runs",
    "block_seed",
    "child_seed",
    "default_chunk_runs",
    "draw",
    "draw_block",
    "map_blocks",
    "root_seed",
    "run",
    "tally_draws",
    "wilson",
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

# Runs per seeded block: the unit of the random stream, fixed so results never depend on the
# chunk size or the number of workers.
BLOCK_RUNS = 64


def _array(dtype: type) -> object:
    def convert(value: object) -> np.ndarray:
        a = np.array(value, dtype=dtype)  # a copy: the model owns its arrays
        a.flags.writeable = False
        return a

    return convert


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

    race: np.ndarray = attrs.field(converter=_array(np.int64))
    registered: np.ndarray = attrs.field(converter=_array(np.int64))
    n_candidates: np.ndarray = attrs.field(converter=_array(np.int64))
    turnout_mean: np.ndarray = attrs.field(converter=_array(np.float64))
    turnout_concentration: np.ndarray = attrs.field(converter=_array(np.float64))
    invalid_rate: np.ndarray = attrs.field(converter=_array(np.float64))
    share_mean: np.ndarray = attrs.field(converter=_array(np.float64))
    share_concentration: np.ndarray = attrs.field(converter=_array(np.float64))
    swing_sd: np.ndarray = attrs.field(converter=_array(np.float64))
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
        object.__setattr__(self, "registered_by_race", _array(np.int64)(by_race))

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
    def build(cls, race: object, registered: object, n_candidates: object,
              share_mean: object = None, *,
              turnout_mean: object = DEFAULT_TURNOUT_MEAN,
              turnout_concentration: object = DEFAULT_TURNOUT_CONCENTRATION,
              invalid_rate: object = DEFAULT_INVALID_RATE,
              share_concentration: object = DEFAULT_SHARE_CONCENTRATION,
              swing_sd: object = DEFAULT_SWING_SD,
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

        def per_race(value: object) -> np.ndarray:
            return np.broadcast_to(np.asarray(value, dtype=np.float64), (r,))

        return cls(race=race, registered=registered, n_candidates=nc,
                   turnout_mean=per_race(turnout_mean),
                   turnout_concentration=per_race(turnout_concentration),
                   invalid_rate=per_race(invalid_rate), share_mean=share_mean,
                   share_concentration=per_race(share_concentration),
                   swing_sd=per_race(swing_sd))


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
    t, s = _draws.race_means(model, race_rng, runs)
    turnout, cast, invalid, votes = _draws.precincts(model, precinct_rng, t, s)
    fraud = None
    if model.irregularities is not None and model.irregularities.active:
        # after the clean draws, from the same stream: a clean model's draws do not change
        favourite = np.argmax(model.share_mean[:, :model.k], axis=1)
        cast, votes, fraud = irregularities.apply(model.irregularities, model.race, favourite,
                                                  model.registered, cast, votes, precinct_rng)
    return Draws(turnout_mean=t, share_mean=s, turnout=turnout, cast=cast, invalid=invalid,
                 votes=votes, fraud=fraud)


def root_seed(seed: int | np.random.SeedSequence) -> np.random.SeedSequence:
    """``seed`` as a SeedSequence: itself if it is one, else ``SeedSequence(seed)``."""
    return seed if isinstance(seed, np.random.SeedSequence) else np.random.SeedSequence(seed)


def child_seed(seed: int | np.random.SeedSequence, *key: int) -> np.random.SeedSequence:
    """The descendant of ``seed`` at ``key``: ``child_seed(s, b)`` is the same as
    ``SeedSequence(s).spawn(n)[b]`` for any n > b, and ``child_seed(s, b, i)`` that child's
    i-th child, built directly (nothing spawned before counts, no list is held)."""
    root = root_seed(seed)
    return np.random.SeedSequence(root.entropy, spawn_key=(*root.spawn_key, *key),
                                  pool_size=root.pool_size)


def block_seed(seed: int | np.random.SeedSequence, block: int) -> np.random.SeedSequence:
    """Block ``block``'s seed (see :func:`child_seed`)."""
    return child_seed(seed, block)


def block_runs(runs: int, block: int) -> int:
    """Runs in block ``block`` of a ``runs``-run simulation (the last may be short)."""
    return min(BLOCK_RUNS, runs - block * BLOCK_RUNS)


def draw_block(model: Model, seed: int | np.random.SeedSequence, block: int, runs: int) -> Draws:
    """Block ``block`` of a ``runs``-run simulation, drawn exactly as :func:`run` draws it."""
    race_seq, precinct_seq = block_seed(seed, block).spawn(2)
    return draw(model, block_runs(runs, block), np.random.default_rng(race_seq),
                np.random.default_rng(precinct_seq))


@attrs.frozen(eq=False)
class Grouping:
    """Parties of candidates and areas of races, for the races each party wins per area.

    candidate_party : (R, K) int64 index into ``parties``, -1 past a race's candidates
    paths : every area (the nation ``()`` first); area ``area_of[i]`` holds race ``race_of[i]``
    """

    parties: tuple[str, ...]
    candidate_party: np.ndarray
    paths: tuple[tuple[str, ...], ...]
    area_of: np.ndarray
    race_of: np.ndarray

    @classmethod
    def of(cls, race_areas: list[tuple[str, ...]], candidate_party: np.ndarray,
           parties: tuple[str, ...]) -> Grouping:
        paths, area_of, race_of = area_membership(race_areas)
        return cls(parties=parties, candidate_party=np.asarray(candidate_party, np.int64),
                   paths=paths, area_of=area_of, race_of=race_of)

    @property
    def columns(self) -> tuple[str, ...]:
        """What :attr:`Summary.area_counts` counts per area and run: races won by each party,
        races left without a winner (failed or tied), races decided by at most 10 votes."""
        return (*self.parties, NO_WINNER, CLOSE)


T = TypeVar("T")
NO_WINNER = "no winner"
CLOSE = "margin <= 10 votes"


@attrs.frozen(eq=False)
class Summary:
    """What :func:`run` found: exact integer counts over ``runs`` runs; shares derive from them.

    Per race (R races, K candidate columns, O = len(Outcome) outcome codes):
    win_count : (R, K) runs each candidate won
    outcome_count : (R, O) runs ending in each :class:`engine.law.rules.Outcome`
    tie_count, against_all_top : (R,) runs with a tie for first place / with against all ahead
        of every candidate
    margin_le_1, margin_le_10, margin_le_1pct : (R,) runs whose margin (decide()'s: the top
        candidate's votes minus the next one's) was at most 1 vote, 10 votes, 1% of valid votes
    cast, margin : histograms of each race's ballots cast and margin in votes (exact)
    margin_bp : histogram of the margin in basis points of valid votes, rounded down
    area_counts : histogram, row ``a * len(columns) + c``: how many of area a's races fell in
        column c of ``grouping.columns`` per run (None without a grouping)
    """

    runs: int
    registered: np.ndarray
    win_count: np.ndarray
    outcome_count: np.ndarray
    tie_count: np.ndarray
    against_all_top: np.ndarray
    margin_le_1: np.ndarray
    margin_le_10: np.ndarray
    margin_le_1pct: np.ndarray
    cast: Histogram
    margin: Histogram
    margin_bp: Histogram
    area_counts: Histogram | None = None
    grouping: Grouping | None = None

    def share(self, count: np.ndarray) -> np.ndarray:
        return np.asarray(count) / self.runs

    @property
    def win_probability(self) -> np.ndarray:
        return self.share(self.win_count)

    @property
    def win_interval(self) -> np.ndarray:
        """(R, K, 2): the 95% Wilson score interval of each win probability."""
        return wilson(self.win_count, self.runs)

    def turnout_quantiles(self) -> np.ndarray:
        """(R, 3) float: turnout (cast / registered) at :data:`QUANTILES`, exact order statistics
        (nan for a race without voters)."""
        q = self.cast.quantiles().astype(np.float64)
        reg = self.registered[:, None].astype(np.float64)
        return np.divide(q, reg, out=np.full(q.shape, np.nan), where=reg > 0)

    def margin_quantiles(self) -> np.ndarray:
        """(R, 3) int64: the margin in votes at :data:`QUANTILES`, exact."""
        return self.margin.quantiles()

    def margin_points_quantiles(self) -> np.ndarray:
        """(R, 3) float: the margin in percentage points of valid votes at :data:`QUANTILES`,
        rounded down to 0.01 point (0 when a run has no valid votes)."""
        return self.margin_bp.quantiles() / 100


def wilson(count: np.ndarray, runs: int) -> np.ndarray:
    """The 95% Wilson score interval of ``count / runs``, stacked on a last axis of 2."""
    z = 1.959963984540054
    p = np.asarray(count) / runs
    z2n = z * z / runs
    centre = (p + z2n / 2) / (1 + z2n)
    half = z / (1 + z2n) * np.sqrt(p * (1 - p) / runs + z2n / (4 * runs))
    # The interval holds p; rounding could put p = 0 or 1 a hair outside it.
    low = np.clip(centre - half, 0.0, p)
    high = np.clip(centre + half, p, 1.0)
    return np.stack([low, high], axis=-1)


BASIS_POINTS = 10_000


class _Tallies:
    """One worker's running counts; every field is an exact integer sum over runs."""

    def __init__(self, model: Model, grouping: Grouping | None) -> None:
        r, k = model.n_races, model.k
        width = int(model.registered_by_race.max(initial=0)) + 1
        self.wins = np.zeros((r, k), np.int64)
        self.outcomes = np.zeros((r, len(Outcome)), np.int64)
        self.ties = np.zeros(r, np.int64)
        self.against_all_top = np.zeros(r, np.int64)
        self.le_1 = np.zeros(r, np.int64)
        self.le_10 = np.zeros(r, np.int64)
        self.le_1pct = np.zeros(r, np.int64)
        self.cast = Histogram(r, width)
        self.margin = Histogram(r, width)
        self.margin_bp = Histogram(r, BASIS_POINTS + 1)
        self.area = (None if grouping is None else
                     Histogram(len(grouping.paths) * len(grouping.columns), r + 1))

    def __iadd__(self, other: _Tallies) -> _Tallies:
        for name, value in vars(self).items():
            if value is not None:
                value += getattr(other, name)
        return self


@attrs.frozen(eq=False)
class Tallied:
    """Runs summed to races and decided: (n, R) arrays, votes (n, R, K)."""

    votes: np.ndarray
    against_all: np.ndarray
    cast: np.ndarray
    valid: np.ndarray
    decision: Decision


def tally_draws(model: Model, rules: RuleSet, draws: list[Draws]) -> Tallied:
    """Sum the precincts of every run of ``draws`` to races in one pass of the tally core, and
    decide every race of every run by ``rules``."""
    k, r, p = model.k, model.n_races, model.n_precincts
    n = sum(d.cast.shape[0] for d in draws)
    # Precinct rows as (P, n runs, options + cast): one pass sums them to races.
    table = np.empty((p, n, k + 2), dtype=np.int64)
    at = 0
    for d in draws:
        m = d.cast.shape[0]
        table[:, at:at + m, :k + 1] = d.votes.transpose(1, 0, 2)
        table[:, at:at + m, k + 1] = d.cast.T
        at += m
    totals = sum_by_group(table.reshape(p, n * (k + 2)), model.race, r)
    totals = totals.reshape(r, n, k + 2).transpose(1, 0, 2)  # (n, R, options + cast)
    votes, against, cast = totals[..., :k], totals[..., k], totals[..., k + 1]
    valid = votes.sum(axis=-1) + against
    registered = np.broadcast_to(model.registered_by_race, cast.shape)
    dec = decide(votes, model.n_candidates, rules, against_all=against, cast=cast,
                 registered=registered)
    return Tallied(votes=votes, against_all=against, cast=cast, valid=valid, decision=dec)


def _chunk(model: Model, rules: RuleSet, grouping: Grouping | None,
           root: np.random.SeedSequence, runs: int, blocks: range, acc: _Tallies) -> None:
    """Draw ``blocks`` of runs, decide every race of every run, add the counts to ``acc``."""
    r, k = model.n_races, model.k
    t = tally_draws(model, rules, [draw_block(model, root, b, runs) for b in blocks])
    dec, against, cast, valid = t.decision, t.against_all, t.cast, t.valid

    won = dec.winner >= 0
    acc.wins += np.bincount((np.arange(r) * k + dec.winner)[won], minlength=r * k).reshape(r, k)
    acc.outcomes += np.bincount((np.arange(r) * len(Outcome) + dec.outcome).ravel(),
                                minlength=r * len(Outcome)).reshape(r, len(Outcome))
    acc.ties += dec.tie.sum(axis=0)
    acc.against_all_top += (against > dec.top).sum(axis=0)
    margin = dec.margin_votes
    acc.le_1 += (margin <= 1).sum(axis=0)
    acc.le_10 += (margin <= 10).sum(axis=0)
    acc.le_1pct += (100 * margin <= valid).sum(axis=0)
    acc.cast.add(cast)
    acc.margin.add(margin)
    acc.margin_bp.add(np.where(valid > 0, BASIS_POINTS * margin // np.maximum(valid, 1), 0))
    if grouping is not None:
        acc.area.add(_area_counts(grouping, dec.winner, margin <= 10))


def _area_counts(g: Grouping, winner: np.ndarray, close: np.ndarray) -> np.ndarray:
    """(n, A * columns): per run, each area's races won by each party, without a winner, close."""
    n = winner.shape[0]
    a, cols = len(g.paths), len(g.columns)
    no_winner = cols - 2
    party = np.take_along_axis(g.candidate_party, np.maximum(winner, 0).T, axis=1).T
    party = np.where(winner >= 0, party, no_winner)  # (n, R)
    run_area = np.arange(n)[:, None] * a + g.area_of  # (n, M)
    counts = np.bincount((run_area * cols + party[:, g.race_of]).ravel(),
                         minlength=n * a * cols).reshape(n, a, cols)
    counts[..., cols - 1] = np.bincount(run_area.ravel(), weights=close[:, g.race_of].ravel(),
                                        minlength=n * a).reshape(n, a)
    return counts.reshape(n, a * cols)


def default_chunk_runs(model: Model, runs: int, jobs: int) -> int:
    """About 4M int64 cells of precinct table per chunk (32 MB) and, when there are enough runs,
    at least four chunks per worker, so every core stays busy to the end."""
    cells = model.n_precincts * (model.k + 2)
    by_memory = max(1, (1 << 22) // (BLOCK_RUNS * max(cells, 1)))
    by_work = max(1, -(-runs // (BLOCK_RUNS * 4 * jobs)))
    return BLOCK_RUNS * min(by_memory, by_work)


def map_blocks(runs: int, chunk_runs: int, jobs: int, new_acc: Callable[[], T],
               work: Callable[[range, T], None],
               progress: Callable[[int], None] | None = None) -> T:
    """Cut ``runs`` into blocks of :data:`BLOCK_RUNS`, chunks of whole blocks, and have ``jobs``
    threads call ``work(blocks, acc)`` on them, each into its own accumulator; return their sum
    (``acc += other``). Integer sums do not depend on which thread took which chunk."""
    n_blocks = -(-runs // BLOCK_RUNS)
    per_chunk = -(-chunk_runs // BLOCK_RUNS)
    jobs = min(jobs, -(-n_blocks // per_chunk))
    lock = threading.Lock()
    # chunks handed out one at a time: nothing is held per chunk, whatever ``runs`` is
    queue = (range(s, min(s + per_chunk, n_blocks)) for s in range(0, n_blocks, per_chunk))
    done = 0

    def worker() -> T:
        nonlocal done
        acc = new_acc()
        while True:
            with lock:
                blocks = next(queue, None)
            if blocks is None:
                return acc
            work(blocks, acc)
            if progress is not None:
                with lock:
                    done += sum(block_runs(runs, b) for b in blocks)
                    progress(done)

    if jobs == 1:
        return worker()
    with ThreadPoolExecutor(max_workers=jobs, thread_name_prefix="saylau-sim") as ex:
        parts = [f.result() for f in [ex.submit(worker) for _ in range(jobs)]]
    total = parts[0]
    for part in parts[1:]:
        total += part
    return total


def run(model: Model, rules: RuleSet, runs: int, seed: int | np.random.SeedSequence, *,
        chunk_runs: int | None = None, jobs: int | None = None,
        grouping: Grouping | None = None,
        progress: Callable[[int], None] | None = None) -> Summary:
    """Simulate ``runs`` elections of ``model`` under ``rules`` and count what happened.

    seed : an int or a SeedSequence; the same seed gives the same Summary, to the byte, for any
        ``chunk_runs`` and ``jobs``
    chunk_runs : runs drawn and reduced together (rounded up to whole blocks of
        :data:`BLOCK_RUNS`); memory grows with it, never with ``runs``
    jobs : worker threads (numpy's generators release the GIL); default: the usable cores
    grouping : parties and areas, to count the races each party wins per area
    progress : called with the number of runs finished after each chunk
    """
    if runs < 1:
        msg = f"runs: must be >= 1, got {runs}"
        raise ValueError(msg)
    jobs = cores() if jobs is None else jobs
    if jobs < 1:
        msg = f"jobs: must be >= 1, got {jobs}"
        raise ValueError(msg)
    if chunk_runs is not None and chunk_runs < 1:
        msg = f"chunk_runs: must be >= 1, got {chunk_runs}"
        raise ValueError(msg)
    if grouping is not None and grouping.candidate_party.shape != (model.n_races, model.k):
        msg = (f"grouping.candidate_party: must have shape {(model.n_races, model.k)}, got "
               f"{grouping.candidate_party.shape}")
        raise ValueError(msg)
    root = root_seed(seed)

    def work(blocks: range, acc: _Tallies) -> None:
        _chunk(model, rules, grouping, root, runs, blocks, acc)

    total = map_blocks(runs, chunk_runs or default_chunk_runs(model, runs, jobs), jobs,
                       lambda: _Tallies(model, grouping), work, progress)
    return Summary(runs=runs, registered=model.registered_by_race, win_count=total.wins,
                   outcome_count=total.outcomes, tie_count=total.ties,
                   against_all_top=total.against_all_top, margin_le_1=total.le_1,
                   margin_le_10=total.le_10, margin_le_1pct=total.le_1pct, cast=total.cast,
                   margin=total.margin, margin_bp=total.margin_bp, area_counts=total.area,
                   grouping=grouping)
