"""The legal calendar on arrays of day numbers equals the scalar calendar, day for day: months,
anniversaries (29 February), term ends, Sundays, regular and early votes."""

from __future__ import annotations

import datetime as dt

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from engine.law import calendar, dates, days
from engine.law.terms import Term

DATES = st.lists(st.dates(dt.date(1990, 1, 1), dt.date(2090, 12, 31)), min_size=1,
                 max_size=40)
LEAP_DAYS = [dt.date(2024, 2, 29), dt.date(2000, 2, 29), dt.date(2023, 1, 31),
             dt.date(2021, 12, 31), dt.date(2100, 2, 28)]


def _numbers(ds: list[dt.date]) -> np.ndarray:
    return np.array([days.day_number(d) for d in ds + LEAP_DAYS], np.int64)


def _dates(ns: np.ndarray) -> list[dt.date]:
    return [days.on(n) for n in ns]


@given(DATES, st.integers(-30, 60))
def test_months_and_anniversaries_count_as_the_scalar_calendar(ds, months):
    """add_months, anniversary and term_end on arrays give the scalar functions' days,
    29 February and the 31st included."""
    ns = _numbers(ds)
    ref = ds + LEAP_DAYS
    assert _dates(days.add_months(ns, months)) == [dates.add_months(d, months) for d in ref]
    years = abs(months) % 9 + 1
    assert _dates(days.anniversary(ns, years)) == [dates.anniversary(d, years) for d in ref]
    assert _dates(days.term_ends(ns, years)) == [dates.term_end(d, years) for d in ref]


@given(DATES, st.integers(0, 6))
def test_the_last_weekday_is_the_scalar_ones(ds, weekday):
    """last_weekday on arrays: the latest given weekday on or before each day."""
    ns = _numbers(ds)
    assert _dates(days.last_weekday(ns, weekday)) == [dates.last_weekday(d, weekday)
                                                      for d in ds + LEAP_DAYS]


@given(DATES, st.sampled_from(sorted(calendar.DEADLINES)))
def test_regular_and_early_votes_are_the_timetables(ds, rules):
    """The array votes are calendar.regular_vote_date's (a full term from each day) and the
    vote early_timetable sets after powers end on each day; a repeat is on the early
    timetable from the failed vote."""
    ns = _numbers(ds)
    ref = ds + LEAP_DAYS
    regular = _dates(days.regular_votes(ns, rules, 4))
    assert regular == [calendar.regular_vote_date(Term(start=d), rules) for d in ref]
    early = _dates(days.early_votes(ns, rules))
    assert early == [calendar.early_timetable(d, rules).vote_date for d in ref]
    assert _dates(days.repeat_votes(ns, rules)) == early
    assert all(v.weekday() == 6 for v in regular + early)


def test_day_numbers_count_from_1970():
    """Day 0 is 1970-01-01 (numpy's datetime64[D] epoch); the numbers round-trip."""
    assert days.day_number(dt.date(1970, 1, 1)) == 0
    assert days.on(days.day_number(dt.date(2025, 10, 12))) == dt.date(2025, 10, 12)
    assert np.datetime64(days.on(19000), "D").astype(np.int64) == 19000
