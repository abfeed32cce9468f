"""The election `saylau forensics` and `saylau audit` examine: a replay's, or one drawn from a
simulation scenario (run 0 of `saylau simulate --seed S`)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import attrs
import numpy as np

from cli.output import UserError, warn
from cli.sources import load_file

if TYPE_CHECKING:
    from engine.analysis.forensics import Forensics
    from engine.law.rules import RuleSet
    from engine.replay.run import Replay
    from engine.tally.races import PrecinctTable, RaceResults

__all__ = ["Election", "election", "examined", "replayed"]


@attrs.frozen(eq=False)
class Election:
    """One election, tallied: a replay's, or one drawn from a simulation scenario."""

    name: str
    source: str          # "replay" or "simulation, seed S"
    table: PrecinctTable
    results: RaceResults
    rules: RuleSet
    races: tuple[str, ...]
    candidates: tuple[tuple[str, ...], ...]
    ballots: np.ndarray | None = None  # the ballots an audit samples (audit_ballots)
    ballots_basis: np.ndarray | None = None  # where each race's come from (BALLOT_BASES)
    turnout_basis: str = "cast"   # the election's declared bases (a simulation: its file's)
    share_basis: str = "valid"


def election(file: str, seed: int, repeats: str | None = None,
             memory: int | None = None) -> Election:
    """The election of ``file`` (a scenario or an OpenElections CSV file): replayed, or run 0
    of its simulation drawn within ``memory`` bytes; its counts within what the statistics
    take (:data:`engine.limits.MAX_SIM_VOTERS`)."""
    scenario = load_file(file, repeats)
    warn(scenario.warnings)
    rules = scenario.election.rules
    if scenario.model is None:
        from engine.replay.run import replay

        return replayed(replay(scenario))
    if rules.kind == "indirect":
        msg = (f"{scenario.file}: a simulated indirect round has deputies' votes, not precinct "
               "counts; replay the historical file instead")
        raise UserError(msg)
    from engine.analysis.forensics import simulated_election
    from engine.simulation.budget import fits
    from engine.simulation.setup import setup

    st = setup(scenario)
    fits(st.model, memory, file=scenario.file)  # the block run 0 is drawn in, before drawing
    table, res = simulated_election(st.model, st.rules, seed)
    return Election(name=scenario.election.name, source=f"simulation, seed {seed}",
                     table=table, results=res, rules=st.rules,
                     races=tuple(r.name for r in st.races),
                     candidates=tuple(r.candidates for r in st.races),
                     share_basis=scenario.election.share_basis)


def replayed(rp: Replay) -> Election:
    """The election of a replay, as `saylau forensics` and `saylau audit` read it."""
    # the engine is imported when the command runs: start-up time of `saylau --help`
    from engine.analysis.audit import audit_ballots
    from engine.replay.run import precinct_table

    scenario = rp.scenario
    ballots, basis = audit_ballots(rp)
    table = precinct_table(scenario)
    _within_limits(scenario.file, table)
    return Election(name=scenario.election.name, source="replay",
                    table=table, results=rp.races,
                    rules=scenario.election.rules,
                    races=tuple(r.name for r in scenario.races),
                    candidates=tuple(tuple(c.name for c in r.candidates)
                                     for r in scenario.races),
                    ballots=ballots, ballots_basis=basis,
                    turnout_basis=scenario.election.turnout_basis,
                    share_basis=scenario.election.share_basis)


def _within_limits(file: str, table: PrecinctTable) -> None:
    """Precinct counts the tests' exact integer arithmetic and draws take: at most
    MAX_SIM_VOTERS (10**14) a precinct (a larger count is refused in one line)."""
    from engine.limits import MAX_SIM_VOTERS  # with the engine: start-up

    big = table.counts > MAX_SIM_VOTERS
    if big.any():
        row = int(np.flatnonzero(big.any(axis=1))[0])
        msg = (f"{file}: precinct row {row + 1} holds a count of "
               f"{int(table.counts[row].max()):,}: forensics and audits take at most "
               f"{MAX_SIM_VOTERS:,} a precinct")
        raise UserError(msg)


def examined(e: Election, seed: int, file: str, turnout_basis: str | None = None,
             share_basis: str | None = None, mapper=None) -> Forensics:
    """Every forensic test on ``e``'s precincts, turnout and shares on the bases asked for
    (default: the election's); a basis whose line the file lacks is one line naming it.
    ``mapper``: where the costly tests run (a Dask backend's map; the same findings)."""
    from engine.analysis.forensics import (  # when run: start-up
        basis_arrays,
        examine,
        precincts_of,
    )
    from engine.errors import ScenarioError

    bases = (turnout_basis or e.turnout_basis, share_basis or e.share_basis)
    turnout, share_of, missing = basis_arrays(e.table, *bases)
    if missing:
        raise ScenarioError(file, "", f"{missing}; choose another with --turnout-basis or "
                            "--share-basis")
    return examine(precincts_of(e.table, e.results, turnout=turnout, share_of=share_of), seed,
                   bases=bases, mapper=mapper)
