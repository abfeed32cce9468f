"""Replay a scenario: tally every race, aggregate areas and parties, check what was published."""

from __future__ import annotations

import attrs
import numpy as np

from engine.law.indirect import decide_rounds
from engine.law.rules import Outcome
from engine.records import Scenario
from engine.replay.area_checks import area_checks
from engine.replay.reconcile import Check, Inferred, race_checks
from engine.replay.subtotals import subtotal_checks
from engine.tally.areas import AreaResults, area_results
from engine.tally.races import PrecinctTable, RaceResults, race_results, race_totals

__all__ = ["Replay", "precinct_table", "replay"]


@attrs.frozen(eq=False)
class Replay:
    """What a replay found: race results, area results, checks and inferred counts."""

    scenario: Scenario
    races: RaceResults
    areas: AreaResults
    checks: tuple[Check, ...]
    inferred: tuple[Inferred, ...]
    candidate_party: np.ndarray  # (R, K) party index into areas.parties, -1 padding

    @property
    def mismatches(self) -> tuple[Check, ...]:
        return tuple(c for c in self.checks if c.status == "mismatch")


def precinct_table(scenario: Scenario) -> PrecinctTable:
    """One table of every precinct; a race without precinct rows is one precinct."""
    k = scenario.max_candidates
    blocks = []
    for race in scenario.races:
        p = race.precincts
        if p is None:
            given = [race.registered, race.cast, race.invalid, race.against_all,
                     *(c.votes for c in race.candidates)]
            row = [-1 if x is None else x for x in given] + [0] * (k - len(race.candidates))
            block = np.array([row], dtype=np.int64)
        else:
            block = np.zeros((len(p.ids), 4 + k), np.int64)
            block[:, 0], block[:, 1], block[:, 2], block[:, 3] = (p.registered, p.cast,
                                                                  p.invalid, p.against_all)
            block[:, 4:4 + p.votes.shape[1]] = p.votes
        blocks.append(block)
    counts = np.concatenate(blocks) if blocks else np.zeros((0, 4 + k), np.int64)
    race_of = np.repeat(np.arange(len(blocks), dtype=np.int64), [b.shape[0] for b in blocks])
    return PrecinctTable(race=race_of, counts=counts, n_races=len(scenario.races))


def replay(scenario: Scenario) -> Replay:
    """Recompute every race and area of ``scenario`` and check every published figure."""
    rules = scenario.election.rules
    table = precinct_table(scenario)
    n_cand = np.array([len(r.candidates) for r in scenario.races], dtype=np.int64)
    totals = race_totals(table, n_cand, against_all_line=rules.against_all)
    results = race_results(totals, rules)
    if rules.kind == "indirect":
        results = _revote(scenario, results)

    parties: dict[str, int] = {}
    k = scenario.max_candidates
    candidate_party = np.full((len(scenario.races), k), -1, np.int64)
    for r, race in enumerate(scenario.races):
        for j, c in enumerate(race.candidates):
            candidate_party[r, j] = parties.setdefault(c.party, len(parties))
    areas = area_results(results, [r.area for r in scenario.races], candidate_party,
                               tuple(parties))
    checks: list[Check] = []
    inferred: list[Inferred] = []
    for r, race in enumerate(scenario.races):
        race_found, race_inferred = race_checks(race, totals, r)
        checks.extend(race_found)
        checks.extend(subtotal_checks(race))
        inferred.extend(race_inferred)
    checks.extend(area_checks(scenario, results, inferred, candidate_party, areas.parties))
    return Replay(scenario=scenario, races=results, areas=areas, checks=tuple(checks),
                  inferred=tuple(inferred), candidate_party=candidate_party)


def _revote(scenario: Scenario, res: RaceResults) -> RaceResults:
    """Indirect rules: where the leaders tied and the re-vote among them is given, it decides
    (engine.law.indirect.decide_rounds); a second tie stays a tie (a repeat election)."""

    k = res.totals.votes.shape[1]
    revote = np.full((len(scenario.races), k), -1, np.int64)
    for r, race in enumerate(scenario.races):
        for j, c in enumerate(race.candidates):
            if c.revote is not None:
                revote[r, j] = c.revote
    if (revote < 0).all():
        return res
    t = res.totals
    d = decide_rounds(t.votes, t.n_candidates, scenario.election.rules, present=t.cast,
                      seats=t.registered, revote=revote)
    tied = res.outcome == Outcome.TIE
    return attrs.evolve(
        res, winner=np.where(tied, d.winner, res.winner),
        runner_up=np.where(tied, d.runner_up, res.runner_up),
        margin_votes=np.where(tied, d.margin_votes, res.margin_votes),
        tie=np.where(tied, d.tie, res.tie),
        outcome=np.where(tied, d.outcome, res.outcome).astype(np.int8))
