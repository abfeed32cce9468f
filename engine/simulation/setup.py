"""From a simulation scenario to the arrays of :class:`engine.simulation.model.Model`.

Each race's means (turnout, invalid rate, option shares) come, first that applies:
1. from its ``[model.race.<id>]`` table;
2. from the race of the same id in the ``from`` scenario, replayed (candidates matched by
   ``person``, else by name; counts the source did not publish are taken at the middle of the
   interval the replay inferred for them);
3. from the race's own counts, when the file gives them (a historical file simulated as is);
4. from the ``[model]`` table, else the defaults of :mod:`engine.simulation.model`.
Noise parameters (concentrations, swing) come from 1, 4 or the defaults.
``[[model.generate]]`` adds races from an area's aggregates (:mod:`engine.simulation.generate`).
"""

from __future__ import annotations

import math
import os
from pathlib import Path

import attrs
import numpy as np

from engine.errors import ScenarioError
from engine.formats.model_table import AGAINST_ALL, ModelSpec, Params, RaceModel
from engine.formats.scenario import load
from engine.law.rules import RuleSet
from engine.records import Race, Scenario
from engine.replay.run import Replay, replay
from engine.simulation.budget import check_size
from engine.simulation.generate import generated
from engine.simulation.model import (
    DEFAULT_AGAINST_ALL_SHARE,
    DEFAULT_INVALID_RATE,
    DEFAULT_SHARE_CONCENTRATION,
    DEFAULT_SWING_SD,
    DEFAULT_TURNOUT_CONCENTRATION,
    DEFAULT_TURNOUT_MEAN,
    Model,
)
from engine.simulation.races import SimRace, first, normalise, split_evenly
from engine.simulation.summary import Grouping

__all__ = ["Setup", "SimRace", "defaults", "setup", "source_path"]


def defaults(rules: RuleSet) -> Params:
    """The model's documented defaults (engine.simulation.model) under ``rules``."""
    return Params(turnout=DEFAULT_TURNOUT_MEAN,
                  turnout_concentration=DEFAULT_TURNOUT_CONCENTRATION,
                  invalid_rate=DEFAULT_INVALID_RATE,
                  against_all=DEFAULT_AGAINST_ALL_SHARE if rules.against_all else 0.0,
                  share_concentration=DEFAULT_SHARE_CONCENTRATION,
                  swing_sd=DEFAULT_SWING_SD, precincts=1)


@attrs.frozen(eq=False)
class Setup:
    """A simulation ready to run."""

    scenario: Scenario
    rules: RuleSet
    races: tuple[SimRace, ...]
    model: Model
    grouping: Grouping
    source: str | None = None


@attrs.frozen
class _Means:
    turnout: float | None = None
    invalid_rate: float | None = None
    shares: dict[str, float] | None = None  # candidate key or AGAINST_ALL -> share of valid
    registered: int | None = None
    basis: str = ""


def setup(scenario: Scenario, source: str | Path | None = None) -> Setup:
    """Build the model of ``scenario``; ``source`` (``--from``) overrides ``model.from``."""
    spec = scenario.model or ModelSpec()
    rules = scenario.election.rules
    base = spec.params.over(defaults(rules))
    src_path = source_path(scenario, spec, source)
    replayed = None
    if src_path is not None:
        replayed = replay(load(src_path))
    source_ids = [x.id for x in replayed.scenario.races] if replayed is not None else []
    has_counts = [any(c.votes is not None for c in race.candidates) or race.precincts is not None
                  for race in scenario.races]
    itself = None
    if any(has_counts):  # a historical file simulated as is: its own counts are the means
        itself = replay(scenario)
    races = []
    for r, race in enumerate(scenario.races):
        means = None
        if race.id in source_ids:
            # source_ids come from the replay of src_path
            assert replayed is not None
            assert src_path is not None
            means = _from_replay(replayed, source_ids.index(race.id), f"from {src_path.name}")
        elif has_counts[r]:
            assert itself is not None  # replayed above: a race has counts
            means = _from_replay(itself, r, "from its own counts")
        races.append(_race(scenario, race, means, spec, base))
    if replayed is not None and not spec.generate and not set(source_ids) & {
            race.id for race in scenario.races}:
        assert src_path is not None  # replayed from it
        raise ScenarioError(scenario.file, f"{spec.place}.from",
                            f"{src_path.name} has no race with an id of this file's races "
                            f"({', '.join(r.id for r in scenario.races)}): nothing to "
                            "calibrate from")
    for g in spec.generate:
        assert replayed is not None  # [[model.generate]] needs model.from (model_table.read)
        races.extend(generated(scenario.file, g, replayed, base, rules))
    seen: dict[str, str] = {}
    for x in races:
        if x.id in seen:
            raise ScenarioError(scenario.file, spec.place, f"two races have the id {x.id!r} "
                                f"({seen[x.id]}; {x.basis}): generate each area once")
        seen[x.id] = x.basis
    if not races:
        raise ScenarioError(scenario.file, spec.place, "has no race to simulate")
    return _assemble(scenario, rules, tuple(races), base, src_path)


