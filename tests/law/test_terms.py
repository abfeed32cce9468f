"""Terms, the two-consecutive-terms limit, eligibility and election timetables."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest
from hypothesis import given
from hypothesis import strategies as st

from engine.errors import ScenarioError
from engine.law.calendar import (
    STAGES,
    deadlines,
    early_timetable,
    regular_timetable,
    regular_vote_date,
    timetable,
)
from engine.law.dates import add_months, age_on, anniversary, term_end
from engine.law.terms import (
    Term,
    consecutive_terms,
    eligible,
    next_term,
    signatures_needed,
    terminate,
)

D = dt.date
DISTRICT, RURAL = "kz-2023-district", "kz-2021-rural"


def at(*args: int) -> dt.datetime:
    return dt.datetime(*args)


# ------------------------------------------------------------------------ calendar arithmetic


def test_a_term_ends_the_day_before_its_fourth_anniversary():
    """Semey's akim took office on 14 Oct 2025 (seed 001): the term runs to 13 Oct 2029."""
    assert Term(start=D(2025, 10, 14)).end == D(2029, 10, 13)


@pytest.mark.parametrize(("start", "end"), [
    (D(2024, 2, 29), D(2028, 2, 28)),
    (D(2096, 2, 29), D(2100, 2, 28)),  # 2100 is a common year
    (D(2024, 3, 1), D(2028, 2, 29)),
    (D(2023, 12, 31), D(2027, 12, 30)),
])
def test_a_term_begun_at_a_month_end_or_leap_day_ends_the_day_before_its_anniversary(start, end):
    """A term begun on 29 Feb ends on 28 Feb; leap days inside a term change nothing."""
    assert term_end(start) == end


@pytest.mark.parametrize(("day", "months", "expected"), [
    (D(2025, 1, 31), 1, D(2025, 2, 28)),
    (D(2024, 1, 31), 1, D(2024, 2, 29)),
    (D(2025, 8, 31), 1, D(2025, 9, 30)),
    (D(2025, 12, 15), 1, D(2026, 1, 15)),
    (D(2025, 8, 18), 2, D(2025, 10, 18)),
])
def test_a_month_later_is_the_same_day_or_the_months_last_day(day, months, expected):
    """One month after 31 January is the last day of February."""
    assert add_months(day, months) == expected


def test_a_person_born_on_29_february_comes_of_age_on_1_march():
    """In a common year the anniversary of 29 February is 1 March."""
    born = D(2000, 2, 29)
    assert (age_on(born, D(2025, 2, 28)), age_on(born, D(2025, 3, 1))) == (24, 25)
    assert age_on(born, D(2024, 2, 29)) == 24


@given(st.dates(D(1900, 1, 1), D(2100, 12, 31)), st.integers(1, 99))
def test_age_changes_exactly_on_the_anniversary(born, years):
    """A person is ``n`` on the ``n``-th anniversary of birth and ``n - 1`` the day before."""
    day = anniversary(born, years)
    assert age_on(born, day) == years
    assert age_on(born, day - dt.timedelta(days=1)) == years - 1


# ----------------------------------------------------------------------- the 2029 Semey calendar


def test_the_regular_vote_is_the_last_sunday_ten_days_before_the_term_ends():
    """Term ends 13 Oct 2029; the vote is due by 3 Oct (a Wednesday), so Sunday 30 Sep."""
    term = Term(start=D(2025, 10, 14))
    assert regular_vote_date(term, DISTRICT) == D(2029, 9, 30)


def test_the_2029_semey_calendar_follows_the_district_rule():
    """The full 2029 timetable of Semey under kz-2023-district."""
    table = regular_timetable(Term(start=D(2025, 10, 14)), DISTRICT)
    got = {name: (stage.start, stage.end) for name, stage in table.stages()}
    assert got == {
        "calling": (D(2029, 8, 20), D(2029, 8, 20)),
        "nomination": (D(2029, 8, 21), D(2029, 8, 30)),
        "registration": (D(2029, 8, 21), at(2029, 9, 4, 18)),
        "campaign": (at(2029, 9, 4, 18), at(2029, 9, 29, 0)),
        "vote": (at(2029, 9, 30, 7), at(2029, 9, 30, 20)),
        "results": (D(2029, 9, 30), D(2029, 10, 3)),
        "winner_registration": (D(2029, 10, 1), D(2029, 10, 7)),
    }
    assert (table.call_by, table.vote_by, table.term_end) == (
        D(2029, 8, 20), D(2029, 10, 3), D(2029, 10, 13))


