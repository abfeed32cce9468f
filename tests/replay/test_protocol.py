"""The precinct protocol: relations parsed, lines derived, every relation checked at every
station, failures counted by race and area with the worst stations; and the declared bases."""

from __future__ import annotations

import numpy as np
import pytest

from engine.formats.scenario import loads
from engine.law.protocol import PRESETS, derive, holds, parse, sides
from engine.replay.run import replay

RACE = """[election]
name = "x"
rules = "kz-2023-district"
{election}
{protocol}
[[race]]
id = "r"
[[race.candidate]]
name = "A"
[[race.candidate]]
name = "B"
"""


def _precinct(pid: str, area: list[str], votes: list[int], **lines: int) -> str:
    body = "".join(f"{k} = {v}\n" for k, v in lines.items())
    return (f'[[race.precinct]]\nid = "{pid}"\narea = {area!r}\nvotes = {votes}\n'
            .replace("'", '"') + body)


def test_a_relation_reads_as_written():
    """``a = b + c - d``: signed terms on each side, and one canonical form either way round."""
    r = parse("received = issued + cancelled + lost - unaccounted")
    assert r.left == ((1, "received"),)
    assert r.right == ((1, "issued"), (1, "cancelled"), (1, "lost"), (-1, "unaccounted"))
    assert parse("a = b").canonical() == parse("b = a").canonical()
    assert parse("boxes <= issued").canonical() == parse("issued >= boxes").canonical()


@pytest.mark.parametrize("text", ["a =", "a == b", "A = b", "a = b c", "a b", "= b"])
def test_a_relation_that_is_not_one_is_refused(text):
    """Empty sides, doubled signs, capitals and missing operators are errors."""
    with pytest.raises(ValueError):  # noqa: PT011 - each text has its own message
        parse(text)


def test_relations_hold_or_fail_station_by_station_and_unknown_is_not_checked():
    """Both sides are summed per station; a station with an unknown line is not judged."""
    r = parse("boxes <= issued")
    lines = {"boxes": np.array([5, 6, -1]), "issued": np.array([5, 5, 5])}
    left, right, known = sides(r, lines)
    assert known.tolist() == [True, True, False]
    assert (known & ~holds(r, left, right)).tolist() == [False, True, False]


def test_derived_lines_fill_what_the_file_does_not_give():
    """issued = its three parts; boxes = both boxes; cast = boxes, only where unknown."""
    p = PRESETS["ru-uik-2018"]
    lines = {"issued_early": np.array([0, 1]), "issued_on_day": np.array([10, 20]),
             "issued_outside": np.array([2, -1]), "box_portable": np.array([2, 0]),
             "box_stationary": np.array([10, 19]), "cast": np.array([-1, 19])}
    out, made = derive(p, lines)
    assert out["issued"].tolist() == [12, -1]
    assert out["cast"].tolist() == [12, 19]
    assert made == ("issued", "boxes", "cast")


def test_the_basic_protocol_flags_a_station_whose_ballots_do_not_add_up():
    """Without a declared protocol, cast = invalid + the options' votes is still checked:
    a station of 600 ballots with 500 counted is a finding, not a silent total."""
    text = RACE.format(election="", protocol="") + "".join([
        _precinct("1", [], [300, 200], registered=900, cast=600, invalid=0, against_all=0),
        _precinct("2", [], [300, 200], registered=900, cast=500, invalid=0, against_all=0)])
    rp = replay(loads(text))
    rel = {f.relation.text: f for f in rp.protocol.relations}
    found = rel["cast = invalid + options"]
    assert (found.checked, found.failed) == (2, 1)
    assert found.worst[0].precinct == "1"
    assert (found.worst[0].left, found.worst[0].right) == (600, 500)
    assert rel["valid = options"].missing == ("valid",)


def test_failures_are_counted_per_area_below_the_race():
    """Two regions: the failing station's region carries the failure."""
    protocol = '[protocol]\nlines = ["issued"]\nrelations = ["cast <= issued"]\n'
    text = RACE.format(election="", protocol=protocol) + "".join([
        _precinct("1", ["North", "N1"], [5, 5], registered=20, cast=12, invalid=2,
                  against_all=0, issued=11),
        _precinct("2", ["South", "S1"], [5, 5], registered=20, cast=10, invalid=0,
                  against_all=0, issued=10)])
    rp = replay(loads(text))
    found = next(f for f in rp.protocol.relations if f.relation.text == "cast <= issued")
    assert found.failed == 1
    assert [(a.path, a.failed) for a in found.by_area] == [(("North",), 1), (("South",), 0)]
    assert found.worst[0].area == ("North", "N1")


def test_turnout_of_ballots_issued_and_shares_of_all_ballots():
    """Declared bases apply to the race's turnout and shares (and name themselves)."""
    election = 'turnout_basis = "issued"\nshare_basis = "cast"'
    protocol = '[protocol]\nlines = ["issued"]\n'
    text = RACE.format(election=election, protocol=protocol) + _precinct(
        "1", [], [60, 20], registered=200, cast=100, invalid=20, against_all=0, issued=125)
    rp = replay(loads(text))
    assert rp.races.turnout[0] == pytest.approx(62.5)      # 125 issued of 200
    assert rp.races.shares[0, 0] == pytest.approx(60.0)    # 60 of 100 ballots (not of 80)


def test_a_published_turnout_is_checked_on_the_declared_basis():
    """The file's published turnout of ballots issued holds; read as cast it would not."""
    election = 'turnout_basis = "issued"'
    protocol = '[protocol]\nlines = ["issued"]\n'
    text = (RACE.format(election=election, protocol=protocol)
            + '[race.published]\nturnout = "62.5"\n'
            + _precinct("1", [], [60, 20], registered=200, cast=100, invalid=20,
                        against_all=0, issued=125))
    rp = replay(loads(text))
    check = next(c for c in rp.checks if c.where.endswith("turnout"))
    assert check.status == "exact"
    assert check.basis == "ballots issued / registered voters"
