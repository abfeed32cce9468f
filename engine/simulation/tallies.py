"""A chunk of simulated runs summed to races, decided, and counted into a worker's tallies."""

from __future__ import annotations

import attrs
import numpy as np

from engine.law.rules import Decision, Outcome, RuleSet, decide
from engine.simulation.draws import Draws, draw_block
from engine.simulation.histograms import Histogram
from engine.simulation.model import Model
from engine.simulation.summary import BASIS_POINTS, Grouping
from engine.tally.sums import sum_by_group

__all__ = ["Tallied", "Tallies", "add_chunk", "tally_draws"]


class Tallies:
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

    def __iadd__(self, other: Tallies) -> Tallies:
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


def add_chunk(model: Model, rules: RuleSet, grouping: Grouping | None,
           root: np.random.SeedSequence, runs: int, blocks: range, acc: Tallies) -> None:
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
        assert acc.area is not None  # acc was made with this grouping
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
