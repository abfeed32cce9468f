"""From an indirect-round scenario to the maslikhats, deputies and races of a simulated round."""

from __future__ import annotations

from pathlib import Path

import attrs
import numpy as np

from engine.errors import ScenarioError
from engine.formats.model_table import FIT_TARGETS, ModelSpec
from engine.formats.scenario import load
from engine.law.rules import RuleSet
from engine.records import Maslikhat, Scenario
from engine.simulation.indirect import (
    DEFAULT_ATTENDANCE,
    DEFAULT_LOYALTY,
    DEFAULT_PERSISTENCE,
    Deputies,
    Round,
)
from engine.simulation.races import area_figure, first, split_evenly
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
    """The round of ``scenario``: generated from the ``from`` scenario's published aggregates
    (``[[model.generate]]``: its listed maslikhats as they are, the rest split evenly), or made
    of the file's own races and the maslikhats they name."""
    spec = scenario.model or ModelSpec()
    src_path = source_path(scenario, spec, source)
    if src_path is not None and spec.generate:
        src = load(src_path)
        rnd, published = _generated(scenario, spec, src)
    elif scenario.races:
        src_path = None
        rnd, published = _own(scenario), _published(scenario, ())
    else:
        raise ScenarioError(scenario.file, spec.place, "an indirect round is generated from "
                            'published aggregates: give from = "<historical scenario>" and '
                            "[[model.generate]] area = [...], or list its races")
    ind = spec.indirect
    return IndirectSetup(
        scenario=scenario, rules=scenario.election.rules, round=rnd,
        loyalty=first(ind.loyalty, DEFAULT_LOYALTY),
        attendance=first(ind.attendance, DEFAULT_ATTENDANCE),
        persistence=first(ind.persistence, DEFAULT_PERSISTENCE),
        published=published, source=None if src_path is None else str(src_path))


def _published(src: Scenario, path: tuple[str, ...]) -> dict[str, int]:
    """The counts of area ``path`` a fit or its check compares with the simulation."""
    area = next((a for a in src.areas if a.path == path), None)
    if area is None:
        return {}
    found = {key: area_figure(area, key)[0] for key in _CHECKED}
    return {k: v for k, v in found.items() if v is not None}


def _body_figures(src: Scenario, body: Maslikhat) -> tuple[int, int, int]:
    """A listed maslikhat's seats, posts and candidates: its own figures, else its races'."""
    if body.seats is None:
        raise ScenarioError(src.file, f"{body.place}.seats", "a simulated round needs each "
                            "listed maslikhat's seats")
    mine = [r for r in src.races if r.maslikhat == body.id]
    races = body.races or len(mine)
    if races == 0:
        raise ScenarioError(src.file, body.place, "a simulated round needs the posts it "
                            "filled: no race names this maslikhat and it gives no races")
    candidates = body.candidates or sum(len(r.candidates) for r in mine)
    return body.seats, races, max(candidates, 2 * races)


def _generated(scenario: Scenario, spec: ModelSpec, src: Scenario
               ) -> tuple[Round, dict[str, int]]:
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
        # the maslikhats the source lists within the area are bodies as they are; the rest of
        # the published totals is split evenly over the others
        listed = [_body_figures(src, b) for b in src.maslikhats
                  if b.area[:len(g.area)] == g.area]
        rest = (figures["maslikhats"] - len(listed),
                figures["deputies"] - sum(x[0] for x in listed),
                races - sum(x[1] for x in listed), candidates - sum(x[2] for x in listed))
        if min(rest) < 0 or (rest[0] == 0 and rest[2] > 0) or (
                rest[0] > 0 and (rest[1] < rest[0] or rest[2] < 1)):
            raise ScenarioError(scenario.file, g.place, f"{src.file}'s listed maslikhats in "
                                f"{list(g.area)} hold more than its published totals allow")
        if listed:
            rounds.append(Round(seats=np.array([x[0] for x in listed]),
                                maslikhat=np.repeat(np.arange(len(listed)),
                                                    [x[1] for x in listed]),
                                n_candidates=np.concatenate([split_evenly(c, r)
                                                             for _, r, c in listed])))
        if rest[0]:
            rounds.append(Round.even(rest[0], rest[1], rest[2], rest[3]))
        for key in _CHECKED:
            if key in figures:
                published[key] = published.get(key, 0) + figures[key]
    return Round.joined(rounds), published


def _own(scenario: Scenario) -> Round:
    """The file's own races, each elected by the maslikhat it names (or, naming none, by a
    body of its own whose seats are its ``registered``)."""
    bodies = {b.id: i for i, b in enumerate(scenario.maslikhats)}
    seats = [b.seats for b in scenario.maslikhats]
    of = []
    for race in scenario.races:
        if race.maslikhat is not None:
            i = bodies[race.maslikhat]  # load() refused an unknown one
            if seats[i] is None:
                body = scenario.maslikhats[i]
                raise ScenarioError(scenario.file, f"{body.place}.seats",
                                    "a simulated round needs the maslikhat's seats")
            of.append(i)
        elif race.registered is not None:
            of.append(len(seats))
            seats.append(race.registered)
        else:
            raise ScenarioError(scenario.file, race.place, "a simulated round needs the seats "
                                "of the maslikhat electing this akim: name it (maslikhat = "
                                '"<id>") or give registered = <seats>')
    used = sorted(set(of))
    index = {old: new for new, old in enumerate(used)}
    return Round(seats=np.array([seats[i] for i in used], np.int64),
                 maslikhat=np.array([index[i] for i in of], np.int64),
                 n_candidates=np.array([len(r.candidates) for r in scenario.races], np.int64))
