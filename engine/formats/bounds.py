"""A scenario's size, checked as soon as it is known and before any work is done on it: how deep
its TOML nests, how many races, candidates and precincts it holds (:mod:`engine.limits`), and
whether its counts add up inside int64 (every sum the engine forms is a sum of some of them).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from engine.errors import ScenarioError
from engine.limits import INT64_MAX, MAX_NESTING, over_limit
from engine.records import COUNT_COLUMNS, Race, Scenario

__all__ = ["check_nesting", "check_raw_sizes", "check_sizes", "check_sums", "exact_sum",
           "race_counts"]


def check_nesting(data: Any, name: str) -> None:
    """Refuse tables and arrays nested deeper than :data:`MAX_NESTING` (walked without
    recursion, so any depth is measured safely)."""
    stack: list[tuple[Any, int, str]] = [(data, 0, "")]
    while stack:
        value, depth, place = stack.pop()
        if depth > MAX_NESTING:
            raise ScenarioError(name, place, f"tables and arrays nested more than {MAX_NESTING} "
                                "deep (the limit of a scenario file)")
        if isinstance(value, dict):
            stack.extend((v, depth + 1, f"{place}.{k}" if place else str(k))
                         for k, v in value.items())
        elif isinstance(value, list):
            stack.extend((v, depth + 1, f"{place}[{i}]") for i, v in enumerate(value, 1))


def check_raw_sizes(data: dict[str, Any], name: str) -> None:
    """Races, candidates per race and inline precinct rows of parsed TOML, before records are
    built from them."""
    races = data.get("race")
    if not isinstance(races, list):
        return
    problem = over_limit("races", len(races))
    if problem:
        raise ScenarioError(name, "race", problem)
    rows = 0
    for i, race in enumerate(races, start=1):
        if not isinstance(race, dict):
            continue
        cands = race.get("candidate")
        if isinstance(cands, list) and (problem := over_limit("candidates", len(cands))):
            raise ScenarioError(name, f"race[{i}].candidate", problem)
        inline = race.get("precinct")
        rows += len(inline) if isinstance(inline, list) else 0
        if problem := over_limit("precincts", rows):
            raise ScenarioError(name, f"race[{i}].precinct", problem)


def check_sizes(s: Scenario) -> None:
    """Races, candidates and precincts of a loaded scenario (the files it read included), and
    its counts' sum."""
    if problem := over_limit("races", len(s.races)):
        raise ScenarioError(s.file, "race", problem)
    rows = 0
    for race in s.races:
        if problem := over_limit("candidates", len(race.candidates)):
            raise ScenarioError(s.file, f"{race.place}.candidate", problem)
        rows += 0 if race.precincts is None else len(race.precincts.ids)
        if problem := over_limit("precincts", rows):
            raise ScenarioError(s.file, f"{race.place}.precinct", problem)
    check_sums(s)


def exact_sum(values: np.ndarray) -> int:
    """The exact sum of the known (>= 0) entries of an int64 array, as a Python int: the high
    and low 31 bits summed apart, so nothing wraps below 2**32 entries."""
    v = np.maximum(values, 0).ravel()
    return (int((v >> 31).sum()) << 31) + int((v & ((1 << 31) - 1)).sum())


def race_counts(race: Race) -> int:
    """The exact sum of every count of ``race``: its own, its candidates' and its precincts'."""
    own = [race.registered, race.cast, race.invalid, race.valid, race.against_all,
           *(c.votes for c in race.candidates), *(c.revote for c in race.candidates)]
    total = sum(x for x in own if x is not None)
    p = race.precincts
    if p is not None:
        total += sum(exact_sum(getattr(p, c)) for c in COUNT_COLUMNS)
        total += exact_sum(p.votes) + sum(exact_sum(v) for v in p.lines.values())
    return total


def check_sums(s: Scenario) -> None:
    """Refuse counts that add up past int64: every total the engine forms (a race, an area, the
    nation, a precinct's options, a relation's side) is a sum of some of them, so this one
    bound keeps every sum exact."""
    total = 0
    for race in s.races:
        total += race_counts(race)
        if total > INT64_MAX:
            raise ScenarioError(s.file, race.place, f"the counts of the file add up to more "
                                f"than int64 holds ({INT64_MAX:,}) by this race: sums of them "
                                "would overflow; the counts cannot all be right")
