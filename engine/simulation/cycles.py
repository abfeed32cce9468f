"""Multi-cycle simulation: every race elected again and again on the legal calendar, four-year
terms, the term limit, early elections.

Each run follows every race over ``cycles`` regular terms (DESIGN.md section 8), day by day as
the law counts them (:mod:`engine.law.days`, the timetable of :mod:`engine.law.calendar` that
``saylau schedule`` prints). At each election the sitting akim stands again with probability
``stand`` unless the limit bars them (``rules.term_limit`` consecutive terms, Law on Local
Government Art. 36-2, seed 001); a standing incumbent's mean share is multiplied by
``exp(advantage)`` (the incumbency advantage, on the log scale of the model's race swing) before
the race's shares are renormalised. The vote itself is the Monte-Carlo of
:mod:`engine.simulation`, with the file's ``[model.irregularities]``, tallied and decided by the
same rules.

The winner's term starts the day after the outgoing term ends when that term outlasts the vote,
else the day after the vote (:func:`engine.law.terms.next_term`; the first simulated winners
take office the day after the first vote), and runs ``rules.term_years``. Its successor is
elected at the regular vote: the latest Sunday at least ``term_end_days`` before the term ends.
With probability ``early`` the akim's powers end early instead (dismissal), on a day drawn
uniformly from the term's start to the day before that regular vote; the early election is held
on the early timetable's vote (called within a month, held within the month after), or, when
that would come on or after the regular vote, the regular vote fills the vacant post. A failed
or tied election is repeated on the early timetable counted from the failed vote (an
assumption: :func:`engine.law.days.repeat_votes`), the sitting akim staying in office
meanwhile. A dismissed akim does not stand again.

A candidate *slot* of a race is a party's line on the ballot; who fills it changes: the
incumbent while they stand, else a newcomer of the same party with the slot's mean share. So a
term-limited akim's seat opens, and their party's next candidate starts again at term one.

Elections are counted by the cycle they fall in: cycle c runs from the c-th regular vote of a
race no early end has moved (the first vote for c = 0) to the day before the next. Runs are
drawn in blocks like :func:`engine.simulation.runner.run`; round ``i`` of block ``b`` draws
from ``SeedSequence(seed)``'s child ``(b, i)``, so results are the same bytes for any chunking
and any number of threads.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import attrs
import numpy as np

from engine.law import days
from engine.law.calendar import deadlines, regular_vote_date
from engine.law.dates import term_end
from engine.law.rules import RuleSet
from engine.law.terms import Term
from engine.simulation import draws as _draws
from engine.simulation.cycle_counts import EXIT_REASONS, Counts, CycleSummary, Round, count
from engine.simulation.draws import Draws
from engine.simulation.model import Model
from engine.simulation.runner import default_chunk_runs, map_blocks
from engine.simulation.seeds import BLOCK_RUNS, block_runs, child_seed, root_seed
from engine.simulation.tallies import tally_draws
from engine.tally.threads import cores

__all__ = ["DEFAULT_ADVANTAGE", "DEFAULT_EARLY", "DEFAULT_STAND", "EXIT_REASONS", "CycleModel",
           "CycleSummary", "History", "history", "run_cycles"]

# Defaults, placeholders of a plausible size (no source publishes them): most akims who may
# stand again do; a standing incumbent's share weighs about 1.35 times a newcomer's; about one
# term in twenty ends early (Semey, August 2025, is one such case).
DEFAULT_STAND = 0.8
DEFAULT_ADVANTAGE = 0.3
DEFAULT_EARLY = 0.05


@attrs.frozen(eq=False)
class CycleModel:
    """What happens between elections, and the calendar they keep.

    incumbent : (R,) slot of the akim sitting before the first simulated election, -1 none
    served : (R,) consecutive terms that akim has already served (0 where none)
    first_vote : the day of the first simulated election; timetable : the rule set whose
    timetable dates the votes (:data:`engine.law.calendar.DEADLINES`)
    """

    cycles: int
    incumbent: np.ndarray
    served: np.ndarray
    first_vote: dt.date
    timetable: str
    stand: float = DEFAULT_STAND
    advantage: float = DEFAULT_ADVANTAGE
    early: float = DEFAULT_EARLY
    term_years: int = 4
    term_limit: int = 2

    def __attrs_post_init__(self) -> None:
        if self.cycles < 1:
            msg = f"cycles: must be >= 1, got {self.cycles}"
            raise ValueError(msg)
        for name in ("stand", "early"):
            if not 0 <= getattr(self, name) <= 1:
                msg = f"{name}: must be in [0, 1], got {getattr(self, name)}"
                raise ValueError(msg)
        if self.term_years < 1 or self.term_limit < 1:
            msg = "term_years and term_limit: must be >= 1"
            raise ValueError(msg)
        deadlines(self.timetable)  # a rule set without a timetable is refused here

    @classmethod
    def of(cls, rules: RuleSet, n_races: int, cycles: int, *, first_vote: dt.date,
           **kw: Any) -> CycleModel:
        incumbent = kw.pop("incumbent", np.full(n_races, -1, np.int64))
        served = kw.pop("served", np.zeros(n_races, np.int64))
        return cls(cycles=cycles, incumbent=np.asarray(incumbent, np.int64),
                   served=np.asarray(served, np.int64), first_vote=first_vote,
                   timetable=rules.name, term_years=rules.term_years,
                   term_limit=rules.term_limit, **kw)

    def cycle_starts(self) -> list[dt.date]:
        """The ``cycles + 1`` days that bound the cycles: the first vote, then each regular
        vote of a race whose akims serve full terms, each term starting the day after the
        last ends (:func:`engine.law.calendar.regular_vote_date`)."""
        out = [self.first_vote]
        start = self.first_vote + dt.timedelta(days=1)
        for _ in range(self.cycles):
            term = Term(start=start, end=term_end(start, self.term_years))
            out.append(regular_vote_date(term, self.timetable))
            start = term.end + dt.timedelta(days=1)
        return out


@attrs.frozen(eq=False)
class History:
    """Every round of one block, for tests and for callers that want whole histories; (rounds,
    n, R) arrays. day : the vote (a day number, :mod:`engine.law.days`); winner, person, term
    (the consecutive term the winner starts); start, end : the term won (end: the last day
    served, the termination day when it ended early); terminated, early, repeat : the term
    ended early, the vote is an early election, the vote repeats a failed one. ``person``
    numbers the akims of a race in order of first election (-1: nobody elected)."""

    active: np.ndarray
    day: np.ndarray
    winner: np.ndarray
    person: np.ndarray
    term: np.ndarray
    start: np.ndarray
    end: np.ndarray
    terminated: np.ndarray
    early: np.ndarray
    repeat: np.ndarray


def _boost(shares: np.ndarray, slot: np.ndarray, on: np.ndarray, advantage: float) -> None:
    """Multiply shares[n, r, slot[n, r]] by exp(advantage) where ``on``; renormalise in place."""
    if not on.any() or advantage == 0:
        return
    n, r = np.nonzero(on)
    shares[n, r, slot[n, r]] *= np.exp(advantage)
    shares[n, r] /= shares[n, r].sum(axis=-1, keepdims=True)


def _block(model: Model, rules: RuleSet, cm: CycleModel, root: np.random.SeedSequence,
           block: int, n: int, counts: Counts | None, record: list | None = None) -> None:
    """Every election of ``n`` runs (block ``block``), round after round, until each race's
    next election falls past the last cycle. Counts into ``counts``; rounds into ``record``."""
    r = model.n_races
    starts = np.array([days.day_number(d) for d in cm.cycle_starts()], np.int64)
    horizon = starts[-1]
    day = np.full((n, r), starts[0], np.int64)
    prev_end = day - 1                     # the outgoing term's last day (none before: vacant)
    sitting = np.broadcast_to(cm.incumbent, (n, r)).copy()
    served = np.broadcast_to(np.where(cm.incumbent >= 0, cm.served, 0), (n, r)).copy()
    person = np.where(sitting >= 0, 0, -1)
    next_person = np.ones((n, r), np.int64)
    dismissed_served = np.zeros((n, r), np.int64)  # > 0: this vote follows a dismissal
    early = np.zeros((n, r), bool)         # this vote is an early election
    repeat = np.zeros((n, r), bool)        # this vote repeats a failed one
    stood_before = np.zeros((n, r), bool)
    i = 0
    while (active := day < horizon).any():
        race_seq, precinct_seq, event_seq = child_seed(root, block, i).spawn(3)
        events = np.random.default_rng(event_seq)
        limited = (sitting >= 0) & (served >= cm.term_limit)
        # a repeat of a failed vote has the same candidates: the incumbent's choice stands
        drawn = (sitting >= 0) & ~limited & (events.random((n, r)) < cm.stand)
        stands = np.where(repeat, stood_before, drawn)
        turnout_mean, share_mean = _draws.race_means(model, np.random.default_rng(race_seq), n)
        share_mean = np.array(share_mean)  # writable: the incumbents' shares are boosted
        _boost(share_mean, sitting, stands, cm.advantage)
        precinct_rng = np.random.default_rng(precinct_seq)
        turnout, cast, invalid, votes = _draws.precincts(model, precinct_rng, turnout_mean,
                                                         share_mean)
        cast, votes, fraud = _draws.irregular(model, precinct_rng, cast, votes)
        t = tally_draws(model, rules, [Draws(turnout_mean=turnout_mean, share_mean=share_mean,
                                             turnout=turnout, cast=cast, invalid=invalid,
                                             votes=votes, fraud=fraud)])
        winner = t.decision.winner
        won = active & (winner >= 0)
        kept = won & stands & (winner == sitting)
        term = np.where(kept, served + 1, 1)
        leaves = won & (sitting >= 0) & ~kept  # the sitting akim leaves when another is elected

        # the term won: next_term's start, the regular vote of its successor, an early end
        start = np.where(prev_end >= day, prev_end + 1, day + 1)
        full_end = days.term_ends(start, cm.term_years)
        regular = days.regular_votes(start, cm.timetable, cm.term_years)
        ends = won & (events.random((n, r)) < cm.early)
        cut = start + np.floor(events.random((n, r)) * (regular - start)).astype(np.int64)
        early_vote = days.early_votes(cut, cm.timetable)
        goes_early = ends & (early_vote < regular)

        if counts is not None:
            cycle = np.clip(np.searchsorted(starts, day, side="right") - 1, 0, cm.cycles - 1)
            count(counts, cycle, Round(active=active, repeat=repeat, early=early, won=won,
                                       kept=kept, term=term, leaves=leaves, limited=limited,
                                       stands=stands, served=served,
                                       dismissed_served=dismissed_served, day=day))
            if fraud is not None:
                dirty = active[:, model.race] & (fraud > 0)
                counts.fraud_precincts += np.bincount(cycle[:, model.race][dirty],
                                                      minlength=cm.cycles)
        if record is not None:
            new = won & ~kept
            record.append((active, day.copy(), np.where(won, winner, -1),
                           np.where(kept, person, np.where(new, next_person, -1)),
                           np.where(won, term, 0), np.where(won, start, -1),
                           np.where(won, np.where(ends, cut, full_end), -1), ends,
                           early.copy(), repeat.copy()))

        # the state at each race's next election
        person = np.where(won & ~kept, next_person, person)
        next_person = next_person + (won & ~kept)
        day = np.where(active & ~won, days.repeat_votes(day, cm.timetable),
                       np.where(won, np.where(goes_early, early_vote, regular), day))
        prev_end = np.where(won, np.where(ends, cut, full_end), prev_end)
        sitting = np.where(won, np.where(ends, -1, winner), sitting)
        served = np.where(won, np.where(ends, 0, term), served)
        dismissed_served = np.where(active, np.where(ends, term, 0), dismissed_served)
        early = np.where(active, goes_early, early)
        repeat = active & ~won
        stood_before = stands
        i += 1


def run_cycles(model: Model, rules: RuleSet, cm: CycleModel, runs: int,
               seed: int | np.random.SeedSequence, *, jobs: int | None = None,
               chunk_runs: int | None = None, progress=None) -> CycleSummary:
    """Simulate ``runs`` histories of ``cm.cycles`` terms of every race of ``model``."""
    if runs < 1:
        msg = f"runs: must be >= 1, got {runs}"
        raise ValueError(msg)
    if cm.incumbent.shape != (model.n_races,) or cm.served.shape != (model.n_races,):
        msg = f"incumbent and served: must have shape ({model.n_races},)"
        raise ValueError(msg)
    if ((cm.incumbent >= model.n_candidates) | (cm.incumbent < -1)).any():
        msg = "incumbent: must be a candidate slot of its race or -1"
        raise ValueError(msg)
    jobs = cores() if jobs is None else jobs
    root = root_seed(seed)

    def work(blocks: range, acc: Counts) -> None:
        for b in blocks:
            _block(model, rules, cm, root, b, block_runs(runs, b), acc)

    chunk = chunk_runs or max(BLOCK_RUNS, default_chunk_runs(model, runs, jobs) // cm.cycles)
    total = map_blocks(runs, chunk, jobs, lambda: Counts(cm.cycles, cm.term_limit), work,
                       progress)
    starts = np.array([days.day_number(d) for d in cm.cycle_starts()], np.int64)
    return CycleSummary(runs=runs, cycles=cm.cycles, term_limit=cm.term_limit,
                        term_years=cm.term_years, starts=starts, **vars(total))


def history(model: Model, rules: RuleSet, cm: CycleModel, seed: int | np.random.SeedSequence,
            block: int = 0, runs: int = BLOCK_RUNS) -> History:
    """Every round of block ``block``, as :func:`run_cycles` draws it."""
    record: list = []
    _block(model, rules, cm, root_seed(seed), block, block_runs(runs, block), None, record)
    fields = [np.stack(x) for x in zip(*record, strict=True)]
    return History(*fields)
