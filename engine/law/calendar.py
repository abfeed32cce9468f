"""The legal timetable of an election: its periods as data per rule set, the stages of one
election, the regular and the early vote, and where a winner stands against the term limit.

Days are counted as :mod:`engine.law.dates` says.
"""

from __future__ import annotations

import datetime as dt
from typing import TypedDict, cast

import attrs

from engine.errors import ScenarioError
from engine.law.dates import DAY, SUNDAY, add_months, days_before, last_weekday
from engine.law.rules import RuleSet, ruleset_of
from engine.law.terms import Term

__all__ = ["DEADLINES", "STAGES", "Deadlines", "LimitAfter", "Stage", "Timetable", "deadlines",
           "early_timetable", "limit_after", "regular_timetable", "regular_vote_date",
           "timetable"]

_MIDNIGHT = dt.time(0)


def _hour(time: dt.time | None) -> str:
    return "" if time is None else f" {time:%H:%M}"


def _months(n: int) -> str:
    return f"{n} month" + ("" if n == 1 else "s")


def _at(day: dt.date, time: dt.time | None) -> dt.date | dt.datetime:
    return day if time is None else dt.datetime.combine(day, time)


@attrs.frozen(kw_only=True)
class Deadlines:
    """The legal periods of one rule set's timetable (DESIGN.md section 4), as data.

    Days count as the module docstring says; a ``*_time`` of None means the rule names no hour
    (the deadline is the end of the day).
    """

    name: str
    call_days: int  # calling at least this many days before the vote
    term_end_days: int  # vote at least this many days before the term ends
    nomination_days: int  # nomination closes this many days before the vote
    nomination_time: dt.time | None
    registration_days: int  # registration closes this many days before the vote
    registration_time: dt.time | None
    vote_opens: dt.time
    vote_closes: dt.time
    results_days: int  # results within this many days after the vote
    winner_days: int  # the winner registered within this many days after the vote
    early_call_months: int  # after an early termination, called within this many months
    early_vote_months: int  # ... and held within this many months after the calling deadline
    # Assumption: every known vote fell on a Sunday (2021-07-25, 2023-11-05, 2025-10-12), so a
    # computed vote date is the latest Sunday the law allows.
    vote_weekday: int = SUNDAY


class _Both(TypedDict):
    """The periods every rule set's timetable shares (the fields of :class:`Deadlines`)."""

    call_days: int
    term_end_days: int
    vote_opens: dt.time
    vote_closes: dt.time
    results_days: int
    winner_days: int
    early_call_months: int
    early_vote_months: int


_BOTH: _Both = {
    # DESIGN sec 4 "timetable, both" (seeds 001, 003): called >= 40 days before the vote.
    "call_days": 40,
    # Same row; seed 003 "Procedure": held 10 days before the incumbent's term expires.
    "term_end_days": 10,
    # Same row; seed 001 timetable: election day 07:00 to 20:00 local time.
    "vote_opens": dt.time(7),
    "vote_closes": dt.time(20),
    # Same row; seed 003 "Results" and seed 001 (results 15 Oct, winner by 19 Oct 2025).
    "results_days": 3,
    "winner_days": 7,
    # Same row: early termination -> called within 1 month, held within 1 month. We count the
    # second month from the calling deadline: from the calling itself it would clash with the
    # 40-day notice, and Semey 2025 (seed 001) was held 46 days after its calling.
    "early_call_months": 1,
    "early_vote_months": 1,
}


DEADLINES: dict[str, Deadlines] = {
    "kz-2021-rural": Deadlines(
        name="kz-2021-rural",
        # DESIGN sec 4 "timetable, rural" (commission statements 2021): nomination from the day
        # after calling to 18:00 fifteen days before the vote; seed 003: closed 9 Jul for 25 Jul.
        nomination_days=15,
        nomination_time=dt.time(18),
        # Same row: registration closes ten days before (no hour given).
        registration_days=10,
        registration_time=None,
        **_BOTH,
    ),
    "kz-2023-district": Deadlines(
        name="kz-2023-district",
        # DESIGN sec 4 "timetable, district" (commission statements 2023; seed 001 fits):
        # nomination from the day after calling to 30 days before the vote.
        nomination_days=30,
        nomination_time=None,
        # Same row: registration closes 25 days before at 18:00 (Semey: 16 Sep 18:00, seed 001).
        registration_days=25,
        registration_time=dt.time(18),
        **_BOTH,
    ),
}


