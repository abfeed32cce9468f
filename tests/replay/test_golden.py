"""Regression goldens in the RCTab style: every shipped historical scenario, replayed, must equal
its expected JSON under tests/golden/, field by field, so any change to a replayed result is a
visible diff. After a deliberate change, rewrite them with ``SAYLAU_REGOLD=1 pytest
tests/replay/test_golden.py`` and review the diff before committing."""

from __future__ import annotations

import json
import os

import pytest

from cli.replay_render import replay_dict
from engine.formats.scenario import load
from engine.replay.run import replay
from tests.paths import GOLDEN, HISTORICAL_FILES


def _differences(expected, actual, where: str = "$") -> list[str]:
    """Every field where ``actual`` differs from ``expected``, by JSON path."""
    if isinstance(expected, dict) and isinstance(actual, dict):
        out = [f"{where}.{k}: missing" for k in expected if k not in actual]
        out += [f"{where}.{k}: unexpected" for k in actual if k not in expected]
        for k in expected.keys() & actual.keys():
            out += _differences(expected[k], actual[k], f"{where}.{k}")
        return out
    if isinstance(expected, list) and isinstance(actual, list):
        out = [] if len(expected) == len(actual) else [
            f"{where}: {len(expected)} items expected, {len(actual)} found"]
        for i, (e, a) in enumerate(zip(expected, actual, strict=False)):
            out += _differences(e, a, f"{where}[{i}]")
        return out
    return [] if expected == actual else [f"{where}: expected {expected!r}, got {actual!r}"]


def test_every_historical_scenario_has_a_golden():
    """Each shipped historical scenario has its expected JSON under tests/golden/."""
    assert HISTORICAL_FILES, "no scenarios/historical/*.toml found"
    missing = [p.stem for p in HISTORICAL_FILES if not (GOLDEN / f"{p.stem}.json").exists()]
    assert not missing, f"no golden for {missing}: run SAYLAU_REGOLD=1 pytest {__file__}"


@pytest.mark.parametrize("scenario", HISTORICAL_FILES, ids=lambda p: p.stem)
def test_replay_matches_its_golden(scenario):
    """The scenario's replay, as JSON, equals its golden field by field (SAYLAU_REGOLD=1
    rewrites the golden first)."""
    actual = json.loads(json.dumps(replay_dict(replay(load(scenario))), ensure_ascii=False))
    golden = GOLDEN / f"{scenario.stem}.json"
    if os.environ.get("SAYLAU_REGOLD"):
        golden.write_text(json.dumps(actual, ensure_ascii=False, indent=2) + "\n",
                          encoding="utf-8")
    if not golden.exists():
        pytest.fail(f"no golden {golden.name}: run SAYLAU_REGOLD=1 pytest {__file__}")
    expected = json.loads(golden.read_text(encoding="utf-8"))
    diffs = _differences(expected, actual)
    assert not diffs, f"{len(diffs)} fields differ from {golden.name}:\n" + "\n".join(diffs[:40])


def test_the_differ_reports_paths():
    """The differ names each differing field by its JSON path: a changed value, an unexpected
    key."""
    assert _differences({"a": [1, {"b": 2}]}, {"a": [1, {"b": 3}], "c": 0}) == [
        "$.c: unexpected", "$.a[1].b: expected 2, got 3"]
