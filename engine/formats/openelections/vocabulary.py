"""What the words of an OpenElections file mean: the summary lines known out of the box, the
precincts that are totals, the vote-method columns, and how names and districts are compared.

Each rule works on a distinct cell, never on a row: a file of millions of rows has a few
thousand distinct offices, districts, precincts and candidates.
"""

from __future__ import annotations

import functools
import re

__all__ = ["AGAINST_ALL_LINES", "KNOWN_LINES", "ROLES", "district_key", "fold",
           "is_method_column", "is_total_precinct", "name_key", "office_key", "slug"]

# The count lines a race may map beside its candidates, in this order.
ROLES = ("against_all", "registered", "cast", "invalid")

# Summary lines written as candidates (or as offices without a candidate), read by their name
# unless the scenario maps the name otherwise. Over and under votes and blanks are ballots
# without a valid vote in the race: its invalid ballots. Write-ins and "others" are votes for
# candidates not named: they stay a line of their own, counted in the valid votes.
KNOWN_LINES: dict[str, str] = {
    **dict.fromkeys(("registered voters", "registered", "total registered voters",
                     "total registered", "reg voters", "registration", "voters registered"),
                    "registered"),
    **dict.fromkeys(("ballots cast", "total ballots cast", "times cast", "total ballots",
                     "ballots", "ballots cast total", "public count"), "cast"),
    **dict.fromkeys(("invalid ballots", "over votes", "overvotes", "over vote", "overvote",
                     "under votes", "undervotes", "under vote", "undervote", "blank", "blanks",
                     "blank votes", "blank ballots", "over/under votes", "spoiled",
                     "spoiled ballots", "rejected ballots", "void"), "invalid"),
    # totals of the candidates' votes, not a candidate: left out (and said so)
    **dict.fromkeys(("total", "totals", "total votes", "total votes cast", "contest totals",
                     "contest total", "vote total", "votes", "total valid votes"), "skip"),
}
# Read as the against-all line when the rules have one (its name in every language used here).
AGAINST_ALL_LINES = ("against all", "против всех", "барлығына қарсы",
                     "none of these candidates", "none of the above")

# A precinct whose name has "total" or "totals" as a word is a subtotal (county, district or
# state), in any case and spelling: "Total", "TOTALS", "SOMERSET Totals", "Statewide Total".
_TOTAL = re.compile(r"(?<![^\W_])totals?(?![^\W_])", re.IGNORECASE)

# Count columns that split a row's votes by how they were cast (OpenElections' documented
# extra columns and the spellings state files use: election_day, early_voting, absentee, mail,
# provisional, in-person_absentee, failsafe, absentee_by_mail, av_counting_boards, ...).
_METHOD = re.compile(r"election.?day|early|absentee|mail|provisional|failsafe|in.?person|"
                     r"one.?stop|counting.?board|uocava|overseas|military|walk.?in|polling|"
                     r"advance|postal|vote.?cent(er|re)|same.?day|curbside", re.IGNORECASE)


@functools.lru_cache(maxsize=1 << 16)  # offices, candidates and parties repeat row after row
def fold(text: str) -> str:
    """Names compared as one: case and runs of spaces ignored."""
    return " ".join(text.split()).casefold()


@functools.lru_cache(maxsize=1 << 16)
def name_key(text: str) -> str:
    """Candidates compared as one: case, spaces and punctuation ignored ("Kerry, John F." is
    "KERRY JOHN F")."""
    return " ".join(re.findall(r"\w+", text.casefold()))


def office_key(text: str) -> str:
    """Offices compared as one: case, spaces and punctuation ignored, abbreviations' dots
    dropped ("U.S. House", "U.S House" and "US House" are one office)."""
    return " ".join(re.sub(r"[^\w\s]", "", text.casefold()).split())


_ORDINAL = re.compile(r"^0*(\d+)(st|nd|rd|th)?$")
_PREFIXED = re.compile(r"^[a-z]{1,3}0*(\d+)$")       # HD026, SD7, LD28
_SUFFIXED = re.compile(r"^0*(\d+)([a-z])$")           # 26A, 26B: two districts


def district_key(text: str) -> str:
    """Districts compared as one when they name the same number: "70", "070", "HD070",
    "70th District", "District 70" and "70th LD District 70" are district "70"; "26A" and
    "26B" stay apart, as do names with two numbers ("Ward 3 Seat 2") or a letter of their own
    ("3 Seat B"). Others are compared folded."""
    folded = fold(text)
    numbers: set[str] = set()
    for word in re.findall(r"[^\W_]+", folded):
        if m := _ORDINAL.match(word) or _PREFIXED.match(word):
            numbers.add(str(int(m.group(1))))
        elif m := _SUFFIXED.match(word):
            numbers.add(f"{int(m.group(1))}{m.group(2)}")
        elif len(word) == 1 or any(ch.isdigit() for ch in word):
            return folded
    return numbers.pop() if len(numbers) == 1 else folded


def is_total_precinct(text: str) -> bool:
    """A precinct named as a total ("Total", "County Total", "TOTALS", "Maine Statewide
    Total")."""
    return bool(_TOTAL.search(text))


def is_method_column(name: str) -> bool:
    """A header that names a vote method (``election_day``, ``absentee_by_mail``, ...)."""
    return bool(_METHOD.search(name))


@functools.lru_cache(maxsize=1 << 16)
def slug(text: str) -> str:
    """A race id's part: lower case, runs of other characters as one '-' ("U.S. House" is
    "u-s-house")."""
    return "-".join(re.findall(r"[^\W_]+", text.casefold())) or "-"