def deadlines(rules: RuleSet | str) -> Deadlines:
    """The timetable periods of a rule set, by its name; ``ScenarioError`` if it has none."""
    name = rules.name if isinstance(rules, RuleSet) else rules
    if name not in DEADLINES:
        ruleset_of(name)  # an unknown name is reported as such
        known = ", ".join(sorted(DEADLINES))
        msg = f"rule set {name!r} has no election timetable (known: {known})"
        raise ScenarioError(file="", place="rules", problem=msg)
    return DEADLINES[name]


STAGES = ("calling", "nomination", "registration", "campaign", "vote", "results",
          "winner_registration")


@attrs.frozen
class Stage:
    """One stage of a timetable: ``start`` to ``end``; a bare date means its whole day."""

    start: dt.date | dt.datetime
    end: dt.date | dt.datetime
    rule: str


@attrs.frozen(kw_only=True)
class Timetable:
    """The legal calendar of one election, stage by stage (names in :data:`STAGES`).

    ``call_by`` is the last legal day for calling this vote, ``vote_by`` the last legal vote
    day (None when neither the term's end nor an early termination is known).
    """

    rules: str
    calling: Stage
    nomination: Stage
    registration: Stage
    campaign: Stage
    vote: Stage
    results: Stage
    winner_registration: Stage
    call_by: dt.date
    vote_by: dt.date | None = None
    term_end: dt.date | None = None
    terminated: dt.date | None = None

    @property
    def vote_date(self) -> dt.date:
        return cast(dt.datetime, self.vote.start).date()  # the vote stage starts at an hour

    @property
    def early_call_by(self) -> dt.date | None:
        """After an early termination, the last day of the month for calling the election."""
        if self.terminated is None:
            return None
        return add_months(self.terminated, DEADLINES[self.rules].early_call_months)

    def stages(self) -> list[tuple[str, Stage]]:
        """``(name, stage)`` in legal order."""
        return [(name, getattr(self, name)) for name in STAGES]


def _fail(place: str, problem: str) -> ScenarioError:
    return ScenarioError("", place, problem)