def test_deadlines_across_a_leap_day_count_whole_days():
    """A vote on 1 Mar 2024: registration closes 25 whole days before, on 4 Feb at 18:00."""
    table = timetable(D(2024, 3, 1), DISTRICT)
    assert table.nomination.end == D(2024, 1, 30)
    assert table.registration.end == at(2024, 2, 4, 18)
    assert table.campaign.end == at(2024, 2, 29, 0)


# --------------------------------------------------------------------- Semey 2025 (seed 001)

SEMEY_TERMINATED = D(2025, 8, 18)  # seed 001: Muratov dismissed on 18 August 2025
SEMEY_CALLED = D(2025, 8, 27)  # TEC resolution of 27 Aug (nur.kz); nomination from 28 Aug
SEMEY_VOTE = D(2025, 10, 12)


def test_semey_2025_vote_is_the_last_sunday_of_the_early_election_window():
    """Called within a month of 18 Aug (by 18 Sep), held within a month of that (by 18 Oct)."""
    table = early_timetable(SEMEY_TERMINATED, DISTRICT)
    assert (table.early_call_by, table.vote_by) == (D(2025, 9, 18), D(2025, 10, 18))
    assert table.vote_date == SEMEY_VOTE  # the published date


def test_semey_2025_published_timetable_fits_the_district_rule():
    """With the published calling day, every stage of seed 001's timetable comes out."""
    table = timetable(SEMEY_VOTE, DISTRICT, called=SEMEY_CALLED, terminated=SEMEY_TERMINATED)
    assert table.nomination.start == D(2025, 8, 28)
    assert table.nomination.end == D(2025, 9, 11)
    assert table.registration.end == at(2025, 9, 16, 18)  # "concluded at 18:00 on 16 September"
    assert table.campaign.start == at(2025, 9, 16, 18)
    assert table.campaign.end == at(2025, 10, 11, 0)  # "until 00:00 on 11 October"
    assert (table.vote.start, table.vote.end) == (at(2025, 10, 12, 7), at(2025, 10, 12, 20))
    assert table.results.end == D(2025, 10, 15)
    assert table.winner_registration.end == D(2025, 10, 19)


def test_semey_2025_was_called_earlier_than_the_latest_legal_day():
    """The TEC called on 27 Aug, 45 whole days ahead; the rule only requires 40 (1 Sep)."""
    table = early_timetable(SEMEY_TERMINATED, DISTRICT)
    assert table.calling.start == D(2025, 9, 1)
    assert (SEMEY_VOTE - SEMEY_CALLED).days - 1 == 45


def test_semey_2025_vote_came_more_than_a_month_after_its_calling():
    """Why the second month counts from the calling deadline: from the calling it would fail."""
    assert add_months(SEMEY_CALLED, 1) < SEMEY_VOTE
    assert add_months(add_months(SEMEY_TERMINATED, 1), 1) >= SEMEY_VOTE


# ------------------------------------------------------------------- 2021 rural (seed 003)


def test_2021_nomination_closed_at_18_00_fifteen_whole_days_before_the_vote():
    """Seed 003: nomination for the 25 July 2021 vote ended on 9 July."""
    table = timetable(D(2021, 7, 25), RURAL)
    assert table.nomination.end == at(2021, 7, 9, 18)
    assert table.registration.end == D(2021, 7, 14)


@pytest.mark.parametrize(("vote", "registered"), [
    (D(2021, 8, 8), D(2021, 7, 28)),  # Ülken rural district (seed 003)
    (D(2021, 8, 22), D(2021, 8, 11)),  # Berşügır rural district (seed 003)
])
def test_2021_by_election_registration_closed_ten_whole_days_before_the_vote(vote, registered):
    """Candidates were registered on the day the rural rule closes registration."""
    assert timetable(vote, RURAL).registration.end == registered


@pytest.mark.parametrize(("called", "vote"), [
    (D(2021, 6, 25), D(2021, 7, 25)),  # general election: announced 25 June (seed 003)
    (D(2021, 7, 9), D(2021, 8, 8)),  # Ülken
    (D(2021, 7, 23), D(2021, 8, 22)),  # Berşügır
])
def test_2021_elections_were_called_thirty_days_ahead_not_forty(called, vote):
    """Every 2021 calling in seed 003 gave 30 days' notice, short of the 40-day rule."""
    with pytest.raises(ScenarioError, match=r"\(29 whole days before the vote .*; 40 needed\)"):
        timetable(vote, RURAL, called=called)


