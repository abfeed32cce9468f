"""Calendar arithmetic as the law counts it.

How days are counted (one convention everywhere, because every published date we hold fits it):

- "N days before the vote" means N whole days lie between the deadline's day and voting day, so
  the deadline falls on ``vote - (N + 1)``. Semey 2025 nomination closed on 11 Sep and
  registration on 16 Sep for a 12 Oct vote (30 and 25 days, seed 001); the 2021 rural nomination
  closed on 9 Jul for a 25 Jul vote (15 days), and registration in Ülken and Berşügır closed 11
  days before their votes (10 days, seed 003). Plain subtraction misses each by one day.
- "Within N days after" is ``day + N`` (Semey 2025: results by 15 Oct, winner by 19 Oct).
- A term runs from its first day to the day before the anniversary ``term_years`` later, and ends
  at the end of that day; the anniversary of 29 February in a common year is 1 March (so a term
  begun on 29 Feb ends on 28 Feb, and a person born on 29 Feb comes of age on 1 Mar).
- "Within N months" moves to the same day number, or to the month's last day if it has none
  (31 Jan + 1 month = 28 or 29 Feb).
"""

from __future__ import annotations

import calendar
import datetime as dt

__all__ = ["DAY", "SUNDAY", "add_months", "age_on", "anniversary", "days_before",
           "last_weekday", "term_end"]

DAY = dt.timedelta(days=1)
SUNDAY = 6


def add_months(day: dt.date, months: int) -> dt.date:
    """``day`` moved by ``months``; a missing day number becomes the month's last day."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    last = calendar.monthrange(year, month + 1)[1]
    return dt.date(year, month + 1, min(day.day, last))


def anniversary(day: dt.date, years: int) -> dt.date:
    """The day ``years`` full years after ``day`` begin (29 Feb -> 1 Mar in a common year)."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February, common year
        return dt.date(day.year + years, 3, 1)


def term_end(start: dt.date, years: int = 4) -> dt.date:
    """The last day of a term begun on ``start``: the day before its ``years``-th anniversary."""
    return anniversary(start, years) - DAY


def age_on(birth: dt.date, day: dt.date) -> int:
    """Full years of age on ``day``."""
    years = day.year - birth.year
    return years - 1 if day < anniversary(birth, years) else years


def days_before(day: dt.date, whole_days: int) -> dt.date:
    """The last day leaving ``whole_days`` whole days before ``day`` (module docstring)."""
    return day - dt.timedelta(days=whole_days + 1)


def last_weekday(day: dt.date, weekday: int) -> dt.date:
    """The latest ``weekday`` (0 Monday ... 6 Sunday) on or before ``day``."""
    return day - dt.timedelta(days=(day.weekday() - weekday) % 7)
