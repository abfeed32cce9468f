"""What the shipped historical replays find, figure by figure (hand-checked against the seeds)."""

from __future__ import annotations

from fractions import Fraction

import pytest

from engine.formats.scenario import load
from engine.replay.run import replay
from tests.paths import HISTORICAL, INDIRECT_2013, RURAL_2021


@pytest.fixture(scope="module")
def rural_2021():
    """The 2021 rural replay, once per module: its checks by (place, basis), and the replay."""
    rp = replay(load(RURAL_2021))
    return {(c.where, c.basis): c for c in rp.checks}, rp


def _find(checks, where: str, basis_part: str = ""):
    found = [c for (w, b), c in checks.items() if w == where and basis_part in b]
    assert len(found) == 1, (where, basis_part, found)
    return found[0]


@pytest.mark.parametrize(("where", "basis", "status", "recomputed"), [
    # the regions' registered voters add up to one more than the nation's
    ("area[Kazakhstan].published[1].registered", "beneath", "mismatch", 1_209_818),
    ("area[Kazakhstan].published[1].cast", "beneath", "exact", 956_984),
    ("area[Kazakhstan].published[1].races", "beneath", "exact", 730),
    # the national seat table does not add up from the regions' tables
    ("area[Kazakhstan].party[Nur Otan].published[1].seats", "summed", "mismatch", 563),
    ("area[Kazakhstan].party[Independent].published[1].seats", "summed", "mismatch", 98),
    # the infobox percentages are shifted by one party
    ("area[Kazakhstan].party[Adal].published[2].seat_share", "", "mismatch",
     Fraction(100 * 15, 730)),
    # candidates by region: 737 races in the rows, 743 in the total row
    ("area[Kazakhstan].published[4].races", "beneath", "mismatch", 737),
    ("area[Kazakhstan].published[4].candidates", "beneath", "exact", 2307),
    ("area[Atyrau Region].published[2].races", "same count", "mismatch", 18),
    # Aqmola's votes: two shares that are neither rounded nor truncated, two truncated
    ("area[Aqmola Region].party[Nur Otan].published[1].vote_share", "", "mismatch",
     Fraction(100 * 46109, 75833)),
    ("area[Aqmola Region].party[Independent].published[1].vote_share", "", "mismatch",
     Fraction(100 * 18163, 75833)),
    ("area[Aqmola Region].published[1].against_all_share", "", "truncated",
     Fraction(100 * 4880, 75833)),
    ("area[Aqmola Region].published[1].cast", "parties' votes", "exact", 75833),
    ("area[Atyrau Region].party[Adal].published[1].seat_share", "", "truncated",
     Fraction(100, 18)),
    ("area[Almaty Region].party[Auyl People's Democratic Patriotic Party].published[1]"
     ".seat_share", "", "mismatch", Fraction(300, 71)),
    ("area[North Kazakhstan Region].party[People's Party].published[1].seat_share", "",
     "truncated", Fraction(300, 71)),
    # Ülken: no invalid ballot, yet 3.77% invalid (Aqqum's figure)
    ("race[ulken].published.invalid_share", "", "mismatch", Fraction(0)),
    ("race[bersugir].published.turnout", "", "rounded", Fraction(100 * 768, 1175)),
])
def test_2021_findings(rural_2021, where, basis, status, recomputed):
    """Each 2021 figure listed has the status and the recomputed value found by hand (the
    comments above say why)."""
    c = _find(rural_2021[0], where, basis)
    assert (c.status, c.recomputed) == (status, recomputed)


def test_2021_by_elections_are_decided_and_add_up(rural_2021):
    """The four 2021 by-elections: cast is valid plus invalid, the margins are as printed, and
    a candidate's share is of all ballots cast."""
    _, rp = rural_2021
    t = rp.races.totals
    assert [r.id for r in rp.scenario.races] == ["aqqum", "talaptan", "ulken", "bersugir"]
    assert t.cast.tolist() == (t.valid + t.invalid).tolist() == [928, 1923, 860, 768]
    assert rp.races.margin_votes.tolist() == [578, 1722, 650, 239]
    aqqum_share = [c for c in rp.checks if c.where == "race[aqqum].candidate[1].published.share"]
    assert aqqum_share[0].recomputed == Fraction(100 * 731, 928)  # shares of all ballots


def test_2021_reports_every_mismatch_and_nothing_else(rural_2021):
    """The 2021 replay finds exactly 19 figures that do not hold, and 5 that are truncated."""
    _, rp = rural_2021
    assert len(rp.mismatches) == 19
    assert sum(c.status == "truncated" for c in rp.checks) == 5


def test_2023_pilots_bound_north_kazakhstan_by_its_races():
    """North Kazakhstan's cast is bounded only from below by its pilot races in the file (23,451
    or more): consistent; no figure is a mismatch, and each of the 4 races elects its first."""
    rp = replay(load(HISTORICAL / "kz-2023-district-pilots.toml"))
    cast = [c for c in rp.checks if c.where == "area[North Kazakhstan Region].published.cast"]
    assert cast[0].status == "consistent"
    assert "23,451 or more" in cast[0].basis
    assert not rp.mismatches
    assert [int(w) for w in rp.races.winner] == [0, 0, 0, 0]


def test_2013_posts_add_up_by_kind_and_by_outcome():
    """The 2013 posts hold: the nation's count is both the sum of the 4 kinds of post beneath
    it and the elected plus the ties."""
    rp = replay(load(INDIRECT_2013))
    assert not rp.mismatches
    bases = {c.basis for c in rp.checks if c.where == "area[Kazakhstan].published[2].races"}
    assert {"sum of the 4 areas beneath", "elected + ties"} <= bases
