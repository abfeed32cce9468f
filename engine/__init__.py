"""saylau's engine: rules, the vectorised tally core, scenarios, reconciliation and replay.

The engine prints nothing and imports no CLI code. What users call is listed in ``__all__``.
"""

from engine.errors import ScenarioError
from engine.formats.scenario import load, loads
from engine.law.rules import PRESETS, Decision, Outcome, RuleSet, decide, preset
from engine.records import Scenario
from engine.replay.reconcile import Check, Inferred, classify
from engine.replay.run import Replay, precinct_table, replay
from engine.tally.areas import AreaResults, area_results
from engine.tally.ballots import tally_ballots
from engine.tally.races import PrecinctTable, RaceResults, RaceTotals, race_results, race_totals
from engine.tally.sums import sum_by_group

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
