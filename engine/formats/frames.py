"""Replay results as tidy pandas DataFrames, for notebooks (the optional ``pandas`` extra).

:func:`race_frame` has one row per race and option, :func:`precinct_frame` one per precinct and
option; options are the candidates in ballot order, then against all (``kind`` says which) where
the rules have that line. A race without precinct rows is one precinct, named "". Counts are
pandas' nullable ``Int64``: the int64 counts, ``<NA>`` where the source gave none (never -1, so
that a sum cannot go wrong); shares and turnout are float percentages, derived.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from engine.law.rules import Outcome
from engine.replay.run import Replay, precinct_table

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["precinct_frame", "race_frame"]

AGAINST_ALL = "against all"


def _pandas() -> Any:
    try:
        import pandas as pd
    except ImportError as err:  # an optional extra: say how to get it
        msg = "results as DataFrames need pandas: pip install 'saylau[pandas]'"
        raise ImportError(msg) from err
    return pd


def _counts(pd: Any, values: np.ndarray) -> Any:
    """int64 counts with -1 unknown -> a nullable Int64 array."""
    values = np.asarray(values, dtype=np.int64)
    return pd.arrays.IntegerArray(np.where(values >= 0, values, 0), values < 0)


def _options(rp: Replay) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per race, the option labels and parties, (R, K + 1) with against all in column K, and
    which cells are on the ballot."""
    s = rp.scenario
    k = s.max_candidates
    names = np.full((len(s.races), k + 1), AGAINST_ALL, dtype=object)
    parties = np.full((len(s.races), k + 1), "", dtype=object)
    for r, race in enumerate(s.races):
        names[r, :len(race.candidates)] = [c.name for c in race.candidates]
        parties[r, :len(race.candidates)] = [c.party for c in race.candidates]
    n = rp.races.totals.n_candidates
    on_ballot = np.arange(k + 1) < n[:, None]
    on_ballot[:, k] = s.election.rules.against_all
    return names, parties, on_ballot


def race_frame(rp: Replay) -> pd.DataFrame:
    """One row per race and option: votes, share (% of valid), elected, and the race's counts,
    turnout and outcome repeated on each of its rows."""
    pd = _pandas()
    s, res = rp.scenario, rp.races
    t = res.totals
    names, parties, on_ballot = _options(rp)
    r, j = np.nonzero(on_ballot)
    k = on_ballot.shape[1] - 1
    aa = j == k
    cand = np.where(aa, 0, j)
    votes = np.where(aa, t.against_all[r], t.votes[r, cand])
    share = np.where(aa, res.against_all_share[r], res.shares[r, cand])
    e = s.election
    race_ids = np.array([race.id for race in s.races], dtype=object)
    race_names = np.array([race.name for race in s.races], dtype=object)
    areas = np.array([" / ".join(race.area) for race in s.races], dtype=object)
    dates = np.array([race.date or e.date for race in s.races], dtype=object)
    outcomes = np.array([Outcome(int(o)).label for o in res.outcome], dtype=object)
    return pd.DataFrame({
        "race_id": race_ids[r], "race": race_names[r], "area": areas[r],
        "date": pd.to_datetime(dates[r]),
        "option": names[r, j], "kind": np.where(aa, "against_all", "candidate"),
        "party": parties[r, j], "votes": _counts(pd, votes), "share": share,
        "elected": ~aa & (res.winner[r] == j),
        "registered": _counts(pd, t.registered[r]), "cast": _counts(pd, t.cast[r]),
        "invalid": _counts(pd, t.invalid[r]), "valid": _counts(pd, t.valid[r]),
        "turnout": res.turnout[r], "outcome": outcomes[r],
    })


def precinct_frame(rp: Replay) -> pd.DataFrame:
    """One row per precinct and option: its votes and the precinct's registered voters, ballots
    cast and invalid ballots."""
    pd = _pandas()
    s = rp.scenario
    table = precinct_table(s)
    names, parties, on_ballot = _options(rp)
    ids = np.concatenate([race.precincts.ids.astype(object) if race.precincts is not None
                          else np.array([""], dtype=object) for race in s.races]
                         ) if s.races else np.array([], dtype=object)
    race = table.race
    p, j = np.nonzero(on_ballot[race])
    r = race[p]
    k = on_ballot.shape[1] - 1
    aa = j == k
    votes = np.where(aa, table.counts[p, 3], table.counts[p, 4 + np.where(aa, 0, j)])
    race_ids = np.array([x.id for x in s.races], dtype=object)
    return pd.DataFrame({
        "race_id": race_ids[r], "precinct": ids[p], "option": names[r, j],
        "kind": np.where(aa, "against_all", "candidate"), "party": parties[r, j],
        "votes": _counts(pd, votes), "registered": _counts(pd, table.counts[p, 0]),
        "cast": _counts(pd, table.counts[p, 1]), "invalid": _counts(pd, table.counts[p, 2]),
    })
