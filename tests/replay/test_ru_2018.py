"""The 2018 Russian presidential election's 97,699 station protocols (../shared/data/ru-2018),
replayed as published: national totals, the commission's registered voters, the protocol's
control relations and three regions against sums computed here independently."""

from __future__ import annotations

import csv
import io
import zipfile

import pytest

from engine.formats.scenario import load
from engine.replay.run import replay
from tests.paths import RU_2018, SHARED

DATA = SHARED / "data" / "ru-2018" / "2018.csv.zip"
pytestmark = pytest.mark.skipif(not DATA.is_file(),
                                reason=f"the shared data is not beside the checkout ({DATA})")
CANCELLED = (45558, 45562, 92553, 92560)  # data rows, the first after the header being 1


@pytest.fixture(scope="module")
def rp():
    """The replay (read once for the module)."""
    return replay(load(RU_2018))


@pytest.fixture(scope="module")
def rows():
    """The file read by the standard library, as a cross-check of the fast reader."""
    with zipfile.ZipFile(DATA) as z:
        text = z.read(z.namelist()[0]).decode("utf-8")
    return list(csv.DictReader(io.StringIO(text)))


def test_the_national_totals_are_the_readme_figures(rp):
    """Registered, issued, invalid, valid and every candidate's votes as the README sums them."""
    t = rp.races.totals
    assert int(t.registered[0]) == 109_008_428
    assert int(t.lines["issued"][0]) == 73_629_581
    assert (int(t.invalid[0]), int(t.valid[0])) == (791_258, 72_787_734)
    assert t.votes[0].tolist() == [479_013, 8_659_206, 4_154_985, 56_430_712, 1_238_031,
                                   499_342, 556_801, 769_644]


def test_the_official_bases_give_the_published_turnout_and_share(rp):
    """Turnout of ballots issued (67.5%) and Putin's share of all ballots (76.69%) hold."""
    checks = {c.where: c for c in rp.checks}
    assert checks["race[president].published.turnout"].status == "rounded"
    assert checks["race[president].candidate[4].published.share"].status == "rounded"
    assert round(float(rp.races.turnout[0]), 1) == 67.5


def test_the_four_cancelled_stations_explain_the_registered_voters(rp, rows):
    """The commission's 109,001,306 is the file's sum less the four stations cancelled later."""
    check = next(c for c in rp.checks if c.where == "race[president].published.registered")
    assert check.status == "mismatch"
    key = "Число избирателей, включенных в список избирателей"
    cancelled = sum(int(rows[n - 1][key]) for n in CANCELLED)
    assert check.difference == -cancelled


def test_the_control_relations_hold_but_at_six_stations(rp):
    """Every relation holds at every station, but six have more ballots in the boxes than
    were issued (the README's finding)."""
    found = {f.relation.text: f for f in rp.protocol.relations}
    assert {t: f.failed for t, f in found.items()} == {
        "received = issued + cancelled + lost - unaccounted": 0,
        "boxes = invalid + valid": 0, "valid = options": 0, "issued <= registered": 0,
        "boxes <= issued": 6}
    assert all(f.checked == 97_699 for f in found.values())
    worst = found["boxes <= issued"].worst
    assert all(x.left > x.right for x in worst)


@pytest.mark.parametrize("region", ["Республика Татарстан (Татарстан)", "Алтайский край",
                                    "99 Территория за пределами РФ"])
def test_three_regions_equal_their_rows_summed_here(rp, rows, region):
    """A region's results equal its rows summed by the standard library."""
    mine = [r for r in rows if r["region"] == region]
    pa = rp.precinct_areas
    i = pa.paths.index((region,))
    assert int(pa.precincts[i]) == len(mine)
    for j, column in enumerate(["Бабурин Сергей Николаевич", "Грудинин Павел Николаевич",
                                "Жириновский Владимир Вольфович",
                                "Путин Владимир Владимирович"]):
        assert int(pa.counts[i, 4 + j]) == sum(int(r[column]) for r in mine)
    assert int(pa.counts[i, 0]) == sum(
        int(r["Число избирателей, включенных в список избирателей"]) for r in mine)
