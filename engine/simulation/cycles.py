"""Multi-cycle simulation: every race elected again and again, four-year terms, the term limit.

Each run follows every race over ``cycles`` regular terms (DESIGN.md section 8). At each
election the sitting akim stands again with probability ``stand`` unless the limit bars them
(``rules.term_limit`` consecutive terms, Law on Local Government Art. 36-2, seed 001); a standing
incumbent's mean share is multiplied by ``exp(advantage)`` (the incumbency advantage, on the log
scale of the model's race swing) before the race's shares are renormalised. The vote itself is
the Monte-Carlo of :mod:`engine.simulation`, tallied and decided by the same rules. The winner
serves ``rules.term_years``; with probability ``early`` the term ends early (dismissal, at a
month drawn uniformly within it), and an early election ``early_months`` later starts a new
full term. A failed or tied election is repeated ``repeat_months`` later, the sitting akim
staying in office meanwhile. A dismissed akim does not stand in the early election.

A candidate *slot* of a race is a party's line on the ballot; who fills it changes: the
incumbent while they stand, else a newcomer of the same party with the slot's mean share. So a
term-limited akim's seat opens, and their party's next candidate starts again at term one.

Elections are counted by the cycle (four-year window from the first election) they fall in.
Runs are drawn in blocks like :func:`engine.simulation.runner.run`; round ``i`` of block ``b``
draws from ``SeedSequence(seed)``'s child ``(b, i)``, so results are the same bytes for any
chunking and any number of threads.
"""

from __future__ import annotations

from typing import Any

import attrs
import numpy as np

from engine.law.rules import RuleSet
from engine.simulation import draws as _draws
from engine.simulation.blocks import Backend, Progress, Threads, map_blocks
from engine.simulation.draws import Draws
from engine.simulation.model import Model
from engine.simulation.runner import default_chunk_runs
from engine.simulation.seeds import BLOCK_RUNS, block_runs, child_seed, root_seed
from engine.simulation.tallies import tally_draws
from engine.tally.threads import cores

__all__ = [
    "DEFAULT_ADVANTAGE",
    "DEFAULT_EARLY",
    "DEFAULT_STAND",
    "EXIT_REASONS",
    "CycleJob",
    "CycleModel",
    "CycleSummary",
    "History",
    "history",
    "run_cycles",
]

# Defaults, placeholders of a plausible size (no source publishes them): most akims who may
# stand again do; a standing incumbent's share weighs about 1.35 times a newcomer's; about one
# term in twenty ends early (Semey, August 2025, is one such case).
DEFAULT_STAND = 0.8
DEFAULT_ADVANTAGE = 0.3
DEFAULT_EARLY = 0.05
EXIT_REASONS = ("term limit", "did not stand", "lost", "dismissed")


@attrs.frozen(eq=False)
class CycleModel:
    """What happens between elections.

    incumbent : (R,) slot of the akim sitting before the first simulated election, -1 none
    served : (R,) consecutive terms that akim has already served (0 where none)
    """

    cycles: int
    incumbent: np.ndarray
    served: np.ndarray
    stand: float = DEFAULT_STAND
    advantage: float = DEFAULT_ADVANTAGE
    early: float = DEFAULT_EARLY
    term_months: int = 48
    term_limit: int = 2
    repeat_months: int = 2
    early_months: int = 2

    def __attrs_post_init__(self) -> None:
        if self.cycles < 1:
            msg = f"cycles: must be >= 1, got {self.cycles}"
            raise ValueError(msg)
        for name in ("stand", "early"):
            if not 0 <= getattr(self, name) <= 1:
                msg = f"{name}: must be in [0, 1], got {getattr(self, name)}"
                raise ValueError(msg)
        if self.term_months < 1 or self.term_limit < 1:
            msg = "term_months and term_limit: must be >= 1"
            raise ValueError(msg)

    @classmethod
    def of(cls, rules: RuleSet, n_races: int, cycles: int, **kw: Any) -> CycleModel:
        incumbent = kw.pop("incumbent", np.full(n_races, -1, np.int64))
        served = kw.pop("served", np.zeros(n_races, np.int64))
        return cls(cycles=cycles, incumbent=np.asarray(incumbent, np.int64),
                   served=np.asarray(served, np.int64), term_months=12 * rules.term_years,
                   term_limit=rules.term_limit, **kw)


