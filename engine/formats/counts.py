"""The one rule for reading a count, whatever file it comes from.

A count is a whole number of voters, ballots or votes: ASCII digits only (in a text cell,
spaces or tabs around them are allowed), no sign, no separator, no decimal point, no other
script's digits, below 2**62 (:data:`engine.limits.MAX_COUNT`, so the counts of a file add up
inside int64). A TOML scenario gives counts as integers; precinct files (:mod:`columns`) and
OpenElections files give them as text cells. Every reader refuses the same cells with the same
words (:func:`cell_problem`, :func:`value_problem`), naming its own file and place.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any, NoReturn

from engine.limits import MAX_COUNT

__all__ = ["MAX_COUNT", "SPACE", "cell_problem", "check_count", "read_count", "type_name",
           "value_problem"]

SPACE = " \t"  # what may surround the digits of a text cell
_DIGITS = len(str(MAX_COUNT))  # 19: more digits (leading zeros aside) are too large
_SHOWN = 24   # characters of a bad cell quoted in a message


def type_name(value: object) -> str:
    """A TOML value's type in words: "an integer", "a string", "a table"."""
    names = {bool: "a boolean", int: "an integer", float: "a number", str: "a string",
             list: "an array", dict: "a table", dt.date: "a date", dt.datetime: "a date-time"}
    return names.get(type(value), type(value).__name__)


def _quoted(text: str) -> str:
    """``repr(text)``, cut to a readable length (a message is one bounded line)."""
    if len(text) <= _SHOWN:
        return repr(text)
    return f"{text[:_SHOWN]!r}... ({len(text):,} characters)"


def _too_large(digits: str) -> str:
    shown = digits if len(digits) <= _SHOWN else f"{digits[:_SHOWN]}... ({len(digits):,} digits)"
    return f"is too large for a count (the limit is 2**62 - 1), got {shown}"


def cell_problem(text: str) -> str | None:
    """None when the text cell ``text`` is a count or blank (:func:`read_count`), else why not."""
    cell = text.strip(SPACE)
    if cell == "":
        return None
    digits = cell.removeprefix("-")
    if not (digits.isascii() and digits.isdigit()):
        return f"must be a whole number, got {_quoted(cell)}"
    if cell.startswith("-"):
        return f"must be >= 0, got -{_quoted(digits)[1:-1]}"
    significant = digits.lstrip("0")
    if len(significant) > _DIGITS or int(significant or "0") >= MAX_COUNT:
        return _too_large(significant)
    return None


def read_count(text: str, blank: int, fail: Callable[[str], NoReturn]) -> int:
    """The count in the text cell ``text``, ``blank`` for a blank cell; ``fail(problem)`` for
    anything else."""
    problem = cell_problem(text)
    if problem is not None:
        fail(problem)
    cell = text.strip(SPACE)
    return blank if cell == "" else int(cell)


def value_problem(value: Any) -> str | None:
    """None when the TOML value ``value`` is a count, else why not (a string of digits is told
    to drop its quotes)."""
    if isinstance(value, bool) or not isinstance(value, int):
        if isinstance(value, str):
            digits = value.replace(",", "").replace(" ", "").replace("_", "")
            if digits.isascii() and digits.isdigit():
                return ("must be a whole number without quotes or separators, got "
                        f"{_quoted(value)}")
            return f"must be a whole number, got a string {_quoted(value)}"
        shown = repr(value)
        shown = shown if len(shown) <= _SHOWN else f"{shown[:_SHOWN]}..."
        return f"must be a whole number, got {type_name(value)} {shown}"
    if value < 0:
        return f"must be >= 0, got {value}" if value > -MAX_COUNT else "must be >= 0"
    if value >= MAX_COUNT:
        return _too_large(str(value))
    return None


def check_count(value: Any, fail: Callable[[str], NoReturn]) -> int:
    """``value`` (from TOML) as a count; ``fail(problem)`` when it is not one."""
    problem = value_problem(value)
    if problem is not None:
        fail(problem)
    return int(value)
