"""[model.irregularities]: read strictly, applied to the drawn counts with every count whole and
conserved, the favourite gaining what the others lose, a clean model's draws unchanged."""

from __future__ import annotations

import numpy as np
import pytest

from engine.errors import ScenarioError
from engine.formats.scenario import loads
from engine.law.rules import preset
from engine.simulation import irregularities as irr
from engine.simulation.draws import draw_block
from engine.simulation.model import Model
from engine.simulation.runner import run
from tests.texts import RURAL_HEAD, two_candidate_race


def _spec(table: str) -> object:
    return loads(RURAL_HEAD + "[model]\nprecincts = 40\n" + table + two_candidate_race(60000),
                 name="x.toml").model


def test_the_table_is_read_with_its_defaults():
    """Given keys are read; the others take the documented defaults."""
    spec = _spec("[model.irregularities]\nincremental = 0.2\nstuffing = 0.3\n")
    assert spec.irregularities == irr.Irregularities(incremental=0.2, stuffing=0.3,
                                                     place="model.irregularities")
    assert _spec("").irregularities is None


@pytest.mark.parametrize(("table", "message"), [
    ("stufing = 0.2", "model.irregularities: unknown key 'stufing' (did you mean 'stuffing'?); "
     "allowed here: extreme, incremental, spread, stuffing, switching"),
    ("extreme = 1.5", "model.irregularities.extreme: must be in [0, 1], got 1.5"),
    ('switching = "0.2"', "model.irregularities.switching: must be a number, got a string "
     "'0.2'"),
    ("incremental = 0.7\nextreme = 0.4\nstuffing = 0.1",
     "model.irregularities: incremental + extreme must be <= 1 (fractions of precincts), got "
     "0.7 + 0.4"),
    ("incremental = 0.2", "model.irregularities.incremental: incremental fraud needs stuffing "
     "or switching above 0"),
])
def test_a_bad_table_is_one_error_naming_the_place(table, message):
    """Unknown keys, numbers out of range and impossible fractions name file and place."""
    with pytest.raises(ScenarioError) as err:
        _spec("[model.irregularities]\n" + table + "\n")
    assert str(err.value) == f"x.toml: {message}"


def _model(irregularities=None, p: int = 400) -> Model:
    registered = np.random.default_rng(1).integers(50, 3000, p)
    return Model(race=np.arange(p) % 2, registered=registered, n_candidates=[3, 2],
                 turnout_mean=[0.5, 0.6], turnout_concentration=[30.0, 30.0],
                 invalid_rate=[0.03, 0.03],
                 share_mean=[[0.2, 0.5, 0.25, 0.05], [0.3, 0.65, 0.0, 0.05]],
                 share_concentration=[50.0, 50.0], swing_sd=[0.1, 0.1],
                 irregularities=irregularities)


def test_counts_stay_whole_and_conserved():
    """In every run and precinct: int64 counts, cast <= registered, votes + invalid == cast;
    clean precincts unchanged; the favourite (the largest mean share, candidate 2 in both
    races) never loses and every other option never gains."""
    fraud = irr.Irregularities(incremental=0.3, extreme=0.1, stuffing=0.4, switching=0.3)
    clean, dirty = (draw_block(m, 9, 0, 64) for m in (_model(), _model(fraud)))
    assert dirty.cast.dtype == dirty.votes.dtype == np.int64
    assert (dirty.cast <= _model().registered).all()
    assert (dirty.votes.sum(axis=-1) + dirty.invalid == dirty.cast).all()
    assert (dirty.votes >= 0).all()
    untouched = dirty.fraud == irr.CLEAN
    assert (dirty.cast[untouched] == clean.cast[untouched]).all()
    assert (dirty.votes[untouched] == clean.votes[untouched]).all()
    gain = dirty.votes - clean.votes
    assert (gain[..., 1] >= 0).all()
    assert (np.delete(gain, 1, axis=-1) <= 0).all()
    assert (dirty.invalid == clean.invalid).all()  # stuffed ballots are valid votes


def test_fractions_of_precincts_and_extreme_turnout():
    """About 30% incremental and 10% extreme precincts (binomial bounds at 1e-4); extreme
    precincts take nearly every non-voter (spread 0.05: at least 80% of them, 4 sd)."""
    fraud = irr.Irregularities(incremental=0.3, extreme=0.1, stuffing=0.4, switching=0.3)
    d = draw_block(_model(fraud), 2, 0, 64)
    clean = draw_block(_model(), 2, 0, 64)
    n = d.fraud.size
    for kind, rate in ((irr.INCREMENTAL, 0.3), (irr.EXTREME, 0.1)):
        share = (d.fraud == kind).mean()
        assert abs(share - rate) < 3.9 * np.sqrt(rate * (1 - rate) / n)
    extreme = d.fraud == irr.EXTREME
    registered = np.broadcast_to(_model().registered, d.cast.shape)
    absent = (registered - clean.cast)[extreme]
    stuffed = (d.cast - clean.cast)[extreme]
    assert (stuffed >= 0.8 * absent - 4 * np.sqrt(absent) - 1).all()


def test_an_inactive_table_leaves_the_draws_unchanged():
    """No precinct chosen (both fractions 0): the same bytes as a model without the table."""
    a = draw_block(_model(), 5, 1, 200)
    b = draw_block(_model(irr.Irregularities()), 5, 1, 200)
    assert b.fraud is None
    assert (a.votes == b.votes).all()
    assert (a.cast == b.cast).all()


def test_switching_raises_the_favourites_win_probability():
    """Race 1's favourite (50% against 20% and 25%) wins more often with 40% of precincts
    switching a quarter of the other votes to it; the summary's counts still add up."""
    rules = preset("kz-2021-rural")
    fraud = irr.Irregularities(incremental=0.4, switching=0.25)
    clean = run(_model(p=4), rules, 640, 3, jobs=1)
    dirty = run(_model(fraud, p=4), rules, 640, 3, jobs=1)
    assert dirty.win_count[0, 1] > clean.win_count[0, 1]
    assert dirty.outcome_count.sum(axis=1).tolist() == [640, 640]
