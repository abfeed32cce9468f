"""Races generated from an area's published aggregates.

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
from fractions import Fraction
from typing import TYPE_CHECKING

from engine.errors import ScenarioError
from engine.formats.model_table import Generate, Params
from engine.law.rules import RuleSet
from engine.limits import over_limit
from engine.simulation.budget import check_size
from engine.simulation.races import (
    INDEPENDENT,
    SimRace,
    area_figure,
    first,
    normalise,
    party_figure,
    split_evenly,
)

if TYPE_CHECKING:
    from engine.replay.run import Replay

__all__ = ["generated"]


def _largest_remainder(quotas: list[Fraction], total: int) -> list[int]:
    floors = [math.floor(q) for q in quotas]
    order = sorted(range(len(quotas)), key=lambda i: (floors[i] - quotas[i], i))
    for i in order[:total - sum(floors)]:
        floors[i] += 1
    return floors


def generated(file: str, g: Generate, replayed: Replay, base: Params,
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
    n = g.races if g.races is not None else need(area_figure(area, "races")[0], "races")
    published_registered, _ = area_figure(area, "registered")
    registered = g.registered if g.registered is not None else need(published_registered,
                                                                    "registered")
    # the limits before anything is made for the races (engine.simulation.budget)
    check_size(file, g.place, n, max(g.params.precincts or n, n), -(-registered // n))
    cast, _ = area_figure(area, "cast")
    invalid, _ = area_figure(area, "invalid")
    against, _ = area_figure(area, "against_all")
    p = g.params
    # turnout from the area's own published figures, whatever voters the file gives its races
    turnout = first(p.turnout, cast / published_registered
                     if cast is not None and published_registered else None, base.turnout)
    invalid_rate = first(p.invalid_rate, invalid / cast if invalid is not None and cast
                          else None, base.invalid_rate)
    aa = 0.0
    if rules.against_all:
        aa = first(p.against_all, against / (cast - invalid)
                    if against is not None and cast is not None and invalid is not None
                    and cast > invalid else None,
                    base.against_all)

    # Each party's candidates, scaled from the races of the table that counted them.
    parties = list(dict.fromkeys(x.party for x in area.parties))
    figures = {q: party_figure(area, q, "candidates") for q in parties}
    published = {q: (c, source) for q, (c, source) in figures.items() if c}
    if not published and g.candidates is None:
        need(None, "candidates")
    counted = {}
    for q, (c, source) in published.items():
        races_then = next((f.value for f in area.figures
                           if f.key == "races" and f.source == source), n)
        assert isinstance(races_then, int)  # "races" is read as a count, never a percentage
        counted[q] = Fraction(c * n, races_then)
    if not counted:
        assert g.candidates is not None  # nothing published: need() raised above unless given
        counted = {INDEPENDENT: Fraction(g.candidates)}
    total = g.candidates if g.candidates is not None else round(sum(counted.values()))
    if problem := over_limit("candidates", -(-max(total, rules.min_candidates * n) // n)):
        raise ScenarioError(file, f"{g.place}.candidates", f"{total:,} candidates in {n:,} "
                            f"races: {problem}")
    names = sorted(counted, key=lambda q: (-counted[q], q))
    per_party = dict(zip(names, _largest_remainder([counted[q] * total / sum(counted.values())
                                                     for q in names], total), strict=True))
    short = rules.min_candidates * n - total
    if short > 0:
        per_party[INDEPENDENT] = per_party.get(INDEPENDENT, 0) + short
        names = sorted(per_party, key=lambda q: (-per_party[q], q))
    strength = {q: (Fraction(party_figure(area, q, "seats")[0] or 0) + Fraction(1, 2))
                / ((published.get(q, (0,))[0] or 0) + 1) for q in per_party}

    labels = [q for q in names for _ in range(per_party[q])]
    dealt: list[list[str]] = [[] for _ in range(n)]
    for i, q in enumerate(labels):
        dealt[i % n].append(q)
    reg = split_evenly(registered, n)
    if (p.precincts or n) > registered:
        if p.precincts is None:  # one precinct per race by default
            raise ScenarioError(file, f"{g.place}.registered", f"{n:,} races for "
                                f"{registered:,} registered voters: at least one voter a race")
        raise ScenarioError(file, f"{g.place}.precincts", f"{p.precincts:,} precincts for "
                            f"{registered:,} registered voters: at most one per voter")
    precincts = split_evenly(max(p.precincts or n, n), n)
    noise = p.over(base)
    slug = "-".join(g.area).lower().replace(" ", "-") or "nation"
    out = []
    for i, ballot in enumerate(dealt):
        seen: dict[str, int] = {}
        cands = []
        for q in ballot:
            seen[q] = seen.get(q, 0) + 1
            cands.append(f"{q} candidate" + (f" {seen[q]}" if ballot.count(q) > 1 else ""))
        shares = normalise([float(strength[q]) for q in ballot], None, aa)
        out.append(SimRace(id=f"{slug}-{i + 1}", name=f"{g.area[-1] if g.area else 'race'} "
                           f"{i + 1}", area=g.area, candidates=tuple(cands),
                           parties=tuple(ballot), registered=int(reg[i]),
                           precincts=int(precincts[i]), turnout=turnout,
                           invalid_rate=invalid_rate, shares=shares,
                           basis=f"generated from {g.place}", noise=noise))
    return out
