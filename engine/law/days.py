"""The legal calendar on arrays of day numbers, for whole simulations at once.

A day is an int64, the days since 1970-01-01 (numpy's ``datetime64[D]``). Each function is the
array form of one in :mod:`engine.law.dates` or :mod:`engine.law.calendar`, counting days the
same way (the tests hold them equal on random dates): months move to the same day number or the
month's last day, a 29 February's anniversary in a common year is 1 March, a term ends the day
before its anniversary, a regular vote is the latest Sunday ``term_end_days`` before the term
ends, and an early vote the latest Sunday the early timetable allows.
"""

from __future__ import annotations

import datetime as dt

import numpy as np

from engine.law.calendar import deadlines
from engine.law.rules import RuleSet

__all__ = ["add_months", "anniversary", "day_number", "early_votes", "last_weekday", "on",
           "regular_votes", "repeat_votes", "term_ends"]

_EPOCH = dt.date(1970, 1, 1)
_EPOCH_WEEKDAY = _EPOCH.weekday()  # a Thursday


def day_number(day: dt.date) -> int:
    """``day`` as a day number."""
    return (day - _EPOCH).days


def on(day: int) -> dt.date:
    """The date of day number ``day``."""
    return _EPOCH + dt.timedelta(days=int(day))


def _month_parts(days: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    d = np.asarray(days, np.int64).astype("datetime64[D]")
    month = d.astype("datetime64[M]")
    return month, (d - month.astype("datetime64[D]")).astype(np.int64)  # day of month - 1


def _month_length(month: np.ndarray) -> np.ndarray:
    return ((month + 1).astype("datetime64[D]") - month.astype("datetime64[D]")).astype(np.int64)


def add_months(days: np.ndarray, months: int) -> np.ndarray:
    """:func:`engine.law.dates.add_months` on arrays: a missing day number becomes the month's
    last day."""
    month, dom = _month_parts(days)
    target = month + months
    length = _month_length(target)
    out = target.astype("datetime64[D]") + np.minimum(dom, length - 1)
    return out.astype(np.int64)


def anniversary(days: np.ndarray, years: int) -> np.ndarray:
    """:func:`engine.law.dates.anniversary` on arrays: 29 February -> 1 March in a common
    year."""
    month, dom = _month_parts(days)
    target = month + 12 * years
    length = _month_length(target)
    out = target.astype("datetime64[D]") + np.minimum(dom, length - 1)
    return out.astype(np.int64) + (dom > length - 1)


def term_ends(starts: np.ndarray, years: int) -> np.ndarray:
    """:func:`engine.law.dates.term_end` on arrays: the day before the ``years``-th
    anniversary."""
    return anniversary(starts, years) - 1


def last_weekday(days: np.ndarray, weekday: int) -> np.ndarray:
    """:func:`engine.law.dates.last_weekday` on arrays (0 Monday ... 6 Sunday)."""
    days = np.asarray(days, np.int64)
    return days - (days + _EPOCH_WEEKDAY - weekday) % 7


def regular_votes(starts: np.ndarray, rules: RuleSet | str, years: int) -> np.ndarray:
    """:func:`engine.law.calendar.regular_vote_date` of the full terms begun on ``starts``."""
    d = deadlines(rules)
    return last_weekday(term_ends(starts, years) - d.term_end_days, d.vote_weekday)


def early_votes(terminated: np.ndarray, rules: RuleSet | str) -> np.ndarray:
    """The vote :func:`engine.law.calendar.early_timetable` sets after powers ended on
    ``terminated``: the latest Sunday within the calling month and the month after it."""
    d = deadlines(rules)
    by = add_months(add_months(terminated, d.early_call_months), d.early_vote_months)
    return last_weekday(by, d.vote_weekday)


def repeat_votes(failed: np.ndarray, rules: RuleSet | str) -> np.ndarray:
    """The repeat of a vote that elected nobody (a tie, or a failed election), on the early
    timetable counted from the failed vote. Our assumption: no source gives the repeat's
    timetable; 2013's three tied races were set to be repeated on 28 August, three weeks after
    their vote (SOURCES.md), and a direct vote needs 40 days' notice, so the early timetable
    is the nearest rule."""
    return early_votes(failed, rules)