class _Counts:
    """Per cycle (C cycles, L = term limit): exact integer counts over runs and races."""

    def __init__(self, cycles: int, limit: int) -> None:
        c = cycles
        self.elections = np.zeros(c, np.int64)
        self.early = np.zeros(c, np.int64)
        self.failed = np.zeros(c, np.int64)
        self.repeats = np.zeros(c, np.int64)        # repeats of a failed vote
        self.sitting = np.zeros(c, np.int64)        # a sitting akim at the election
        self.term_limited = np.zeros(c, np.int64)   # ... barred by the limit
        self.stood = np.zeros(c, np.int64)          # ... standing again
        self.incumbent_won = np.zeros(c, np.int64)
        self.open_seats = np.zeros(c, np.int64)     # no incumbent on the ballot
        # winners by the consecutive term they start (1..L; column L + 1 must stay empty)
        self.winner_term = np.zeros((c, limit + 2), np.int64)
        # akims leaving office: by reason, and by the consecutive terms they served
        self.exits = np.zeros((c, len(EXIT_REASONS)), np.int64)
        self.exit_served = np.zeros((c, limit + 2), np.int64)

    def __iadd__(self, other: _Counts) -> _Counts:
        for name, value in vars(self).items():
            value += getattr(other, name)
        return self


@attrs.frozen(eq=False)
class History:
    """Every round of one block, for tests and for callers that want whole histories.

    month, winner, person, term : (rounds, n, R) int64; active : (rounds, n, R) bool.
    ``person`` numbers the akims of a race in order of first election (-1: nobody elected).
    """

    active: np.ndarray
    month: np.ndarray
    winner: np.ndarray
    person: np.ndarray
    term: np.ndarray


def _boost(shares: np.ndarray, slot: np.ndarray, on: np.ndarray, advantage: float) -> None:
    """Multiply shares[n, r, slot[n, r]] by exp(advantage) where ``on``; renormalise in place."""
    if not on.any() or advantage == 0:
        return
    n, r = np.nonzero(on)
    shares[n, r, slot[n, r]] *= np.exp(advantage)
    shares[n, r] /= shares[n, r].sum(axis=-1, keepdims=True)