# ------------------------------------------------------------------------- timetable errors


def test_a_rule_set_without_a_timetable_is_refused():
    """The indirect (maslikhat) rule set has no election timetable."""
    with pytest.raises(ScenarioError, match="'kz-2013-indirect' has no election timetable"):
        deadlines("kz-2013-indirect")


def test_an_unknown_rule_set_is_refused():
    """An unknown name is reported as unknown, with the known names."""
    with pytest.raises(ScenarioError, match="unknown rule set 'kz-1999'"):
        deadlines("kz-1999")


def test_a_vote_later_than_ten_days_before_the_term_ends_is_refused():
    """A regular vote on 7 Oct 2029 is past the 3 Oct deadline."""
    with pytest.raises(ScenarioError, match="2029-10-07 is after the last legal day, 2029-10-03"):
        regular_timetable(Term(start=D(2025, 10, 14)), DISTRICT, vote=D(2029, 10, 7))


def test_an_early_vote_needs_forty_days_of_notice_after_the_termination():
    """Powers ended 18 Aug: the earliest vote is 29 Sep."""
    with pytest.raises(ScenarioError, match="the earliest is 2025-09-29"):
        early_timetable(SEMEY_TERMINATED, DISTRICT, vote=D(2025, 9, 28))
    assert early_timetable(SEMEY_TERMINATED, DISTRICT, vote=D(2025, 9, 29)).calling.start == (
        D(2025, 8, 19))


# ------------------------------------------------------------------------ timetable properties

RULES = st.sampled_from([DISTRICT, RURAL])
DATES = st.dates(D(2000, 1, 1), D(2100, 12, 31))


def _day(value: dt.date | dt.datetime) -> dt.date:
    return value.date() if isinstance(value, dt.datetime) else value


@given(DATES, RULES)
def test_every_timetable_keeps_its_stages_in_legal_order(vote, rules):
    """Calling, nomination, registration, campaign, vote, results, winner: in that order."""
    table = timetable(vote, rules)
    d = deadlines(rules)
    assert [name for name, _ in table.stages()] == list(STAGES)
    assert table.calling.start < table.nomination.start <= _day(table.nomination.end)
    assert _day(table.nomination.end) <= _day(table.registration.end)
    assert table.campaign.start < table.campaign.end < table.vote.start < table.vote.end
    assert vote <= table.results.end <= table.winner_registration.end
    assert (vote - table.calling.start).days - 1 == d.call_days
    assert (vote - _day(table.nomination.end)).days - 1 == d.nomination_days
    assert (vote - _day(table.registration.end)).days - 1 == d.registration_days


@given(DATES, RULES)
def test_the_regular_vote_is_a_sunday_in_the_last_legal_week(start, rules):
    """The vote is a Sunday, at least 10 days and less than 17 days before the term ends."""
    term = Term(start=start)
    vote = regular_timetable(term, rules).vote_date
    assert vote.weekday() == 6
    assert 10 <= (term.end - vote).days < 17


@given(DATES, RULES)
def test_an_early_election_is_called_and_held_inside_its_window(terminated, rules):
    """Called after the termination and within the month; vote within the month after."""
    table = early_timetable(terminated, rules)
    assert terminated < table.calling.start <= table.early_call_by
    assert table.vote_date <= table.vote_by
    assert (table.vote_date - table.calling.start).days - 1 >= deadlines(rules).call_days


# ----------------------------------------------------------------------------------- eligibility

UNIT = "Semey"


def _run(holder: str, *starts: dt.date) -> list[Term]:
    return [Term(start=s, unit=UNIT, holder=holder) for s in starts]


def test_a_candidate_must_be_25_on_election_day():
    """Born 12 Oct 2000: 25 on 12 Oct 2025; born a day later: too young."""
    assert eligible(D(2000, 10, 12), [], UNIT, SEMEY_VOTE, DISTRICT) == []
    assert eligible(D(2000, 10, 13), [], UNIT, SEMEY_VOTE, DISTRICT) == [
        "aged 24 on election day 2025-10-12; at least 25 needed"]


def test_a_second_consecutive_term_is_allowed():
    """A sitting akim in a first term may stand again."""
    held = _run("A", D(2025, 10, 14))
    assert eligible(D(1980, 1, 1), held, UNIT, D(2029, 9, 30), DISTRICT) == []


