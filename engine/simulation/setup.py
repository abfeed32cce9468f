"""From a simulation scenario to the arrays of :class:`engine.simulation.model.Model`.

Each race's means (turnout, invalid rate, option shares) come, first that applies:
1. from its ``[model.race.<id>]`` table;
2. from the race of the same id in the ``from`` scenario, replayed (candidates matched by
   ``person``, else by name; counts the source did not publish are taken at the middle of the
   interval the replay inferred for them);
3. from the race's own counts, when the file gives them (a historical file simulated as is);
4. from the ``[model]`` table, else the defaults of :mod:`engine.simulation.model`.
Noise parameters (concentrations, swing) come from 1, 4 or the defaults.

``[[model.generate]]`` adds races the ``from`` scenario published only as an area's aggregates
(the 2021 rural elections: races, voters, ballots and each party's candidates and seats per
region). The assumptions, stated in scenarios/README.md: the area's voters are split evenly
over its races and each race's over its precincts; each party's candidates are scaled to the
generated races and dealt round-robin (largest party first), with independents added where a
race would have fewer candidates than the rules require; a candidate's mean share is
proportional to the party's published seats per candidate in the area, (seats + 0.5) /
(candidates + 1), so parties that won more often where they stood are expected to again.
"""

from __future__ import annotations

import math
import os
from fractions import Fraction
from pathlib import Path

import attrs
import numpy as np

from engine.errors import ScenarioError
from engine.formats import model_table as model_spec
from engine.formats.model_table import AGAINST_ALL, Generate, ModelSpec, Params
from engine.law.rules import RuleSet
from engine.records import Area, Race, Scenario
from engine.simulation import indirect as maslikhat
from engine.simulation import model as simulate
from engine.simulation.summary import Grouping

__all__ = ["Setup", "SimRace", "setup"]

INDEPENDENT = "Independent"


def defaults(rules: RuleSet) -> Params:
    """The model's documented defaults (engine.simulation.model) under ``rules``."""
    return Params(turnout=simulate.DEFAULT_TURNOUT_MEAN,
                  turnout_concentration=simulate.DEFAULT_TURNOUT_CONCENTRATION,
                  invalid_rate=simulate.DEFAULT_INVALID_RATE,
                  against_all=simulate.DEFAULT_AGAINST_ALL_SHARE if rules.against_all else 0.0,
                  share_concentration=simulate.DEFAULT_SHARE_CONCENTRATION,
                  swing_sd=simulate.DEFAULT_SWING_SD, precincts=1)


@attrs.frozen
class SimRace:
    """One simulated race as it is reported: names, and where its means came from."""

    id: str
    name: str
    area: tuple[str, ...]
    candidates: tuple[str, ...]
    parties: tuple[str, ...]
    registered: int
    precincts: int
    turnout: float
    invalid_rate: float
    shares: tuple[float, ...]  # candidates in ballot order, then against all
    basis: str
    incumbent: int = -1  # the candidate (slot) holding the post at this election, -1 none
    terms_held: int = 0  # consecutive terms that candidate already held
    noise: Params = attrs.field(factory=Params)  # concentrations and swing, resolved


@attrs.frozen(eq=False)
class Setup:
    """A simulation ready to run."""

    scenario: Scenario
    rules: RuleSet
    races: tuple[SimRace, ...]
    model: simulate.Model
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
    src_path = _source_path(scenario, spec, source)
    replayed = None
    if src_path is not None:
        from engine.formats.scenario import load
        from engine.replay.run import replay

        replayed = replay(load(src_path))
    source_ids = [x.id for x in replayed.scenario.races] if replayed is not None else []
    has_counts = [any(c.votes is not None for c in race.candidates) or race.precincts is not None
                  for race in scenario.races]
    itself = None
    if any(has_counts):  # a historical file simulated as is: its own counts are the means
        from engine.replay.run import replay

        itself = replay(scenario)
    races = []
    for r, race in enumerate(scenario.races):
        means = None
        if race.id in source_ids:
            means = _from_replay(replayed, source_ids.index(race.id), f"from {src_path.name}")
        elif has_counts[r]:
            means = _from_replay(itself, r, "from its own counts")
        races.append(_race(scenario, race, means, spec, base))
    if replayed is not None and not spec.generate and not set(source_ids) & {
            race.id for race in scenario.races}:
        raise ScenarioError(scenario.file, f"{spec.place}.from",
                            f"{src_path.name} has no race with an id of this file's races "
                            f"({', '.join(r.id for r in scenario.races)}): nothing to "
                            "calibrate from")
    for g in spec.generate:
        races.extend(_generated(scenario.file, g, replayed, base, rules))
    seen: dict[str, str] = {}
    for x in races:
        if x.id in seen:
            raise ScenarioError(scenario.file, spec.place, f"two races have the id {x.id!r} "
                                f"({seen[x.id]}; {x.basis}): generate each area once")
        seen[x.id] = x.basis
    if not races:
        raise ScenarioError(scenario.file, spec.place, "has no race to simulate")
    return _assemble(scenario, rules, tuple(races), base, src_path)


