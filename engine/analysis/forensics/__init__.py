"""Election forensics on precinct counts: tests that observers and researchers run on published
results, vectorised over precincts.

Each test gives a :class:`Finding`: its statistic, the value clean counting is expected to give
(the reference), and a p-value or a 95% interval. None proves fraud and none proves its absence:
each measures one departure from what independent, honest counting tends to produce (README,
"Forensics and audits").

- fingerprint: turnout against the leader's share, a 2D histogram weighted by registered voters
  (Klimek et al. 2012), summarised by the voter-weighted correlation of the two;
- percentages: precincts whose turnout or leader's share sits within 0.05 points of a whole
  percentage (Kobak, Shpilkin, Pshenichnikov 2016), and whole percentages ending in 0 or 5,
  against one binomial Monte-Carlo null built from the data;
- digits: the mean last digit and the share of counts ending in 0 or 5, against the exact laws
  of those digits when every count is redrawn Binomial(its precinct's valid votes, its share);
  the mean second digit beside Benford's 4.187, descriptive (vote counts need not follow it);
- shape: skewness and kurtosis (population formulas, kurtosis not excess) of turnout and the
  leader's share (descriptive), and Hartigan's dip test of unimodality of turnout;
- turnout and the leader: the within-race slope of the leader's share on turnout (Sobyanin and
  Sukhovolsky) and the turnout-binned estimate of anomalous votes.

A verdict needs :data:`MIN_PRECINCTS` precincts (precinct-level tests) or :data:`MIN_COUNTS`
counts >= 10 (digit tests); with fewer the statistic is nan and there is no verdict. p-values
are one-sided in the direction fraud would push, except the last-digit mean (two-sided).

The leader of a precinct is its race's winner (else the candidate with most votes in the race);
shares are of valid votes, turnout of registered voters. Random draws come from the branch
``child_seed(seed, FORENSICS_STREAM)`` of the seed tree, which no simulation block reaches, one
child per test, so a seed fixes every number and never reuses a simulated election's draws.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence

import attrs
import numpy as np

from engine.analysis.forensics.digits import (
    BENFORD_SECOND_DIGIT_MEAN,
    digit_tests,
    second_digit,
)
from engine.analysis.forensics.findings import (
    ALPHA,
    BOOTSTRAP,
    MIN_COUNTS,
    MIN_PRECINCTS,
    Finding,
    cannot_run,
    judged,
)
from engine.analysis.forensics.fingerprint import Fingerprint, fingerprint
from engine.analysis.forensics.percentages import NULL_RUNS, percentage_tests
from engine.analysis.forensics.precincts import (
    ForensicPrecincts,
    basis_arrays,
    precincts_of,
    simulated_election,
)
from engine.analysis.forensics.shape import dip_test, shape_moments
from engine.analysis.forensics.turnout import anomalous_votes, sobyanin_sukhovolsky
from engine.simulation.blocks import Mapper
from engine.simulation.seeds import FORENSICS_STREAM, child_seed

__all__ = [
    "BENFORD_SECOND_DIGIT_MEAN",
    "MIN_COUNTS",
    "MIN_PRECINCTS",
    "Finding",
    "Fingerprint",
    "ForensicPrecincts",
    "Forensics",
    "anomalous_votes",
    "basis_arrays",
    "digit_tests",
    "dip_test",
    "examine",
    "fingerprint",
    "percentage_tests",
    "precincts_of",
    "second_digit",
    "shape_moments",
    "simulated_election",
    "sobyanin_sukhovolsky",
]


# -- all of them ------------------------------------------------------------------------------
@attrs.frozen(eq=False)
class Forensics:
    """Every test on one election: ``findings`` in a fixed order, the ``fingerprint``."""

    precincts: int
    left_out: int
    registered: int
    cast: int
    findings: tuple[Finding, ...]
    fingerprint: Fingerprint
    seed: int
    alpha: float
    counted: int = -1   # precincts the digit tests read (-1: the same as ``precincts``)
    turnout_basis: str = "cast"   # turnout of ballots cast (or issued) over registered
    share_basis: str = "valid"    # the leader's share of valid votes (or of all ballots)

    @property
    def flagged(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.flagged)

    @property
    def runnable(self) -> bool:
        """Whether any test could run on the data."""
        return any(not f.cannot for f in self.findings)


def _streams(seed: int) -> list[np.random.SeedSequence]:
    """The seeds of the randomised tests (percentages, anomalous votes, second digit, moments):
    children of ``child_seed(seed, FORENSICS_STREAM)``, a branch no simulation draws from."""
    return [child_seed(seed, FORENSICS_STREAM, i) for i in range(4)]


# The tests of turnout (registered voters and ballots cast), with their references, as examine
# gives them when they cannot run.
_PERCENTAGES = (("integer percentages", 0.0), ("percentages ending in 0 or 5", np.nan))
_TURNOUT = (("turnout dip (unimodality)", np.nan), ("share-turnout slope", 0.0),
            ("anomalous votes", 0.0))
_MOMENTS = (("turnout skewness", 0.0), ("leader share skewness", 0.0),
            ("turnout kurtosis", 3.0), ("leader share kurtosis", 3.0),
            ("turnout-share correlation (voters)", 0.0))
_DIGITS = (("last digit mean", np.nan), ("counts ending in 0 or 5", np.nan))


# The tests that draw, or that take longest on a national file (ru-2018's 97,699 precincts,
# measured: percentages 2.1 s, moments 1.8 s, digits 1.2 s, anomalous votes 0.8 s of a 6 s
# examine): each a pure function of the precincts and its own stream, so they may run side by
# side, as a Dask cluster's tasks (``mapper``), with the same numbers.
_PARTS = ("percentages", "anomalous votes", "moments", "digits")

def _part(p: ForensicPrecincts, seed: int, null_runs: int, bootstrap: int, name: str
          ) -> tuple[Finding, ...]:
    """The findings of part ``name`` of :data:`_PARTS`."""
    s = _streams(seed)
    if name == "percentages":
        return percentage_tests(p, s[0], runs=null_runs)
    if name == "anomalous votes":
        return (anomalous_votes(p, s[1], runs=bootstrap),)
    if name == "moments":
        return shape_moments(p, s[3], runs=bootstrap)
    return (*digit_tests(p), second_digit(p, s[2]))


def _in_turn(f: Callable[[str], tuple[Finding, ...]], names: Sequence[str]
             ) -> list[tuple[Finding, ...]]:
    return [f(name) for name in names]


def examine(p: ForensicPrecincts, seed: int = 0, *, alpha: float = ALPHA,
            null_runs: int = NULL_RUNS, bootstrap: int = BOOTSTRAP,
            bases: tuple[str, str] = ("cast", "valid"), mapper: Mapper | None = None
            ) -> Forensics:
    """Run every test on ``p`` that its data can feed (the others say why they cannot, in
    their note); ``seed`` fixes every random draw, each test its own stream on forensics'
    branch of the seed tree (no simulation block draws from it). ``bases`` names what ``p``'s
    turnout and shares are of (:func:`basis_arrays`), for the output to say. ``mapper(f,
    names)``: where the costly parts run (a Dask cluster's map; default one after another
    here), the same findings."""
    runnable = [*(() if p.turnout_missing else _PARTS[:3]), *(_PARTS[3:] if p.n_counted else ())]
    done = dict(zip(runnable, (mapper or _in_turn)(
        functools.partial(_part, p, seed, null_runs, bootstrap), runnable), strict=True))
    if p.turnout_missing:
        why = f"needs registered voters and ballots cast per precinct: {p.turnout_missing}"
        percentages = tuple(cannot_run(n, r, why) for n, r in _PERCENTAGES)
        turnout = tuple(cannot_run(n, r, why) for n, r in _TURNOUT)
        moments = tuple(cannot_run(n, r, why, descriptive=True) for n, r in _MOMENTS)
    else:
        percentages = done["percentages"]
        turnout = (dip_test(p.turnout), sobyanin_sukhovolsky(p), *done["anomalous votes"])
        moments = done["moments"]
    digits: tuple[Finding, ...]
    if p.n_counted:
        digits, second = done["digits"][:-1], done["digits"][-1]
    else:
        why = "needs the candidates' counts: no precinct gives every candidate's count"
        digits = tuple(cannot_run(n, r, why) for n, r in _DIGITS)
        second = cannot_run("second digit mean", BENFORD_SECOND_DIGIT_MEAN, why,
                            descriptive=True)
    tested = (*percentages, *digits, *turnout)
    return Forensics(precincts=p.n, left_out=p.left_out, registered=int(p.registered.sum()),
                     cast=int(p.cast.sum()),
                     findings=tuple(judged(f, alpha) for f in (*tested, second, *moments)),
                     fingerprint=fingerprint(p), seed=seed, alpha=alpha, counted=p.counted,
                     turnout_basis=bases[0], share_basis=bases[1])
