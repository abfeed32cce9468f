"""From an indirect-round scenario to the maslikhats, deputies and races of a simulated round."""

from __future__ import annotations

from pathlib import Path

import attrs

from engine.errors import ScenarioError
from engine.formats.model_table import FIT_TARGETS, ModelSpec
from engine.formats.scenario import load
from engine.law.rules import RuleSet
from engine.records import Scenario
from engine.simulation.indirect import (
    DEFAULT_ATTENDANCE,
    DEFAULT_LOYALTY,
    DEFAULT_PERSISTENCE,
    Deputies,
    Round,
)
from engine.simulation.races import area_figure, first
from engine.simulation.setup import source_path

__all__ = ["IndirectSetup", "indirect_setup"]


# -- indirect rules: a round of maslikhat votes ----------------------------------------------
@attrs.frozen(eq=False)
class IndirectSetup:
    """A round of indirect elections ready to simulate or fit: its maslikhats and races, the
    deputies' parameters, and the counts the source published (for ``[calibrate]``)."""

    scenario: Scenario
    rules: RuleSet
    round: Round
    loyalty: float
    attendance: float
    published: dict[str, int]
    source: str | None = None
    persistence: float = DEFAULT_PERSISTENCE

    @property
    def deputies(self) -> Deputies:
        return Deputies(loyalty=self.loyalty, attendance=self.attendance,
                        persistence=self.persistence)


_ROUND_FIGURES = ("maslikhats", "deputies", "races")
# Published counts a fit or its model check compares with the simulation.
_CHECKED = (*FIT_TARGETS, "races", "incumbents_reelected")


def indirect_setup(scenario: Scenario, source: str | Path | None = None) -> IndirectSetup:
    """The maslikhats, deputies, races and candidates of each ``[[model.generate]]`` area of the
    ``from`` scenario, split evenly (:meth:`engine.simulation.indirect.Round.even`)."""
    spec = scenario.model or ModelSpec()
    src_path = source_path(scenario, spec, source)
    if src_path is None or not spec.generate:
        raise ScenarioError(scenario.file, spec.place, "an indirect round is generated from "
                            'published aggregates: give from = "<historical scenario>" and '
                            "[[model.generate]] area = [...]")
    src = load(src_path)
    areas = {a.path: a for a in src.areas}
    rounds: list[Round] = []
    published: dict[str, int] = {}
    for g in spec.generate:
        area = areas.get(g.area)
        if area is None:
            raise ScenarioError(scenario.file, f"{g.place}.area",
                                f"no [[area]] {list(g.area)} in {src.file}")
        figures: dict[str, int] = {}
        for key in (*_ROUND_FIGURES, "candidates", "candidates_nominated", *_CHECKED):
            value, _ = area_figure(area, key)
            if value is not None:
                figures[key] = value
        for key in _ROUND_FIGURES:
            if key not in figures:
                raise ScenarioError(scenario.file, g.place, f"{src.file} publishes no {key!r} "
                                    f"for {list(g.area)}")
        races = g.races or figures["races"]
        candidates = g.candidates or figures.get("candidates") or 2 * races
        rounds.append(Round.even(figures["maslikhats"], figures["deputies"], races,
                                           candidates))
        for key in _CHECKED:
            if key in figures:
                published[key] = published.get(key, 0) + figures[key]
    rnd = Round.joined(rounds)
    ind = spec.indirect
    return IndirectSetup(
        scenario=scenario, rules=scenario.election.rules, round=rnd,
        loyalty=first(ind.loyalty, DEFAULT_LOYALTY),
        attendance=first(ind.attendance, DEFAULT_ATTENDANCE),
        persistence=first(ind.persistence, DEFAULT_PERSISTENCE),
        published=published, source=str(src_path))
