"""Results as tidy DataFrames: one row per race and option, one per precinct and option, the
replay's counts exactly, unknown counts as <NA>, and a clear error without pandas."""

from __future__ import annotations

import sys

import numpy as np
import pytest

from engine.formats.frames import precinct_frame, race_frame
from engine.formats.scenario import load, loads
from engine.replay.run import replay
from tests.paths import HISTORICAL_FILES, SEMEY_2025
from tests.texts import PRECINCT_HEAD

pd = pytest.importorskip("pandas")

PRECINCTS = PRECINCT_HEAD + """
[[race]]
id = "r1"
area = ["North"]
[[race.candidate]]
name = "A"
party = "Nur Otan"
[[race.candidate]]
name = "B"
[[race.precinct]]
id = "1"
registered = 300
cast = 200
invalid = 4
against_all = 6
votes = [120, 70]
[[race.precinct]]
id = "2"
cast = 150
against_all = 10
votes = [40, 95]
[[race]]
id = "r2"
registered = 90
cast = 80
[[race.candidate]]
name = "C"
votes = 60
[race.against_all]
votes = 20
"""


@pytest.mark.parametrize("scenario", HISTORICAL_FILES, ids=lambda p: p.stem)
def test_the_race_frame_holds_every_option_of_every_race_exactly(scenario):
    """One row per race and option, votes as the replay counted them, one elected per winner."""
    rp = replay(load(scenario))
    f = race_frame(rp)
    t = rp.races.totals
    per_race = t.n_candidates + rp.scenario.election.rules.against_all
    assert len(f) == per_race.sum()
    candidates = f[f.kind == "candidate"]
    expected = t.votes[np.arange(t.votes.shape[1]) < t.n_candidates[:, None]]  # row-major
    assert candidates.votes.fillna(-1).to_numpy().tolist() == expected.tolist()
    assert f.elected.sum() == (rp.races.winner >= 0).sum()
    assert str(f.votes.dtype) == "Int64"


def test_the_precinct_frame_sums_to_the_race_frame():
    """Summed per race and option, precinct rows give the race rows' votes; a race without
    precinct rows is one precinct named ""."""
    rp = replay(loads(PRECINCTS))
    p = precinct_frame(rp)
    assert p.precinct.tolist() == ["1", "1", "1", "2", "2", "2", "", ""]
    assert p.option.tolist() == ["A", "B", "against all"] * 2 + ["C", "against all"]
    summed = p.groupby(["race_id", "option"], sort=False).votes.sum()
    r = race_frame(rp).set_index(["race_id", "option"]).votes
    assert summed.tolist() == r.tolist() == [160, 165, 16, 60, 20]
    assert p.registered.isna().tolist() == [False] * 3 + [True] * 3 + [False] * 2


def test_unknown_counts_are_na_not_minus_one():
    """Semey's unpublished against-all count and ballots cast are <NA>; sums skip nothing
    silently (a -1 would have made them wrong)."""
    f = race_frame(replay(load(SEMEY_2025)))
    against = f[f.kind == "against_all"].iloc[0]
    assert pd.isna(against.votes)
    assert pd.isna(against.cast)
    assert against.registered == 220761
    assert f.votes.sum() == 89441 + 12557 + 9763
    assert f.date.iloc[0] == pd.Timestamp("2025-10-12")


def test_a_missing_pandas_says_how_to_install_it(monkeypatch):
    """Without pandas a frame is refused with the pip line that installs it."""
    monkeypatch.setitem(sys.modules, "pandas", None)
    with pytest.raises(ImportError, match=r"pip install 'saylau\[pandas\]'"):
        race_frame(replay(loads(PRECINCTS)))