def source_path(scenario: Scenario, spec: ModelSpec, source: str | Path | None) -> Path | None:
    if source is not None:
        return Path(source)
    if spec.source is None:
        return None
    here = scenario.path.parent if scenario.path is not None else Path.cwd()
    path = Path(os.path.normpath(here / spec.source))
    if not path.exists():  # anything else that is not a regular file: load() says what it is
        raise ScenarioError(scenario.file, f"{spec.place}.from", f"no such file: {path}")
    return path


# -- means of one race ------------------------------------------------------------------------
def _counts(replayed: Replay, r: int) -> dict[str, float | None]:
    """Race r's counts, unpublished ones at the middle of their inferred interval."""
    t = replayed.races.totals
    n = int(t.n_candidates[r])
    counts = {
        "registered": t.registered[r], "cast": t.cast[r], "invalid": t.invalid[r],
        "valid": t.valid[r], "against_all": t.against_all[r],
        **{f"candidate[{k + 1}]": t.votes[r, k] for k in range(n)}}
    v: dict[str, float | None] = {k: (float(x) if x >= 0 else None) for k, x in counts.items()}
    for inf in replayed.inferred:
        if inf.race == r and v.get(inf.key, 0.0) is None:
            # the middle of a bounded interval; its least value when nothing bounds it above
            v[inf.key] = inf.low if inf.high is None else (inf.low + inf.high) / 2
    return v


def _means_of(v: dict[str, float | None], names: list[str], basis: str) -> _Means:
    reg, cast, invalid, valid = v["registered"], v["cast"], v["invalid"], v["valid"]
    votes = [v[f"candidate[{k + 1}]"] for k in range(len(names))]
    known = [x for x in votes if x is not None]
    shares = None
    if valid and len(known) == len(votes):
        shares = dict(zip(names, (x / valid for x in known), strict=True))
        if v["against_all"] is not None:
            shares[AGAINST_ALL] = v["against_all"] / valid
    return _Means(turnout=cast / reg if cast is not None and reg else None,
                  invalid_rate=invalid / cast if invalid is not None and cast else None,
                  shares=shares, registered=None if reg is None else round(reg), basis=basis)


def _from_replay(replayed: Replay, r: int, basis: str) -> _Means:
    race = replayed.scenario.races[r]
    keys = [c.person or c.name for c in race.candidates]
    return _means_of(_counts(replayed, r), keys, basis)


def _race(scenario: Scenario, race: Race, means: _Means | None, spec: ModelSpec,
          base: Params) -> SimRace:
    rm = next((x for x in spec.races if x.race == race.id), None)
    own = rm.params if rm is not None else Params()
    means = means or _Means(basis="defaults")
    registered = race.registered
    n_precincts = own.precincts or base.precincts
    assert n_precincts is not None  # base is over the defaults, which set every parameter
    if race.precincts is not None:
        known = race.precincts.registered >= 0
        if not known.all():
            raise ScenarioError(scenario.file, f"{race.place}.precinct", "a simulation needs "
                                "registered voters in every precinct row")
        registered = int(race.precincts.registered.sum())
        n_precincts = len(race.precincts.ids)
    registered = registered if registered is not None else means.registered
    if not registered:
        raise ScenarioError(scenario.file, f"{race.place}.registered",
                            "a simulation needs the race's registered voters (more than 0)")
    if n_precincts > registered:
        where = rm.place if rm is not None and own.precincts else spec.place
        raise ScenarioError(scenario.file, f"{where}.precincts",
                            f"{n_precincts:,} precincts for {registered:,} registered voters "
                            f"in race {race.id!r}: at most one precinct per voter")
    shares, basis = _shares(scenario, race, rm, means, own, base)
    holder = next((j for j, c in enumerate(race.candidates) if c.terms_held), -1)
    turnout = first(own.turnout, means.turnout, base.turnout)
    noise = own.over(base)
    if turnout in (0.0, 1.0) and noise.turnout_concentration != math.inf:
        raise ScenarioError(scenario.file, race.place, f"its turnout is {turnout:.0%} "
                            f"({means.basis}); precinct noise needs a turnout strictly "
                            f'between 0 and 1: set turnout_concentration = "inf" in '
                            f"[model.race.{race.id}] to use it exactly, or give a turnout")
    return SimRace(
        id=race.id, name=race.name, area=race.area,
        candidates=tuple(c.name for c in race.candidates),
        parties=tuple(c.party for c in race.candidates), registered=registered,
        precincts=n_precincts,
        turnout=turnout,
        invalid_rate=first(own.invalid_rate, means.invalid_rate, base.invalid_rate),
        shares=shares, basis=basis, incumbent=holder,
        terms_held=(race.candidates[holder].terms_held or 0) if holder >= 0 else 0, noise=noise)