def test_a_third_consecutive_term_is_refused():
    """A sitting akim in a second consecutive term may not stand again for the same unit."""
    held = _run("A", D(2025, 10, 14), D(2029, 10, 14))
    assert eligible(D(1980, 1, 1), held, UNIT, D(2033, 9, 25), DISTRICT) == [
        "has held 2 consecutive terms as akim of 'Semey'; the limit is 2"]


def test_the_limit_is_per_unit():
    """Two terms in another unit do not stop a run for this one (our reading of Art. 36-2)."""
    held = [Term(start=s, unit="Kurchatov", holder="A") for s in (D(2025, 10, 14),
                                                                   D(2029, 10, 14))]
    assert eligible(D(1980, 1, 1), held, UNIT, D(2033, 9, 25), DISTRICT) == []


def test_a_break_resets_the_limit():
    """After two terms and someone else's term, the person may stand again."""
    held = _run("A", D(2021, 8, 4), D(2025, 8, 4))
    assert eligible(D(1970, 1, 1), held, UNIT, D(2033, 7, 24), RURAL) == []


def test_a_term_cut_short_by_dismissal_still_counts_as_a_term_served():
    """A second term ended by dismissal is still the second of a run of consecutive terms."""
    first, second = _run("A", D(2021, 8, 4), D(2025, 8, 4))
    second = terminate(second, D(2027, 3, 1))
    assert consecutive_terms([first, second], UNIT, D(2027, 3, 2)) == 2


def test_the_vacancy_after_a_dismissal_breaks_the_run():
    """Our reading: a dismissed akim did not hold the post up to the early election."""
    first, second = _run("A", D(2021, 8, 4), D(2025, 8, 4))
    second = terminate(second, D(2027, 3, 1))
    vote = early_timetable(D(2027, 3, 1), RURAL).vote_date
    assert consecutive_terms([first, second], UNIT, vote) == 0
    assert eligible(D(1970, 1, 1), [first, second], UNIT, vote, RURAL) == []


@pytest.mark.parametrize(("registered", "needed"), [
    (0, 0), (100, 1), (101, 2), (199, 2), (200, 2),
    (220_761, 2_208),  # Semey 2025: 220,761 on the lists (SOURCES.md)
])
def test_a_self_nominee_needs_one_percent_of_registered_voters_rounded_up(registered, needed):
    """Seed 003: signatures of at least 1% of the voters."""
    assert signatures_needed(registered, DISTRICT) == needed


# ------------------------------------------------------------------------ simulated histories

PEOPLE = {"A": D(1970, 5, 1), "B": D(1975, 2, 28), "C": D(1980, 2, 29), "D": D(1985, 12, 31)}


@st.composite
def histories(draw: st.DrawFn) -> list[Term]:
    """A unit's akims over several cycles: winners drawn among the eligible, some dismissed."""
    rules = draw(RULES)
    term = Term(start=draw(st.dates(D(2021, 1, 1), D(2040, 12, 31))), unit=UNIT,
                holder=draw(st.sampled_from(sorted(PEOPLE))))
    history = [term]
    for _ in range(draw(st.integers(1, 8))):
        if draw(st.booleans()):
            latest = regular_vote_date(term, rules) - dt.timedelta(days=70)
            term = terminate(term, draw(st.dates(term.start, max(term.start, latest))))
            history[-1] = term
            vote = early_timetable(term.end, rules).vote_date
        else:
            vote = regular_timetable(term, rules).vote_date
        standing = [p for p, born in sorted(PEOPLE.items())
                    if not eligible(born, [t for t in history if t.holder == p], UNIT, vote,
                                    rules)]
        term = next_term(draw(st.sampled_from(standing)), vote, rules, previous=term)
        history.append(term)
    return history


@given(histories())
def test_no_one_ever_holds_three_consecutive_terms(history):
    """Counted the slow way: each next term starts the day after the previous one ends."""
    for person in PEOPLE:
        run, longest, last_end = 0, 0, None
        for term in sorted((t for t in history if t.holder == person), key=lambda t: t.start):
            run = run + 1 if last_end and term.start == last_end + dt.timedelta(days=1) else 1
            longest, last_end = max(longest, run), term.end
        assert longest <= 2


@given(histories())
def test_terms_of_one_unit_never_overlap(history):
    """Each term starts after the previous one has ended."""
    for before, after in itertools.pairwise(history):
        assert before.end < after.start
