"""The model check of a fitted indirect round: simulate the fitted model many times, apart from
the uniforms the fit read, and say where each published figure falls in its simulated
distribution (a posterior-predictive style check, with the fitted point standing in for the
posterior).

Each figure gets its simulated mean, 5/50/95% quantiles (exact order statistics of the runs),
the share of runs below it and at or below it (a count has ties: the figure's quantile is the
interval between the two), and whether it lies in the central 90% (between the 5% and 95%
quantiles). Figures the model implies but was not fitted to are checked the same way:
races failed for want of a quorum or a majority (the races left when the elected and the tied
are taken away), and the incumbents who kept their posts, which the model has no notion of:
they can only be among the races the akim's first proposed candidate won, so that count must
be at least the published one if every incumbent who stood was proposed first (an assumption,
said in the note).
"""

from __future__ import annotations

import attrs
import numpy as np

from engine.law.rules import RuleSet
from engine.simulation.blocks import Backend, Threads
from engine.simulation.indirect import Deputies, Round, RoundCounts
from engine.simulation.indirect_job import round_on
from engine.simulation.seeds import CHECK_STREAM, child_seed

__all__ = ["CheckRow", "ModelCheck", "model_check"]


@attrs.frozen
class CheckRow:
    """One published figure against its simulated distribution.

    statistic : what the simulation counts; relation : "equals" (the figure is one draw of the
    statistic) or "at most" (the figure bounds it); below, at_or_below : shares of runs whose
    statistic is below / at or below the figure; inside : the figure lies in the central 90%
    (for "at most": the statistic reaches the figure in at least 5% of runs).
    """

    figure: str
    published: int
    statistic: str
    relation: str
    fitted: bool
    mean: float
    quantiles: tuple[int, int, int]
    below: float
    at_or_below: float
    inside: bool
    note: str = ""


@attrs.frozen(eq=False)
class ModelCheck:
    """Rows of the check and the rounds they came from."""

    rows: tuple[CheckRow, ...]
    runs: int
    counts: RoundCounts

    def row(self, figure: str) -> CheckRow:
        return next(r for r in self.rows if r.figure == figure)


def _row(figure: str, published: int, x: np.ndarray, statistic: str, *, fitted: bool,
         relation: str = "equals", note: str = "") -> CheckRow:
    q = np.percentile(x, [5, 50, 95], method="inverted_cdf").astype(int)
    below = float((x < published).mean())
    at_or_below = float((x <= published).mean())
    if relation == "equals":
        inside = bool(q[0] <= published <= q[2])
    else:  # the statistic must reach the figure
        inside = bool((x >= published).mean() >= 0.05)
    return CheckRow(figure=figure, published=published, statistic=statistic,
                    relation=relation, fitted=fitted, mean=float(x.mean()),
                    quantiles=(int(q[0]), int(q[1]), int(q[2])), below=below,
                    at_or_below=at_or_below, inside=inside, note=note)


def model_check(rnd: Round, rules: RuleSet, deputies: Deputies, published: dict[str, int],
                targets: tuple[str, ...], runs: int, seed: int,
                backend: Backend | None = None) -> ModelCheck:
    """``runs`` rounds at ``deputies``, drawn from ``child_seed(seed, CHECK_STREAM)``, and a row
    for each figure of ``published`` the model speaks to (``targets``: those it was fitted
    to). ``backend``: where the rounds run (threads, a Dask cluster: the same counts), default
    one thread here."""
    counts = round_on(backend or Threads(1), rnd, rules, deputies, runs=runs,
                      seed=child_seed(seed, CHECK_STREAM))
    rows = [_row(name, published[name], counts.stat(name), name, fitted=name in targets)
            for name in ("ties", "one_vote_margins", "elected", "failed_quorum",
                         "failed_majority") if name in published]
    if {"races", "elected", "ties"} <= published.keys() and rnd.n_races == published["races"]:
        failed = published["races"] - published["elected"] - published["ties"]
        rows.append(_row("failed", failed, counts.failed_quorum + counts.failed_majority,
                         "failed_quorum + failed_majority", fitted=False,
                         note="races - elected - ties: left without a winner other than by "
                              "a tie (no quorum or no majority)"))
    if "incumbents_reelected" in published:
        rows.append(_row(
            "incumbents_reelected", published["incumbents_reelected"],
            counts.first_choice_won, "first_choice_won", fitted=False, relation="at most",
            note="the model has no incumbents: if every sitting akim who stood was the "
                 "candidate proposed first, those re-elected are among the races the first "
                 "proposed won"))
    return ModelCheck(rows=tuple(rows), runs=runs, counts=counts)