def _source_path(scenario: Scenario, spec: ModelSpec, source: str | Path | None) -> Path | None:
    if source is not None:
        return Path(source)
    if spec.source is None:
        return None
    here = scenario.path.parent if scenario.path is not None else Path.cwd()
    path = Path(os.path.normpath(here / spec.source))
    if not path.is_file():
        raise ScenarioError(scenario.file, f"{spec.place}.from", f"no such file: {path}")
    return path


# -- means of one race ------------------------------------------------------------------------
def _counts(replayed: object, r: int) -> dict[str, float | None]:
    """Race r's counts, unpublished ones at the middle of their inferred interval."""
    t = replayed.races.totals
    n = int(t.n_candidates[r])
    v: dict[str, float | None] = {
        "registered": t.registered[r], "cast": t.cast[r], "invalid": t.invalid[r],
        "valid": t.valid[r], "against_all": t.against_all[r],
        **{f"candidate[{k + 1}]": t.votes[r, k] for k in range(n)}}
    v = {k: (float(x) if x >= 0 else None) for k, x in v.items()}
    for inf in replayed.inferred:
        if inf.race == r and v.get(inf.key, 0.0) is None:
            v[inf.key] = (inf.low + inf.high) / 2
    return v


def _means_of(v: dict[str, float | None], names: list[str], basis: str) -> _Means:
    reg, cast, invalid, valid = v["registered"], v["cast"], v["invalid"], v["valid"]
    votes = [v[f"candidate[{k + 1}]"] for k in range(len(names))]
    shares = None
    if valid and all(x is not None for x in votes):
        shares = dict(zip(names, (x / valid for x in votes), strict=True))
        if v["against_all"] is not None:
            shares[AGAINST_ALL] = v["against_all"] / valid
    return _Means(turnout=cast / reg if cast is not None and reg else None,
                  invalid_rate=invalid / cast if invalid is not None and cast else None,
                  shares=shares, registered=None if reg is None else round(reg), basis=basis)


def _from_replay(replayed: object, r: int, basis: str) -> _Means:
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
    turnout = _first(own.turnout, means.turnout, base.turnout)
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
        invalid_rate=_first(own.invalid_rate, means.invalid_rate, base.invalid_rate),
        shares=shares, basis=basis, incumbent=holder,
        terms_held=race.candidates[holder].terms_held if holder >= 0 else 0, noise=noise)


def _first(*values: float | None) -> float:
    return next(v for v in values if v is not None)


def _shares(scenario: Scenario, race: Race, rm: object, means: _Means, own: Params,
            base: Params) -> tuple[tuple[float, ...], str]:
    """The race's mean shares, against all last. Against all comes, first that applies, from
    the race's shares table, its ``against_all``, the calibration, the [model], the default;
    the candidates share what it leaves, in the proportions of the first source that has them."""
    against = scenario.election.rules.against_all
    calibrated = means.shares.get(AGAINST_ALL) if means.shares is not None else None
    aa = _first(own.against_all, calibrated, base.against_all) if against else 0.0
    if rm is not None and rm.shares is not None:
        given = dict(rm.shares)
        weights = [given[c.name] for c in race.candidates]
        if against and AGAINST_ALL in given and own.against_all is None:
            return _normalise(weights, given[AGAINST_ALL], aa), f"given in {rm.place}.shares"
        return _normalise(weights, None, aa), f"given in {rm.place}.shares"
    if means.shares is not None:
        keys = [c.person or c.name for c in race.candidates]
        missing = [c.name for c, k in zip(race.candidates, keys, strict=True)
                   if k not in means.shares]
        if missing:
            raise ScenarioError(scenario.file, f"{race.place}",
                                f"candidate {missing[0]!r} is not in the race it is calibrated "
                                f"{means.basis}; give the race's shares in "
                                f"[model.race.{race.id}].shares")
        return _normalise([means.shares[k] for k in keys], None, aa), means.basis
    return (_normalise([1.0] * len(race.candidates), None, aa),
            "equal (no counts to calibrate from)")


