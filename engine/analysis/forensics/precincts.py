"""The precincts forensics reads, from a replay's or a simulated election's tallied table."""

from __future__ import annotations

import attrs
import numpy as np

from engine.law.rules import RuleSet
from engine.records import UNKNOWN
from engine.simulation.draws import draw_block
from engine.simulation.model import Model
from engine.simulation.seeds import BLOCK_RUNS
from engine.tally.races import PrecinctTable, RaceResults, race_results, race_totals
from engine.tally.sums import sum_by_group

__all__ = ["ForensicPrecincts", "precincts_of", "simulated_election"]


@attrs.frozen(eq=False)
class ForensicPrecincts:
    """The precincts forensics reads: every count known, voters and valid votes > 0.

    race : (P,) int64; registered, cast, valid, leader (votes of the race's leader) : (P,) int64
    rest_leader : (P,) int64, votes of the candidate who leads the rest of the race (its other
        precincts): the slope's leader, chosen without the precinct's own counts
    candidate_votes : (N,) int64, every candidate's votes in every precinct (digit tests)
    candidate_valid : (N,) int64, the valid votes of each of those counts' precinct
    left_out : rows of the table left out for an unknown or impossible count
    """

    race: np.ndarray
    registered: np.ndarray
    cast: np.ndarray
    valid: np.ndarray
    leader: np.ndarray
    rest_leader: np.ndarray
    candidate_votes: np.ndarray
    candidate_valid: np.ndarray
    left_out: int = 0

    @property
    def n(self) -> int:
        return int(self.race.shape[0])

    @property
    def turnout(self) -> np.ndarray:
        return self.cast / self.registered

    @property
    def share(self) -> np.ndarray:
        return self.leader / self.valid


def precincts_of(table: PrecinctTable, results: RaceResults) -> ForensicPrecincts:
    """The usable precincts of a tallied election (a replay's or a simulated one's)."""
    c = table.counts
    registered, cast, invalid, against = (c[:, i] for i in range(4))
    votes = c[:, 4:]
    k = votes.shape[1]
    on_ballot = np.arange(k) < results.totals.n_candidates[table.race][:, None]
    votes = np.where(on_ballot, votes, 0)
    parts = votes.sum(axis=1) + np.maximum(against, 0)
    valid = np.where((cast >= 0) & (invalid >= 0), cast - invalid, parts)
    race_votes = np.where(np.arange(k) < results.totals.n_candidates[:, None],
                          results.totals.votes, -2)
    top = np.argmax(race_votes, axis=1) if k else np.zeros(table.n_races, np.int64)
    lead = np.where(results.winner >= 0, results.winner, top)
    leader = votes[np.arange(votes.shape[0]), lead[table.race]] if k else np.zeros_like(cast)
    ok = ((registered > 0) & (cast >= 0) & (cast <= registered) & (valid > 0)
          & (valid <= cast) & (parts <= valid) & (votes >= 0).all(axis=1)
          & ((against >= 0) | (against == UNKNOWN)))
    race, kept, listed = table.race[ok].astype(np.int64), votes[ok], on_ballot[ok]
    rest = sum_by_group(kept, race, table.n_races)[race] - kept
    first_of_rest = np.argmax(np.where(listed, rest, -1), axis=1) if k else race * 0
    rest_leader = kept[np.arange(race.size), first_of_rest] if k else race * 0
    return ForensicPrecincts(race=race, registered=registered[ok], cast=cast[ok], valid=valid[ok],
                     leader=leader[ok], rest_leader=rest_leader,
                     candidate_votes=votes[ok][listed],
                     candidate_valid=np.broadcast_to(valid[ok][:, None], listed.shape)[listed],
                     left_out=int((~ok).sum()))


def simulated_election(model: Model, rules: RuleSet, seed: int) -> tuple[PrecinctTable,
                                                                          RaceResults]:
    """Run 0 of ``saylau simulate --seed seed`` (with ``--runs`` of at least ``BLOCK_RUNS``, as
    the default 10,000), precinct by precinct (irregularities included), tallied and decided by
    ``rules``. A simulation draws its runs in blocks of ``BLOCK_RUNS`` and a run's draws depend
    on its block's size, so block 0 is drawn whole, as such a simulation draws it."""
    d = draw_block(model, seed, 0, BLOCK_RUNS)
    k = model.k
    counts = np.empty((model.n_precincts, 4 + k), np.int64)
    counts[:, 0] = model.registered
    counts[:, 1] = d.cast[0]
    counts[:, 2] = d.invalid[0]
    counts[:, 3] = d.votes[0, :, k]
    counts[:, 4:] = d.votes[0, :, :k]
    table = PrecinctTable(race=model.race, counts=counts, n_races=model.n_races)
    totals = race_totals(table, model.n_candidates, against_all_line=rules.against_all)
    return table, race_results(totals, rules)
