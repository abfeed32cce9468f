"""saylau's engine: rules, the vectorised tally core, scenarios, reconciliation and replay.

The engine prints nothing and imports no CLI code. What users call is listed in ``__all__``;
each name is imported from its room on first use, so ``import engine.errors`` (every command
does) costs nothing more. The rooms and what each may import: ARCHITECTURE.md.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from engine.errors import ScenarioError
    from engine.formats.scenario import load, loads
    from engine.law.rules import PRESETS, Decision, Outcome, RuleSet, decide, preset
    from engine.records import Scenario
    from engine.replay.reconcile import Check, Inferred, classify
    from engine.replay.run import Replay, precinct_table, replay
    from engine.tally.areas import AreaResults, area_results
    from engine.tally.ballots import tally_ballots
    from engine.tally.races import (
        PrecinctTable,
        RaceResults,
        RaceTotals,
        race_results,
        race_totals,
    )
    from engine.tally.sums import sum_by_group

# name -> the module that holds it
_WHERE = {
    "ScenarioError": "engine.errors",
    "load": "engine.formats.scenario",
    "loads": "engine.formats.scenario",
    "PRESETS": "engine.law.rules",
    "Decision": "engine.law.rules",
    "Outcome": "engine.law.rules",
    "RuleSet": "engine.law.rules",
    "decide": "engine.law.rules",
    "preset": "engine.law.rules",
    "Scenario": "engine.records",
    "Check": "engine.replay.reconcile",
    "Inferred": "engine.replay.reconcile",
    "classify": "engine.replay.reconcile",
    "Replay": "engine.replay.run",
    "precinct_table": "engine.replay.run",
    "replay": "engine.replay.run",
    "AreaResults": "engine.tally.areas",
    "area_results": "engine.tally.areas",
    "tally_ballots": "engine.tally.ballots",
    "PrecinctTable": "engine.tally.races",
    "RaceResults": "engine.tally.races",
    "RaceTotals": "engine.tally.races",
    "race_results": "engine.tally.races",
    "race_totals": "engine.tally.races",
    "sum_by_group": "engine.tally.sums",
}

__all__ = [
    "PRESETS",
    "AreaResults",
    "Check",
    "Decision",
    "Inferred",
    "Outcome",
    "PrecinctTable",
    "RaceResults",
    "RaceTotals",
    "Replay",
    "RuleSet",
    "Scenario",
    "ScenarioError",
    "area_results",
    "classify",
    "decide",
    "load",
    "loads",
    "precinct_table",
    "preset",
    "race_results",
    "race_totals",
    "replay",
    "sum_by_group",
    "tally_ballots",
]


def __getattr__(name: str) -> Any:
    where = _WHERE.get(name)
    if where is None:
        msg = f"module 'engine' has no attribute {name!r}"
        raise AttributeError(msg)
    value = getattr(importlib.import_module(where), name)
    globals()[name] = value  # once imported, an attribute like any other
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_WHERE))