def _normalise(weights: list[float], against_all: float | None,
               default_against_all: float) -> tuple[float, ...]:
    """Candidates' weights to shares of valid votes, against all last. A given against-all
    weight is normalised with the candidates'; else the candidates share 1 - the default."""
    total = sum(weights)
    if against_all is not None:
        whole = total + against_all
        if whole <= 0:
            return _normalise([1.0] * len(weights), None, default_against_all)
        return (*(w / whole for w in weights), against_all / whole)
    if total <= 0:
        weights, total = [1.0] * len(weights), float(len(weights))
    rest = 1.0 - default_against_all
    return (*(rest * w / total for w in weights), default_against_all)


# -- races generated from an area's published figures -----------------------------------------
def _figure(area: Area, key: str) -> tuple[int | None, str | None]:
    for f in area.figures:
        if f.key == key and isinstance(f.value, int):
            return f.value, f.source
    return None, None


def _party_figure(area: Area, party: str, key: str) -> tuple[int | None, str | None]:
    for p in area.parties:
        if p.party == party:
            for f in p.figures:
                if f.key == key and isinstance(f.value, int):
                    return f.value, f.source
    return None, None


def _largest_remainder(quotas: list[Fraction], total: int) -> list[int]:
    floors = [math.floor(q) for q in quotas]
    order = sorted(range(len(quotas)), key=lambda i: (floors[i] - quotas[i], i))
    for i in order[:total - sum(floors)]:
        floors[i] += 1
    return floors


def _generated(file: str, g: Generate, replayed: object, base: Params,
               rules: RuleSet) -> list[SimRace]:
    areas = {a.path: a for a in replayed.scenario.areas}
    area = areas.get(g.area)
    if area is None:
        known = "; ".join(" / ".join(p) or "(nation)" for p in areas)
        raise ScenarioError(file, f"{g.place}.area", f"no [[area]] {list(g.area)} in "
                            f"{replayed.scenario.file} (areas: {known})")

    def need(value: int | None, key: str) -> int:
        if value is None:
            raise ScenarioError(file, g.place, f"{replayed.scenario.file} publishes no {key!r} "
                                f"for {list(g.area)}; set {key} here")
        return value

    for key in ("registered", "candidates"):
        if getattr(g, key) == 0:
            raise ScenarioError(file, f"{g.place}.{key}", "must be >= 1")
    n = g.races if g.races is not None else need(_figure(area, "races")[0], "races")
    published_registered, _ = _figure(area, "registered")
    registered = g.registered if g.registered is not None else need(published_registered,
                                                                    "registered")
    cast, _ = _figure(area, "cast")
    invalid, _ = _figure(area, "invalid")
    against, _ = _figure(area, "against_all")
    p = g.params
    # turnout from the area's own published figures, whatever voters the file gives its races
    turnout = _first(p.turnout, cast / published_registered
                     if cast is not None and published_registered else None, base.turnout)
    invalid_rate = _first(p.invalid_rate, invalid / cast if invalid is not None and cast
                          else None, base.invalid_rate)
    aa = 0.0
    if rules.against_all:
        aa = _first(p.against_all, against / (cast - invalid)
                    if None not in (against, cast, invalid) and cast > invalid else None,
                    base.against_all)

    # Each party's candidates, scaled from the races of the table that counted them.
    parties = list(dict.fromkeys(x.party for x in area.parties))
    published = {q: _party_figure(area, q, "candidates") for q in parties}
    published = {q: c for q, c in published.items() if c[0]}
    if not published and g.candidates is None:
        need(None, "candidates")
    counted = {}
    for q, (c, source) in published.items():
        races_then = next((f.value for f in area.figures
                           if f.key == "races" and f.source == source), n)
        counted[q] = Fraction(c * n, races_then)
    if not counted:
        counted = {INDEPENDENT: Fraction(g.candidates)}
    total = g.candidates if g.candidates is not None else round(sum(counted.values()))
    names = sorted(counted, key=lambda q: (-counted[q], q))
    per_party = dict(zip(names, _largest_remainder([counted[q] * total / sum(counted.values())
                                                     for q in names], total), strict=True))
    short = rules.min_candidates * n - total
    if short > 0:
        per_party[INDEPENDENT] = per_party.get(INDEPENDENT, 0) + short
        names = sorted(per_party, key=lambda q: (-per_party[q], q))
    strength = {q: (Fraction(_party_figure(area, q, "seats")[0] or 0) + Fraction(1, 2))
                / ((published.get(q, (0,))[0] or 0) + 1) for q in per_party}

    labels = [q for q in names for _ in range(per_party[q])]
    dealt: list[list[str]] = [[] for _ in range(n)]
    for i, q in enumerate(labels):
        dealt[i % n].append(q)
    reg = maslikhat.split_evenly(registered, n)
    if (p.precincts or n) > registered:
        raise ScenarioError(file, f"{g.place}.precincts", f"{p.precincts:,} precincts for "
                            f"{registered:,} registered voters: at most one per voter")
    precincts = maslikhat.split_evenly(max(p.precincts or n, n), n)
    noise = p.over(base)
    slug = "-".join(g.area).lower().replace(" ", "-") or "nation"
    out = []
    for i, ballot in enumerate(dealt):
        seen: dict[str, int] = {}
        cands = []
        for q in ballot:
            seen[q] = seen.get(q, 0) + 1
            cands.append(f"{q} candidate" + (f" {seen[q]}" if ballot.count(q) > 1 else ""))
        shares = _normalise([float(strength[q]) for q in ballot], None, aa)
        out.append(SimRace(id=f"{slug}-{i + 1}", name=f"{g.area[-1] if g.area else 'race'} "
                           f"{i + 1}", area=g.area, candidates=tuple(cands),
                           parties=tuple(ballot), registered=int(reg[i]),
                           precincts=int(precincts[i]), turnout=turnout,
                           invalid_rate=invalid_rate, shares=shares,
                           basis=f"generated from {g.place}", noise=noise))
    return out


