"""How many ballots a risk-limiting audit would need to confirm each race, and which races are
close enough to recount.

A risk-limiting audit checks paper ballots until it has strong evidence that a full hand count
would find the same winner; the risk limit alpha bounds the chance of confirming a wrong one.
Each race's outcome rests on assertions "the winner has more votes than X", one per loser and,
when against all can void the race, one about against all (``fails_if_top``: the winner beats
it; ``fails_if_majority``: the other options together beat it). The audit confirms them all, so
the race needs the largest sample any of them needs:

- BRAVO ballot polling (Lindeman, Stark and Yates 2012), per assertion with winner and loser
  shares p_w, p_l of all ballots cast and s_w = p_w / (p_w + p_l): the average sample number
  ASN = (ln(1 / alpha) + z_w / 2) / (p_w z_w + p_l z_l), z_w = ln(2 s_w), z_l = ln(2 - 2 s_w);
- super-simple ballot-level comparison (Stark 2010), with the diluted margin mu (the smallest
  assertion margin over ballots cast) and no expected discrepancies:
  n = 2 gamma ln(1 / alpha) / mu, gamma = 1.03905.

Both are rounded up and capped at the ballots cast (a full hand count). Races without a winner
(ties, failed elections) have nothing to confirm: -1.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import attrs
import numpy as np

from engine.law.rules import RuleSet
from engine.records import UNKNOWN
from engine.tally.races import RaceResults

if TYPE_CHECKING:
    from engine.replay.run import Replay

__all__ = ["BALLOT_BASES", "GAMMA", "OPPONENT_AGAINST_ALL", "AuditPlan", "audit_ballots",
           "bravo_asn", "comparison_sample", "plan", "replay_ballots"]

GAMMA = 1.03905  # Stark's error inflation for the super-simple method
OPPONENT_AGAINST_ALL = -2  # AuditPlan.opponent of the assertion about against all
RECOUNT_VOTES = 1  # a margin of at most this many votes is flagged for a recount
RECOUNT_PERCENT = 0.5  # ... or of at most this percentage of valid votes


def bravo_asn(winner: np.ndarray, loser: np.ndarray, ballots: np.ndarray,
              risk_limit: float) -> np.ndarray:
    """BRAVO's average sample number (not rounded) for winner vs loser votes out of ``ballots``
    cast; inf where the winner does not lead. Arrays broadcast; float64."""
    w, lo, n = (np.asarray(a, dtype=np.float64) for a in (winner, loser, ballots))
    with np.errstate(divide="ignore", invalid="ignore"):
        pw, pl = w / n, lo / n
        sw = w / (w + lo)
        zw = np.log(2 * sw)
        zl_term = np.where(lo > 0, pl * np.log(2 - 2 * sw), 0.0)  # no loser votes: no term
        asn = (np.log(1 / risk_limit) + zw / 2) / (pw * zw + zl_term)
    return np.where((w > lo) & (n > 0), asn, np.inf)


def comparison_sample(margin: np.ndarray, ballots: np.ndarray, risk_limit: float,
                      gamma: float = GAMMA) -> np.ndarray:
    """The super-simple comparison audit's sample (not rounded) for a margin in votes out of
    ``ballots`` cast, no discrepancies expected; inf for no margin. float64."""
    m, n = np.asarray(margin, dtype=np.float64), np.asarray(ballots, dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        out = 2 * gamma * np.log(1 / risk_limit) * n / m
    return np.where((m > 0) & (n > 0), out, np.inf)


@attrs.frozen(eq=False)
class AuditPlan:
    """Per race (R,): what an audit of the declared winner needs, and recount flags.

    ballots : int64, ballots cast the audit samples from (-1 unknown)
    margin : int64, the smallest assertion margin in votes (the race's margin without a winner)
    diluted_margin : float64, margin / ballots
    opponent : int64, the candidate whose assertion needs the most ballots, or
        OPPONENT_AGAINST_ALL
    bravo, comparison : int64, ballots to sample, capped at ``ballots``; -1 nothing to confirm
    full_count : bool, BRAVO would need every ballot: a hand count is the audit
    recount : bool, margin <= ``recount_votes`` or <= ``recount_percent`` % of valid votes
    """

    risk_limit: float
    gamma: float
    recount_votes: int
    recount_percent: float
    ballots: np.ndarray
    margin: np.ndarray
    diluted_margin: np.ndarray
    opponent: np.ndarray
    bravo: np.ndarray
    comparison: np.ndarray
    full_count: np.ndarray
    recount: np.ndarray


def _assertions(res: RaceResults, rules: RuleSet) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Winner-side and loser-side votes of every assertion (R, K + 1) and which exist: one per
    losing candidate, and in the last column one about against all when it can void the race."""
    t = res.totals
    r, k = t.votes.shape
    rows = np.arange(r)
    won = res.winner >= 0
    top = np.where(won, t.votes[rows, np.maximum(res.winner, 0)], 0)
    w = np.zeros((r, k + 1), np.int64)
    lose = np.zeros((r, k + 1), np.int64)
    w[:, :k] = top[:, None]
    lose[:, :k] = t.votes
    exists = np.zeros((r, k + 1), bool)
    candidate = np.arange(k)
    exists[:, :k] = (candidate < t.n_candidates[:, None]) & (candidate != res.winner[:, None])
    aa = t.against_all
    if rules.against_all and rules.against_all_effect != "none":
        w[:, k] = top if rules.against_all_effect == "fails_if_top" else t.valid - aa
        lose[:, k] = aa
        exists[:, k] = aa >= 0
    return w, lose, exists & won[:, None]


def plan(res: RaceResults, rules: RuleSet, *, risk_limit: float = 0.05, gamma: float = GAMMA,
         ballots: np.ndarray | None = None, recount_votes: int = RECOUNT_VOTES,
         recount_percent: float = RECOUNT_PERCENT) -> AuditPlan:
    """Audit sizes and recount flags of every race of ``res`` (a replay's or a simulated
    election's), all races at once. ``ballots`` (R,) replaces the ballots cast where given
    (>= 0), e.g. a count the source did not publish, taken at the top of its inferred interval.
    """
    if not 0 < risk_limit < 1:
        msg = f"risk_limit: must be in (0, 1), got {risk_limit}"
        raise ValueError(msg)
    t = res.totals
    n = t.cast if ballots is None else np.where(np.asarray(ballots) >= 0, ballots, t.cast)
    w, lose, exists = _assertions(res, rules)
    k = t.votes.shape[1]
    asn = np.where(exists, bravo_asn(w, lose, n[:, None], risk_limit), -np.inf)
    audited = exists.any(axis=1) & (n > 0) & (lose >= 0).all(axis=1)
    worst = np.argmax(asn, axis=1)
    rows = np.arange(len(n))
    need = asn[rows, worst]
    margin_all = np.where(exists, w - lose, np.iinfo(np.int64).max)
    margin = np.where(audited, margin_all.min(axis=1), res.margin_votes)
    comp = comparison_sample(margin, n, risk_limit, gamma)
    cap = np.maximum(n, 0).astype(np.float64)
    bravo = np.where(audited, np.ceil(np.minimum(need, cap)), UNKNOWN).astype(np.int64)
    comparison = np.where(audited, np.ceil(np.minimum(comp, cap)), UNKNOWN).astype(np.int64)
    known = margin >= 0
    recount = known & ((margin <= recount_votes)
                       | ((t.valid >= 0) & (100 * margin <= recount_percent * t.valid)))
    with np.errstate(divide="ignore", invalid="ignore"):
        diluted = np.where(known & (n > 0), margin / n, np.nan)
    return AuditPlan(
        risk_limit=risk_limit, gamma=gamma, recount_votes=recount_votes,
        recount_percent=recount_percent, ballots=n.astype(np.int64), margin=margin,
        diluted_margin=diluted, opponent=np.where(worst == k, OPPONENT_AGAINST_ALL, worst),
        bravo=bravo, comparison=comparison, full_count=audited & (need >= cap),
        recount=recount)


# What an audit takes for a race's ballots, best first: the ballots cast (given, or valid +
# invalid), the top of the interval the replay inferred for them, or the valid votes alone: a
# lower bound of the ballots (and so of the sample an audit needs), said so in the output.
BALLOT_BASES = ("cast", "inferred", "valid votes (a lower bound)")


def replay_ballots(replayed: Replay) -> np.ndarray:
    """(R,) ballots cast of a replay's races, an unpublished count at the top of the interval
    the replay inferred for it (the most ballots: the larger, safer sample); -1 unknown."""
    cast = replayed.races.totals.cast.copy()
    for inf in replayed.inferred:
        if inf.key == "cast" and cast[inf.race] < 0 and inf.high is not None:
            cast[inf.race] = inf.high
    return cast


def audit_ballots(replayed: Replay) -> tuple[np.ndarray, np.ndarray]:
    """(R,) the ballots an audit of each race samples from, and (R,) int8 where they come from
    (an index into BALLOT_BASES; -1: unknown). Without ballots cast (OpenElections files rarely
    give them), the valid votes are a lower bound: every ballot with a vote in the race is
    among the ballots, so the sizes are lower bounds too."""
    t = replayed.races.totals
    inferred = replay_ballots(replayed)
    valid = t.valid
    ballots = np.where(inferred >= 0, inferred, valid)
    basis = np.where(t.cast >= 0, 0, np.where(inferred >= 0, 1, np.where(valid >= 0, 2, -1)))
    return ballots, basis.astype(np.int8)
