"""The precincts forensics reads, from a replay's or a simulated election's tallied table.

Each test keeps what it needs and no more: the digit tests need only the candidates' counts
(and each precinct's valid votes, their sum where nothing else gives them), so they read every
precinct whose candidates' counts are known; the tests of turnout need registered voters and
ballots cast too, so they read the precincts where both are known and possible. What the
turnout tests cannot read is said in one line (``turnout_missing``), never left silently empty.

The caller may choose the bases (``precincts_of(..., turnout=, share_of=)``): the numerator of
turnout per table row (ballots cast by default, derived as valid + invalid where the source
gives those but not the ballots) and the denominator of shares (valid votes by default).
"""

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

__all__ = ["ForensicPrecincts", "basis_arrays", "precincts_of", "simulated_election"]


@attrs.frozen(eq=False)
class ForensicPrecincts:
    """The precincts forensics reads.

    Turnout precincts (every count known and possible; voters and valid votes > 0):
    race : (P,) int64; registered, cast (turnout's numerator), valid (shares' denominator),
        leader (votes of the race's leader) : (P,) int64
    rest_leader : (P,) int64, votes of the candidate who leads the rest of the race (its other
        precincts): the slope's leader, chosen without the precinct's own counts
    left_out : rows of the table left out of them, for an unknown or impossible count
    turnout_missing : why no precinct has a usable turnout ("" when some has)

    Counted precincts (every candidate's count known, valid votes > 0), for the digit tests:
    candidate_votes : (N,) int64, every candidate's votes in every counted precinct
    candidate_valid : (N,) int64, the valid votes of each of those counts' precinct
    counted : how many precincts they come from (-1: the turnout precincts')
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
    turnout_missing: str = ""
    counted: int = -1

    @property
    def n(self) -> int:
        return int(self.race.shape[0])

    @property
    def n_counted(self) -> int:
        return self.n if self.counted < 0 else self.counted

    @property
    def turnout(self) -> np.ndarray:
        return self.cast / self.registered

    @property
    def share(self) -> np.ndarray:
        return self.leader / self.valid


def _why_no_turnout(registered: np.ndarray, numerator: np.ndarray, counted: np.ndarray,
                    rows: int) -> str:
    """Why no precinct has a usable turnout, in a few words."""
    if not rows:
        return "the election has no precinct counts (no race)"
    if not counted.any():
        return "no precinct gives every candidate's count"
    if not (registered[counted] >= 0).any():
        return "registered voters are unknown in every precinct"
    if not (numerator[counted] >= 0).any():
        return "ballots cast are unknown in every precinct (nor are valid and invalid both known)"
    both = counted & (registered >= 0) & (numerator >= 0)
    if not both.any():
        return "no precinct gives both registered voters and ballots cast"
    return "no precinct has registered voters and ballots cast that fit its votes"


def precincts_of(table: PrecinctTable, results: RaceResults, *,
                 turnout: np.ndarray | None = None, share_of: np.ndarray | None = None
                 ) -> ForensicPrecincts:
    """The usable precincts of a tallied election (a replay's or a simulated one's).

    turnout : (rows,) int64, turnout's numerator per row of ``table`` (-1 unknown); default
        ballots cast, else valid + invalid where both are known
    share_of : (rows,) int64, shares' denominator per row (-1 unknown); default valid votes
        (cast - invalid where both are known, else the options' votes)
    """
    c = table.counts
    registered, cast, invalid, against = (c[:, i] for i in range(4))
    votes = c[:, 4:]
    k = votes.shape[1]
    on_ballot = np.arange(k) < results.totals.n_candidates[table.race][:, None]
    votes = np.where(on_ballot, votes, 0)
    known = (votes >= 0).all(axis=1) & ((against >= 0) | (against == UNKNOWN))
    parts = np.maximum(votes, 0).sum(axis=1) + np.maximum(against, 0)
    given_valid = np.where((cast >= 0) & (invalid >= 0), cast - invalid, parts)
    valid = given_valid if share_of is None else np.asarray(share_of, np.int64)
    if turnout is None:  # ballots cast, or valid + invalid where the source gives both
        numerator = np.where((cast < 0) & (invalid >= 0) & known, parts + invalid, cast)
    else:
        numerator = np.asarray(turnout, np.int64)
    race_votes = np.where(np.arange(k) < results.totals.n_candidates[:, None],
                          results.totals.votes, -2)
    top = np.argmax(race_votes, axis=1) if k else np.zeros(table.n_races, np.int64)
    lead = np.where(results.winner >= 0, results.winner, top)
    leader = votes[np.arange(votes.shape[0]), lead[table.race]] if k else np.zeros_like(cast)
    # Digit tests: every candidate's count known; a count's total is its precinct's valid
    # votes, their sum where the source's figures do not hold together.
    counted = known & (parts > 0)
    count_valid = np.where(given_valid >= parts, given_valid, parts)
    ok = (known & (registered > 0) & (numerator >= 0) & (numerator <= registered)
          & (valid > 0) & (valid <= numerator) & (parts <= valid))
    race, kept, listed = table.race[ok].astype(np.int64), votes[ok], on_ballot[ok]
    rest = sum_by_group(kept, race, table.n_races)[race] - kept
    first_of_rest = np.argmax(np.where(listed, rest, -1), axis=1) if k else race * 0
    rest_leader = kept[np.arange(race.size), first_of_rest] if k else race * 0
    in_digits = on_ballot[counted]
    return ForensicPrecincts(
        race=race, registered=registered[ok], cast=numerator[ok], valid=valid[ok],
        leader=leader[ok], rest_leader=rest_leader,
        candidate_votes=votes[counted][in_digits],
        candidate_valid=np.broadcast_to(count_valid[counted][:, None],
                                        in_digits.shape)[in_digits],
        left_out=int((~ok).sum()),
        turnout_missing="" if ok.any() else _why_no_turnout(registered, numerator, counted,
                                                           len(ok)),
        counted=int(counted.sum()))


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


def basis_arrays(table: PrecinctTable, turnout_basis: str, share_basis: str
                 ) -> tuple[np.ndarray | None, np.ndarray | None, str]:
    """:func:`precincts_of`'s ``turnout`` and ``share_of`` for the bases asked for (None: the
    default, ballots cast and valid votes), and a problem when the table lacks a line they need
    (``""`` when it has them): ballots issued for turnout of issued ballots, ballots cast for
    shares of all ballots."""
    turnout = share_of = None
    if turnout_basis == "issued":
        issued = table.lines.get("issued")
        if issued is None or not (issued >= 0).any():
            return None, None, "turnout of ballots issued needs the protocol's line 'issued'"
        turnout = issued
    if share_basis == "cast":
        cast = table.counts[:, 1]
        if not (cast >= 0).any():
            return None, None, "shares of all ballots need ballots cast"
        share_of = cast
    return turnout, share_of, ""