# -- the arrays ------------------------------------------------------------------------------
def _assemble(scenario: Scenario, rules: RuleSet, races: tuple[SimRace, ...], base: Params,
              src_path: Path | None) -> Setup:
    spec = scenario.model or ModelSpec()
    r = len(races)
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
        model = simulate.Model(
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
    return maslikhat.split_evenly(x.registered, x.precincts)


# -- indirect rules: a round of maslikhat votes ----------------------------------------------
@attrs.frozen(eq=False)
class IndirectSetup:
    """A round of indirect elections ready to simulate or fit: its maslikhats and races, the
    deputies' parameters, and the counts the source published (for ``[calibrate]``)."""

    scenario: Scenario
    rules: RuleSet
    round: maslikhat.Round
    loyalty: float
    attendance: float
    published: dict[str, int]
    source: str | None = None


_ROUND_FIGURES = ("maslikhats", "deputies", "races")


def indirect_setup(scenario: Scenario, source: str | Path | None = None) -> IndirectSetup:
    """The maslikhats, deputies, races and candidates of each ``[[model.generate]]`` area of the
    ``from`` scenario, split evenly (:meth:`engine.simulation.indirect.Round.even`)."""
    from engine.formats.scenario import load

    spec = scenario.model or ModelSpec()
    src_path = _source_path(scenario, spec, source)
    if src_path is None or not spec.generate:
        raise ScenarioError(scenario.file, spec.place, "an indirect round is generated from "
                            'published aggregates: give from = "<historical scenario>" and '
                            "[[model.generate]] area = [...]")
    src = load(src_path)
    areas = {a.path: a for a in src.areas}
    rounds, published = [], {}
    for g in spec.generate:
        area = areas.get(g.area)
        if area is None:
            raise ScenarioError(scenario.file, f"{g.place}.area",
                                f"no [[area]] {list(g.area)} in {src.file}")
        figures = {}
        for key in (*_ROUND_FIGURES, "candidates", "candidates_nominated",
                    *model_spec.FIT_TARGETS):
            value, _ = _figure(area, key)
            if value is not None:
                figures[key] = value
        for key in _ROUND_FIGURES:
            if key not in figures:
                raise ScenarioError(scenario.file, g.place, f"{src.file} publishes no {key!r} "
                                    f"for {list(g.area)}")
        races = g.races or figures["races"]
        candidates = g.candidates or figures.get("candidates") or 2 * races
        rounds.append(maslikhat.Round.even(figures["maslikhats"], figures["deputies"], races,
                                           candidates))
        for key in model_spec.FIT_TARGETS:
            if key in figures:
                published[key] = published.get(key, 0) + figures[key]
    seats = np.concatenate([x.seats for x in rounds])
    offsets = np.cumsum([0] + [x.seats.shape[0] for x in rounds[:-1]])
    rnd = maslikhat.Round(
        seats=seats,
        maslikhat=np.concatenate([x.maslikhat + o for x, o in zip(rounds, offsets, strict=True)]),
        n_candidates=np.concatenate([x.n_candidates for x in rounds]))
    ind = spec.indirect
    return IndirectSetup(
        scenario=scenario, rules=scenario.election.rules, round=rnd,
        loyalty=_first(ind.loyalty, maslikhat.DEFAULT_LOYALTY),
        attendance=_first(ind.attendance, maslikhat.DEFAULT_ATTENDANCE),
        published=published, source=str(src_path))