def timetable(
    vote: dt.date,
    rules: RuleSet | str,
    *,
    called: dt.date | None = None,
    term_end: dt.date | None = None,
    terminated: dt.date | None = None,
) -> Timetable:
    """The timetable of a vote on ``vote``; calling ``called`` (default: as late as allowed).

    Give ``term_end`` (the outgoing term's last day) or ``terminated`` (the day powers ended
    early) to check the vote date against them. Raises ``ScenarioError`` on an illegal date.
    """
    d = deadlines(rules)
    call_by = days_before(vote, d.call_days)
    vote_by = None
    if term_end is not None:
        vote_by = term_end - dt.timedelta(days=d.term_end_days)
    if terminated is not None:
        call_by = min(call_by, add_months(terminated, d.early_call_months))
        vote_by = add_months(add_months(terminated, d.early_call_months), d.early_vote_months)
        if called is None and call_by <= terminated:
            earliest = terminated + DAY + dt.timedelta(days=d.call_days + 1)
            raise _fail(place="vote", problem=f"{vote} leaves no room for {d.call_days} days' "
                        f"notice after the termination on {terminated}; the earliest is {earliest}")
        if called is not None and called <= terminated:
            raise _fail(place="calling",
                        problem=f"{called} is not after the termination on {terminated}")
    if vote_by is not None and vote > vote_by:
        raise _fail(place="vote", problem=f"{vote} is after the last legal day, {vote_by}")
    if called is None:
        called = call_by
    elif called > call_by:
        whole = (vote - called).days - 1
        raise _fail(place="calling", problem=f"{called} is after the last legal day, {call_by} "
                    f"({whole} whole days before the vote {vote}; {d.call_days} needed)")
    reg_close = days_before(vote, d.registration_days)
    campaign_from = (dt.datetime.combine(reg_close, d.registration_time) if d.registration_time
                     else dt.datetime.combine(reg_close + DAY, _MIDNIGHT))
    opens = dt.datetime.combine(vote, d.vote_opens)
    closes = dt.datetime.combine(vote, d.vote_closes)
    if terminated is not None:
        vote_rule = f"by call-by + {_months(d.early_vote_months)}"
    elif term_end is not None:
        vote_rule = f"by term end - {d.term_end_days} days"
    else:
        vote_rule = f"{d.vote_opens:%H:%M}-{d.vote_closes:%H:%M}"
    call_rule = f"by end + {_months(d.early_call_months)}, " if terminated else ""
    return Timetable(
        rules=d.name,
        calling=Stage(called, called, f"{call_rule}>= {d.call_days} days before vote"),
        nomination=Stage(called + DAY, _at(days_before(vote, d.nomination_days), d.nomination_time),
                         f"to {d.nomination_days} days before{_hour(d.nomination_time)}"),
        registration=Stage(called + DAY, _at(reg_close, d.registration_time),
                           f"to {d.registration_days} days before{_hour(d.registration_time)}"),
        campaign=Stage(campaign_from, dt.datetime.combine(vote - DAY, _MIDNIGHT),
                       "to 00:00 the day before"),
        vote=Stage(opens, closes, vote_rule),
        results=Stage(vote, vote + dt.timedelta(days=d.results_days),
                      f"within {d.results_days} days"),
        winner_registration=Stage(vote + DAY, vote + dt.timedelta(days=d.winner_days),
                                  f"within {d.winner_days} days of vote"),
        call_by=call_by,
        vote_by=vote_by,
        term_end=term_end,
        terminated=terminated,
    )


def regular_vote_date(term: Term, rules: RuleSet | str) -> dt.date:
    """The regular vote for the term after ``term``: the latest Sunday (an assumption, see
    :class:`Deadlines`) at least ``term_end_days`` days before the term ends."""
    d = deadlines(rules)
    return last_weekday(term.end - dt.timedelta(days=d.term_end_days), d.vote_weekday)


@attrs.frozen
class LimitAfter:
    """Where a winner stands against the term limit after an election."""

    term: int             # the consecutive term this election starts
    limit: int
    next_vote: dt.date    # the next regular vote, the term taken as starting on election day

    @property
    def may_stand_next(self) -> bool:
        return self.term < self.limit


def limit_after(terms_held: int, elected_on: dt.date, rules: RuleSet | str) -> LimitAfter:
    """The term a winner who already held ``terms_held`` consecutive terms starts, and whether
    the limit lets them stand at the next regular election."""
    ruleset = ruleset_of(rules)
    return LimitAfter(term=terms_held + 1, limit=ruleset.term_limit,
                      next_vote=regular_vote_date(Term(start=elected_on), ruleset))


def regular_timetable(
    term: Term, rules: RuleSet | str, *, vote: dt.date | None = None,
    called: dt.date | None = None,
) -> Timetable:
    """The timetable of the regular election that ends ``term`` (vote as late as allowed)."""
    if vote is None:
        vote = regular_vote_date(term, rules)
    elif vote <= term.start:
        raise _fail(place="vote", problem=f"{vote} is not after the term's start, {term.start}")
    return timetable(vote, rules, called=called, term_end=term.end)


def early_timetable(
    terminated: dt.date, rules: RuleSet | str, *, vote: dt.date | None = None,
    called: dt.date | None = None,
) -> Timetable:
    """The timetable of the early election after powers ended on ``terminated``.

    Called within ``early_call_months`` of the termination, held within ``early_vote_months``
    of that calling deadline; the vote defaults to the latest Sunday allowed.
    """
    d = deadlines(rules)
    if vote is None:
        vote_by = add_months(add_months(terminated, d.early_call_months), d.early_vote_months)
        vote = last_weekday(vote_by, d.vote_weekday)
    return timetable(vote, rules, called=called, terminated=terminated)
