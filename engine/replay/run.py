"""Replay a scenario: tally every race, aggregate areas and parties, check what was published."""

from __future__ import annotations

import attrs
import numpy as np

from engine.law.indirect import decide_rounds
from engine.law.protocol import BASIC
from engine.law.rules import Outcome
from engine.records import Scenario
from engine.replay.area_checks import area_checks
from engine.replay.precinct_table import _table, precinct_table, station_ids, station_rows
from engine.replay.protocol_checks import ProtocolFindings, check_protocol
from engine.replay.reconcile import Check, Inferred, race_checks
from engine.replay.subtotals import subtotal_checks
from engine.tally.areas import AreaResults, area_results
from engine.tally.precinct_areas import PrecinctAreaResults, precinct_area_results
from engine.tally.races import RaceResults, RaceTotals, race_results, race_totals

__all__ = ["Replay", "bases", "precinct_table", "replay", "settle"]


@attrs.frozen(eq=False)
class Replay:
    """What a replay found: race results, area results, checks and inferred counts; where
    precincts name areas, each race's results by area; where they carry a protocol, its
    control relations at every station."""

    scenario: Scenario
    races: RaceResults
    areas: AreaResults
    checks: tuple[Check, ...]
    inferred: tuple[Inferred, ...]
    candidate_party: np.ndarray  # (R, K) party index into areas.parties, -1 padding
    precinct_areas: PrecinctAreaResults | None = None
    protocol: ProtocolFindings | None = None
    # (R,) precinct rows per race when the races do not carry their rows (a replay read in
    # partitions, engine.formats.partition_job); 0 for a race of its own counts
    precinct_rows: np.ndarray | None = None

    def precincts(self, r: int) -> int:
        """The precincts of race ``r`` (a race of its own counts is one)."""
        if self.precinct_rows is not None and self.precinct_rows[r] > 0:
            return int(self.precinct_rows[r])
        p = self.scenario.races[r].precincts
        return 1 if p is None else len(p.ids)

    @property
    def mismatches(self) -> tuple[Check, ...]:
        return tuple(c for c in self.checks if c.status == "mismatch")


def bases(scenario: Scenario, totals: RaceTotals) -> tuple[np.ndarray, np.ndarray]:
    """Per race, the ballots turnout counts (cast, or issued) and what shares are of (valid,
    or valid + invalid), as the election and each race declare them."""
    r = len(scenario.races)
    if scenario.election.turnout_basis == "issued":
        turnout_of = totals.lines.get("issued", np.full(r, -1, np.int64))
    else:
        turnout_of = totals.cast
    of_cast = np.array([race.share_basis == "cast" for race in scenario.races], bool)
    share_of = np.where(of_cast, totals.cast, totals.valid) if r else totals.valid
    return turnout_of, share_of


def replay(scenario: Scenario) -> Replay:
    """Recompute every race and area of ``scenario`` and check every published figure."""
    rules = scenario.election.rules
    table, derived = _table(scenario)
    n_cand = np.array([len(r.candidates) for r in scenario.races], dtype=np.int64)
    totals = race_totals(table, n_cand, against_all_line=rules.against_all)
    depth = np.array([len(r.area) for r in scenario.races], np.int64)
    within = precinct_area_results(table, depth) if table.area is not None else None
    rows = station_rows(scenario, table)
    protocol = None
    if rows.size:
        protocol = check_protocol(scenario.election.protocol or BASIC, table, rows,
                                  station_ids(scenario), depth, derived,
                                  against_all_line=rules.against_all)
    return settle(scenario, totals, within, protocol)


def settle(scenario: Scenario, totals: RaceTotals, within: PrecinctAreaResults | None,
           protocol: ProtocolFindings | None, precinct_rows: np.ndarray | None = None
           ) -> Replay:
    """The replay from its race totals: every race decided, areas and parties summed, every
    published figure checked. ``precinct_rows`` (R,): the precinct rows each race's totals
    sum when the races do not carry them (:attr:`Replay.precinct_rows`)."""
    rules = scenario.election.rules
    turnout_of, share_of = bases(scenario, totals)
    results = race_results(totals, rules, turnout_of=turnout_of, share_of=share_of)
    if rules.kind == "indirect":
        results = _revote(scenario, results)

    parties: dict[str, int] = {}
    k = scenario.max_candidates
    candidate_party = np.full((len(scenario.races), k), -1, np.int64)
    for r, race in enumerate(scenario.races):
        for j, c in enumerate(race.candidates):
            candidate_party[r, j] = parties.setdefault(c.party, len(parties))
    areas = area_results(results, [r.area for r in scenario.races], candidate_party,
                         tuple(parties), bodies=[r.maslikhat for r in scenario.races])
    checks: list[Check] = []
    inferred: list[Inferred] = []
    for r, race in enumerate(scenario.races):
        race_found, race_inferred = race_checks(
            race, totals, r, turnout_basis=scenario.election.turnout_basis)
        checks.extend(race_found)
        checks.extend(subtotal_checks(race))
        inferred.extend(race_inferred)
    checks.extend(area_checks(scenario, results, inferred, candidate_party, areas.parties))
    return Replay(scenario=scenario, races=results, areas=areas, checks=tuple(checks),
                  inferred=tuple(inferred), candidate_party=candidate_party,
                  precinct_areas=within, protocol=protocol, precinct_rows=precinct_rows)


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
