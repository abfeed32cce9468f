"""The limits saylau declares and checks before any work starts.

Some limits are the arithmetic's own and cannot move: a count is below 2**62 so that the counts
of a file add up inside int64; a published percentage keeps at most :data:`MAX_DECIMALS`
decimals; a date lies in the calendar's range (:data:`DATE_MIN` to :data:`DATE_MAX`, so that
terms and cycles added to it stay inside Python's dates). Others only bound the work and memory
a file may ask for: each has a default and an environment variable that changes it
(``SAYLAU_MAX_PRECINCTS=20000000``), and the line refusing a file names both.

This module imports nothing of the engine, so every room may use it.
"""

from __future__ import annotations

import datetime as dt
import os

from engine.errors import ScenarioError

__all__ = ["DATE_MAX", "DATE_MIN", "INT64_MAX", "LIMITS", "MAX_COUNT", "MAX_CYCLES",
           "MAX_DECIMALS", "MAX_NESTING", "MAX_RUNS", "MAX_SIM_VOTERS", "MAX_TERM_YEARS",
           "Limit", "check_date", "limit", "over_limit"]

# A count is below 2**62 (ASCII digits in a file, a TOML integer); sums of counts stay in int64.
MAX_COUNT = 2**62
INT64_MAX = 2**63 - 1
# Decimals of a published percentage ("53.70" has 2): more is not a figure anyone printed, and
# the exact fractions behind a 5,000-digit one would cost more than the replay.
MAX_DECIMALS = 12
# Tables and arrays nested in a TOML file: a scenario needs 5; the parser recurses per level.
MAX_NESTING = 32
# Dates a scenario or an option may give: the law's arithmetic adds terms and cycles to them
# (at most MAX_CYCLES terms of MAX_TERM_YEARS), which must stay inside Python's years 1-9999.
DATE_MIN = dt.date(1800, 1, 1)
DATE_MAX = dt.date(2999, 12, 31)
MAX_TERM_YEARS = 50
MAX_CYCLES = 100
# Simulated runs: blocks of 64 runs are children of the seed; forensics' own branch is block
# 2**32 - 1, which 10**9 runs never reach (and 10**9 is days of work already).
MAX_RUNS = 10**9
# Registered voters of one simulated race: the binomial draws are exact up to 2**53, and the
# basis-point margins (10,000 x votes) and forensics' percentages must stay inside int64.
MAX_SIM_VOTERS = 10**14


class Limit:
    """A limit with a default that an environment variable may change."""

    def __init__(self, name: str, default: int, what: str) -> None:
        self.name = name
        self.default = default
        self.what = what  # "bytes of a scenario file", for messages

    @property
    def env(self) -> str:
        return f"SAYLAU_MAX_{self.name.upper()}"

    def value(self) -> int:
        """The limit in force: the environment variable's whole number, else the default."""
        text = os.environ.get(self.env)
        if text is None or not text.strip():
            return self.default
        digits = text.strip().replace("_", "")
        if not (digits.isascii() and digits.isdigit()) or len(digits) > 19 or int(digits) < 1:
            raise ScenarioError(self.env, "", f"must be a whole number >= 1, got {text[:40]!r}")
        return int(digits)


LIMITS = {limit.name: limit for limit in (
    Limit("scenario_bytes", 64 << 20, "bytes of a scenario (TOML) file"),
    Limit("table_bytes", 16 << 30, "bytes of a precinct file (read a batch at a time)"),
    Limit("records_bytes", 1 << 30, "bytes of an OpenElections file (read whole)"),
    Limit("races", 1_000_000, "races in one scenario"),
    Limit("candidates", 1_000, "candidates in one race"),
    Limit("precincts", 10_000_000, "precincts in one scenario"),
)}


def limit(name: str) -> int:
    """The limit ``name`` in force (``LIMITS``)."""
    return LIMITS[name].value()


def over_limit(name: str, value: int) -> str | None:
    """None when ``value`` is within limit ``name``, else the problem in one phrase naming the
    limit and how to change it."""
    lim = LIMITS[name]
    top = lim.value()
    if value <= top:
        return None
    return (f"{value:,} {lim.what}: more than the limit of {top:,} (set {lim.env} to change "
            "it)")


def check_date(day: dt.date) -> str | None:
    """None when ``day`` is inside the calendar's range, else the problem."""
    if DATE_MIN <= day <= DATE_MAX:
        return None
    return (f"must lie between {DATE_MIN.isoformat()} and {DATE_MAX.isoformat()} (the "
            f"calendar's range), got {day.isoformat()}")
