"""Four-year terms, the two-consecutive-terms limit, and who may stand.

Days are counted as :mod:`engine.law.dates` says.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from fractions import Fraction

import attrs

from engine.law.dates import DAY, age_on, term_end
from engine.law.rules import RuleSet, ruleset_of

__all__ = ["Term", "consecutive_terms", "eligible", "next_term", "signatures_needed",
           "terminate"]


def _not_before_start(term: Term, _attribute: attrs.Attribute, end: dt.date) -> None:
    if end < term.start:
        msg = f"a term cannot end ({end}) before it starts ({term.start})"
        raise ValueError(msg)


@attrs.frozen(kw_only=True)
class Term:
    """One person's term as akim of one unit: ``start`` to ``end``, both days included.

    ``end`` defaults to the full four years (:func:`term_end`); an earlier ``end`` is a term cut
    short (:func:`terminate`), which still counts as a term served.
    """

    start: dt.date
    end: dt.date = attrs.field(validator=_not_before_start)
    unit: str = ""
    holder: str = ""

    @end.default
    def _full_term(self) -> dt.date:
        return term_end(self.start)


def terminate(term: Term, on: dt.date) -> Term:
    """``term`` cut short: the holder's powers end on ``on`` (the last day held)."""
    if not term.start <= on <= term.end:
        msg = f"termination {on} falls outside the term {term.start} to {term.end}"
        raise ValueError(msg)
    return attrs.evolve(term, end=on)


def next_term(
    holder: str,
    vote: dt.date,
    rules: RuleSet | str,
    *,
    previous: Term | None = None,
    unit: str | None = None,
    start: dt.date | None = None,
) -> Term:
    """The term won at the vote on ``vote``.

    It starts the day after ``previous`` ends if that term outlasts the vote; otherwise (a
    vacancy) the day after the vote, an assumption: Semey's winner took office two days after
    the 2025 vote (seed 001), and the law allows seven days to register the winner.
    """
    if start is None:
        start = previous.end + DAY if previous and previous.end >= vote else vote + DAY
    if unit is None:
        unit = previous.unit if previous else ""
    return Term(start=start, end=term_end(start, ruleset_of(rules).term_years), unit=unit,
                holder=holder)


def consecutive_terms(terms: Iterable[Term], unit: str, start: dt.date) -> int:
    """How many consecutive terms of ``unit`` a new term starting on ``start`` would follow.

    ``terms`` are one person's. A term is consecutive with the next when the person held the
    post up to the next one's start (``end + 1 day >= next.start``); a term cut short counts.
    """
    held = sorted((t for t in terms if t.unit == unit and t.start < start), key=lambda t: t.start)
    count, following = 0, start
    for term in reversed(held):
        if term.end + DAY < following:
            break
        count, following = count + 1, term.start
    return count


def eligible(
    birth: dt.date,
    terms_held: Iterable[Term],
    unit: str,
    election_date: dt.date,
    rules: RuleSet | str,
    *,
    term_start: dt.date | None = None,
) -> list[str]:
    """Why a person may not stand for akim of ``unit`` on ``election_date``; empty if eligible.

    Age is taken on election day. The new term is taken to start on ``term_start`` (default: the
    election day, so a sitting akim's term runs up to it).
    """
    r = ruleset_of(rules)
    reasons = []
    age = age_on(birth, election_date)
    if age < r.min_age:  # Art. 36-2: at least 25 on election day (seed 001)
        reasons.append(f"aged {age} on election day {election_date}; at least {r.min_age} needed")
    start = election_date if term_start is None else term_start
    run = consecutive_terms(terms_held, unit, start)
    if run >= r.term_limit:  # Art. 36-2: no more than two consecutive terms (seed 001)
        reasons.append(f"has held {run} consecutive terms as akim of {unit!r}; "
                       f"the limit is {r.term_limit}")
    return reasons


def signatures_needed(registered: int, rules: RuleSet | str) -> int:
    """Signatures a self-nominee needs: ``signature_share`` of registered voters, rounded up."""
    if registered < 0:
        msg = f"registered voters must be >= 0, got {registered}"
        raise ValueError(msg)
    share = Fraction(ruleset_of(rules).signature_share)
    return -(-registered * share.numerator // share.denominator)