def _shares(scenario: Scenario, race: Race, rm: RaceModel | None, means: _Means, own: Params,
            base: Params) -> tuple[tuple[float, ...], str]:
    """The race's mean shares, against all last. Against all comes, first that applies, from
    the race's shares table, its ``against_all``, the calibration, the [model], the default;
    the candidates share what it leaves, in the proportions of the first source that has them."""
    against = scenario.election.rules.against_all
    calibrated = means.shares.get(AGAINST_ALL) if means.shares is not None else None
    aa = first(own.against_all, calibrated, base.against_all) if against else 0.0
    if rm is not None and rm.shares is not None:
        given = dict(rm.shares)
        weights = [given[c.name] for c in race.candidates]
        if against and AGAINST_ALL in given and own.against_all is None:
            return normalise(weights, given[AGAINST_ALL], aa), f"given in {rm.place}.shares"
        return normalise(weights, None, aa), f"given in {rm.place}.shares"
    if means.shares is not None:
        keys = [c.person or c.name for c in race.candidates]
        missing = [c.name for c, k in zip(race.candidates, keys, strict=True)
                   if k not in means.shares]
        if missing:
            raise ScenarioError(scenario.file, f"{race.place}",
                                f"candidate {missing[0]!r} is not in the race it is calibrated "
                                f"{means.basis}; give the race's shares in "
                                f"[model.race.{race.id}].shares")
        return normalise([means.shares[k] for k in keys], None, aa), means.basis
    return (normalise([1.0] * len(race.candidates), None, aa),
            "equal (no counts to calibrate from)")


# -- the arrays ------------------------------------------------------------------------------
def _assemble(scenario: Scenario, rules: RuleSet, races: tuple[SimRace, ...], base: Params,
              src_path: Path | None) -> Setup:
    spec = scenario.model or ModelSpec()
    r = len(races)
    # the limits before any array is made (engine.simulation.budget)
    check_size(scenario.file, spec.place, r, sum(x.precincts for x in races),
               max(x.registered for x in races))
    k = max(len(x.candidates) for x in races)
    precincts = np.array([x.precincts for x in races], np.int64)
    race_of = np.repeat(np.arange(r, dtype=np.int64), precincts)
    registered = np.concatenate([_precinct_registered(scenario, x) for x in races])
    shares = np.zeros((r, k + 1))
    for i, x in enumerate(races):
        shares[i, :len(x.candidates)] = x.shares[:-1]
        shares[i, k] = x.shares[-1]

    def per_race(name: str) -> np.ndarray:
        return np.array([getattr(x.noise, name) for x in races])

    try:
        model = Model(
            race=race_of, registered=registered,
            n_candidates=[len(x.candidates) for x in races],
            turnout_mean=[x.turnout for x in races],
            turnout_concentration=per_race("turnout_concentration"),
            invalid_rate=[x.invalid_rate for x in races], share_mean=shares,
            share_concentration=per_race("share_concentration"),
            swing_sd=per_race("swing_sd"), irregularities=spec.irregularities)
    except ValueError as err:  # a calibrated mean of exactly 0 or 1 with noise around it
        raise ScenarioError(scenario.file, spec.place, f"cannot build the model: {err}") from None
    party_index: dict[str, int] = {}
    candidate_party = np.full((r, k), -1, np.int64)
    for i, x in enumerate(races):
        for j, q in enumerate(x.parties):
            candidate_party[i, j] = party_index.setdefault(q, len(party_index))
    grouping = Grouping.of([x.area for x in races], candidate_party,
                                    tuple(party_index))
    return Setup(scenario=scenario, rules=rules, races=races, model=model, grouping=grouping,
                 source=None if src_path is None else str(src_path))


def _precinct_registered(scenario: Scenario, x: SimRace) -> np.ndarray:
    race = next((y for y in scenario.races if y.id == x.id), None)
    if race is not None and race.precincts is not None:
        return race.precincts.registered.astype(np.int64)
    return split_evenly(x.registered, x.precincts)
