"""A replay as two tidy tables of plain arrays: one row per race and option, one per precinct and
option (options: the candidates in ballot order, then against all where the ballot has that
line). :mod:`engine.formats.frames` makes pandas DataFrames of them, :mod:`engine.formats.parquet`
Parquet files. Counts are int64 with -1 where the source gave none (each front end turns those
into nulls); shares and turnout are float percentages, derived.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from engine.law.rules import Outcome
from engine.records import Race
from engine.replay.run import Replay, precinct_table

__all__ = ["AGAINST_ALL", "COUNTS", "precinct_columns", "race_columns"]

AGAINST_ALL = "against all"
# The columns that hold counts (-1 unknown): the front ends make them nullable integers.
COUNTS = ("votes", "registered", "cast", "invalid", "valid")


def _options(rp: Replay) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per race, the option labels and parties, (R, K + 1) with against all in column K, and
    which cells are on the ballot (against all where the rules and the race's ballot have it)."""
    s = rp.scenario
    k = s.max_candidates
    names = np.full((len(s.races), k + 1), AGAINST_ALL, dtype=object)
    parties = np.full((len(s.races), k + 1), "", dtype=object)
    for r, race in enumerate(s.races):
        names[r, :len(race.candidates)] = [c.name for c in race.candidates]
        parties[r, :len(race.candidates)] = [c.party for c in race.candidates]
    n = rp.races.totals.n_candidates
    on_ballot = np.arange(k + 1) < n[:, None]
    on_ballot[:, k] = s.election.rules.against_all & np.array(
        [race.against_all_line for race in s.races], bool)
    return names, parties, on_ballot


def race_columns(rp: Replay) -> dict[str, np.ndarray]:
    """One row per race and option: votes, share (% of valid), elected, and the race's counts,
    turnout and outcome repeated on each of its rows (``date``: datetime64[D], NaT unknown)."""
    s, res = rp.scenario, rp.races
    t = res.totals
    names, parties, on_ballot = _options(rp)
    r, j = np.nonzero(on_ballot)
    k = on_ballot.shape[1] - 1
    aa = j == k
    cand = np.where(aa, 0, j)
    e = s.election
    dates = np.array([np.datetime64(race.date or e.date) if (race.date or e.date)
                      else np.datetime64("NaT") for race in s.races], dtype="datetime64[D]")
    outcomes = np.array([Outcome(int(o)).label for o in res.outcome], dtype=object)
    return {
        "race_id": np.array([race.id for race in s.races], dtype=object)[r],
        "race": np.array([race.name for race in s.races], dtype=object)[r],
        "area": np.array([" / ".join(race.area) for race in s.races], dtype=object)[r],
        "date": dates[r], "option": names[r, j],
        "kind": np.where(aa, "against_all", "candidate").astype(object),
        "party": parties[r, j],
        "votes": np.where(aa, t.against_all[r], t.votes[r, cand]),
        "share": np.where(aa, res.against_all_share[r], res.shares[r, cand]),
        "elected": ~aa & (res.winner[r] == j),
        "registered": t.registered[r], "cast": t.cast[r], "invalid": t.invalid[r],
        "valid": t.valid[r], "turnout": res.turnout[r], "outcome": outcomes[r],
    }


def precinct_columns(rp: Replay) -> dict[str, np.ndarray]:
    """One row per precinct and option: its votes and the precinct's registered voters, ballots
    cast and invalid ballots; with the precincts' counties where a file gave them, and each
    vote method's votes where a race kept them (-1 elsewhere)."""
    s = rp.scenario
    table = precinct_table(s)
    names, parties, on_ballot = _options(rp)

    def per_precinct(get: Callable[[Race], np.ndarray]) -> np.ndarray:
        return (np.concatenate([get(race) for race in s.races]) if s.races
                else np.zeros(0, dtype=object))

    ids = per_precinct(lambda race: race.precincts.ids.astype(object)
                       if race.precincts is not None else np.array([""], dtype=object))
    race = table.race
    p, j = np.nonzero(on_ballot[race])
    r = race[p]
    k = on_ballot.shape[1] - 1
    aa = j == k
    out: dict[str, np.ndarray] = {
        "race_id": np.array([x.id for x in s.races], dtype=object)[r], "precinct": ids[p]}
    if any(x.precincts is not None and x.precincts.county is not None for x in s.races):
        county = per_precinct(lambda race: race.precincts.county.astype(object)
                              if race.precincts is not None and race.precincts.county is not None
                              else np.full(1 if race.precincts is None
                                           else len(race.precincts.ids), "", dtype=object))
        out["county"] = county[p]
    out |= {"option": names[r, j], "kind": np.where(aa, "against_all", "candidate").astype(object),
            "party": parties[r, j],
            "votes": np.where(aa, table.counts[p, 3], table.counts[p, 4 + np.where(aa, 0, j)]),
            "registered": table.counts[p, 0], "cast": table.counts[p, 1],
            "invalid": table.counts[p, 2]}
    methods = list(dict.fromkeys(m for x in s.races for m in x.methods))
    if methods:
        start = np.concatenate([[0], np.cumsum([1 if x.precincts is None else len(x.precincts.ids)
                                                for x in s.races])])
        bounds = np.searchsorted(r, np.arange(len(s.races) + 1))  # rows come race by race
        for name in methods:
            column = np.full(len(p), -1, np.int64)
            for ri, x in enumerate(s.races):
                if name not in x.methods or x.precincts is None or x.precincts.methods is None:
                    continue
                rows = np.arange(bounds[ri], bounds[ri + 1])[~aa[bounds[ri]:bounds[ri + 1]]]
                column[rows] = x.precincts.methods[p[rows] - start[ri], j[rows],
                                                   x.methods.index(name)]
            out[name] = column
    return out