def _block(model: Model, rules: RuleSet, cm: CycleModel, root: np.random.SeedSequence,
           block: int, n: int, counts: _Counts | None, record: list | None = None) -> None:
    """Every election of ``n`` runs (block ``block``), round after round, until each race's
    next election falls past the last cycle. Counts into ``counts``; rounds into ``record``."""
    r = model.n_races
    horizon = cm.cycles * cm.term_months
    month = np.zeros((n, r), np.int64)
    sitting = np.broadcast_to(cm.incumbent, (n, r)).copy()
    served = np.broadcast_to(np.where(cm.incumbent >= 0, cm.served, 0), (n, r)).copy()
    person = np.where(sitting >= 0, 0, -1)
    next_person = np.ones((n, r), np.int64)
    dismissed_served = np.zeros((n, r), np.int64)  # > 0: this election is an early one
    repeat = np.zeros((n, r), bool)        # this election repeats a failed vote
    stood_before = np.zeros((n, r), bool)
    i = 0
    while (active := month < horizon).any():
        race_seq, precinct_seq, event_seq = child_seed(root, block, i).spawn(3)
        events = np.random.default_rng(event_seq)
        limited = (sitting >= 0) & (served >= cm.term_limit)
        # a repeat of a failed vote has the same candidates: the incumbent's choice stands
        drawn = (sitting >= 0) & ~limited & (events.random((n, r)) < cm.stand)
        stands = np.where(repeat, stood_before, drawn)
        turnout_mean, share_mean = _draws.race_means(model, np.random.default_rng(race_seq), n)
        share_mean = np.array(share_mean)  # writable: the incumbents' shares are boosted
        _boost(share_mean, sitting, stands, cm.advantage)
        turnout, cast, invalid, votes = _draws.precincts(
            model, np.random.default_rng(precinct_seq), turnout_mean, share_mean)
        t = tally_draws(model, rules, [Draws(turnout_mean=turnout_mean, share_mean=share_mean,
                                             turnout=turnout, cast=cast, invalid=invalid,
                                             votes=votes)])
        winner = t.decision.winner
        won = active & (winner >= 0)
        kept = won & stands & (winner == sitting)
        term = np.where(kept, served + 1, 1)
        leaves = won & (sitting >= 0) & ~kept  # the sitting akim leaves when another is elected
        ends = won & (events.random((n, r)) < cm.early)
        at = 1 + np.floor(events.random((n, r)) * (cm.term_months - 1)).astype(np.int64)

        if counts is not None:
            cycle = np.minimum(month // cm.term_months, cm.cycles - 1)
            _count(counts, cycle, _Round(active=active, repeat=repeat, won=won, kept=kept,
                                         term=term,
                                         leaves=leaves, limited=limited, stands=stands,
                                         served=served, dismissed_served=dismissed_served))
        if record is not None:
            new = won & ~kept
            record.append((active, month.copy(), np.where(won, winner, -1),
                           np.where(kept, person, np.where(new, next_person, -1)),
                           np.where(won, term, 0)))

        # the state at each race's next election
        person = np.where(won & ~kept, next_person, person)
        next_person = next_person + (won & ~kept)
        month = np.where(active & ~won, month + cm.repeat_months,
                         np.where(ends, month + at + cm.early_months,
                                  np.where(won, month + cm.term_months, month)))
        sitting = np.where(won, np.where(ends, -1, winner), sitting)
        served = np.where(won, np.where(ends, 0, term), served)
        dismissed_served = np.where(active, np.where(ends, term, 0), dismissed_served)
        repeat = active & ~won
        stood_before = stands
        i += 1


@attrs.frozen(eq=False)
class _Round:
    active: np.ndarray
    repeat: np.ndarray
    won: np.ndarray
    kept: np.ndarray
    term: np.ndarray
    leaves: np.ndarray
    limited: np.ndarray
    stands: np.ndarray
    served: np.ndarray
    dismissed_served: np.ndarray


def _count(c: _Counts, cycle: np.ndarray, x: _Round) -> None:
    n_cycles, width = c.winner_term.shape

    def add(target: np.ndarray, mask: np.ndarray) -> None:
        target += np.bincount(cycle[mask], minlength=n_cycles)

    def add2(target: np.ndarray, mask: np.ndarray, column: np.ndarray) -> None:
        target += np.bincount(cycle[mask] * target.shape[1] + column[mask],
                              minlength=target.size).reshape(target.shape)

    early = x.active & (x.dismissed_served > 0)
    add(c.elections, x.active)
    add(c.early, early)
    add(c.failed, x.active & ~x.won)
    first = x.active & ~x.repeat  # a repeat of a failed vote is not a new choice to count
    add(c.repeats, x.active & x.repeat)
    add(c.sitting, first & (x.served > 0))
    add(c.term_limited, first & x.limited)
    add(c.stood, first & x.stands)
    add(c.incumbent_won, x.kept)
    add(c.open_seats, first & ~x.stands)
    add2(c.winner_term, x.won, np.minimum(x.term, width - 1))
    reasons = (x.leaves & x.limited, x.leaves & ~x.limited & ~x.stands, x.leaves & x.stands,
               early)
    for j, mask in enumerate(reasons):
        c.exits[:, j] += np.bincount(cycle[mask], minlength=n_cycles)
    add2(c.exit_served, x.leaves, np.minimum(x.served, width - 1))
    add2(c.exit_served, early, np.minimum(x.dismissed_served, width - 1))


@attrs.frozen(eq=False)
class CycleSummary:
    """Per cycle (C), exact counts over all runs and races; see :class:`_Counts` for each."""

    runs: int
    cycles: int
    term_limit: int
    term_months: int
    elections: np.ndarray
    early: np.ndarray
    failed: np.ndarray
    repeats: np.ndarray
    sitting: np.ndarray
    term_limited: np.ndarray
    stood: np.ndarray
    incumbent_won: np.ndarray
    open_seats: np.ndarray
    winner_term: np.ndarray
    exits: np.ndarray
    exit_served: np.ndarray

    @property
    def won(self) -> np.ndarray:
        """(C,) elections that elected someone."""
        return self.elections - self.failed


@attrs.frozen(eq=False)
class CycleJob:
    """``runs`` histories as a :class:`engine.simulation.blocks.BlockJob`: block ``b`` follows
    runs ``64 b ..``, its round ``i`` drawn from child ``(b, i)`` of ``root``."""

    model: Model
    rules: RuleSet
    cm: CycleModel
    root: np.random.SeedSequence
    runs: int

    @property
    def n_blocks(self) -> int:
        return -(-self.runs // BLOCK_RUNS)

    def new(self) -> _Counts:
        return _Counts(self.cm.cycles, self.cm.term_limit)

    def add(self, blocks: range, acc: _Counts) -> None:
        for b in blocks:
            _block(self.model, self.rules, self.cm, self.root, b, block_runs(self.runs, b), acc)

    def work_in(self, blocks: range) -> int:
        return sum(block_runs(self.runs, b) for b in blocks)


def run_cycles(model: Model, rules: RuleSet, cm: CycleModel, runs: int,
               seed: int | np.random.SeedSequence, *, jobs: int | None = None,
               chunk_runs: int | None = None, progress: Progress | None = None,
               backend: Backend | None = None) -> CycleSummary:
    """Simulate ``runs`` histories of ``cm.cycles`` terms of every race of ``model``, on
    ``backend`` (default: ``jobs`` threads here); the same bytes on any backend."""
    if runs < 1:
        msg = f"runs: must be >= 1, got {runs}"
        raise ValueError(msg)
    if cm.incumbent.shape != (model.n_races,) or cm.served.shape != (model.n_races,):
        msg = f"incumbent and served: must have shape ({model.n_races},)"
        raise ValueError(msg)
    if ((cm.incumbent >= model.n_candidates) | (cm.incumbent < -1)).any():
        msg = "incumbent: must be a candidate slot of its race or -1"
        raise ValueError(msg)
    backend = Threads(cores() if jobs is None else jobs) if backend is None else backend
    job = CycleJob(model=model, rules=rules, cm=cm, root=root_seed(seed), runs=runs)
    chunk = chunk_runs or max(BLOCK_RUNS,
                              default_chunk_runs(model, runs, backend.slots) // cm.cycles)
    total = map_blocks(backend, job, -(-chunk // BLOCK_RUNS), progress)
    return CycleSummary(runs=runs, cycles=cm.cycles, term_limit=cm.term_limit,
                        term_months=cm.term_months, **vars(total))


def history(model: Model, rules: RuleSet, cm: CycleModel, seed: int | np.random.SeedSequence,
            block: int = 0, runs: int = BLOCK_RUNS) -> History:
    """Every round of block ``block``, as :func:`run_cycles` draws it."""
    record: list = []
    _block(model, rules, cm, root_seed(seed), block, block_runs(runs, block), None, record)
    active, month, winner, person, term = (np.stack(x) for x in zip(*record, strict=True))
    return History(active=active, month=month, winner=winner, person=person, term=term)
