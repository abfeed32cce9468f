"""Indirect election by maslikhat deputies (2013-2021): the re-vote among tied leaders.

From 2013 to 2021 rural and town akims were elected by the deputies of the district (town)
maslikhat, by secret ballot, from candidates proposed by the district akim (seeds 002, 003;
DESIGN.md section 4). :func:`engine.law.rules.decide` applies the quorum and the threshold; a
tie for first place leads to one re-vote among the tied (:func:`decide_rounds`), and a second
tie to a repeat election (outcome ``tie``).
"""

from __future__ import annotations

import attrs
import numpy as np

from engine.law.rules import Decision, Outcome, RuleSet, decide

__all__ = ["decide_rounds"]


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
