"""Published figures against recomputed ones, and the inference of unpublished counts."""

from __future__ import annotations

from fractions import Fraction

import pytest

from engine.formats.scenario import loads
from engine.replay.inference import Ratio, Sum, System, percent_range, solve
from engine.replay.reconcile import classify
from engine.replay.run import replay
from tests.texts import ULKEN


@pytest.mark.parametrize(
    ("exact", "published", "status"),
    [
        (Fraction(50), "50.00", "exact"),
        (Fraction(100 * 731, 928), "78.77", "rounded"),         # Aqqum, seed 003
        (Fraction(100 * 1, 18), "5.55", "truncated"),           # Atyrau's Adal seat share
        (Fraction(100 * 1, 18), "5.56", "rounded"),
        (Fraction(100 * 3, 71), "4.22", "truncated"),           # North Kazakhstan, People's Party
        (Fraction(100 * 3, 71), "4.26", "mismatch"),            # Almaty's Auyl as printed
        (Fraction(0), "3.77", "mismatch"),                      # Ülken's invalid share
        (Fraction(4225, 1000), "4.23", "rounded"),              # exactly half: either way
        (Fraction(4225, 1000), "4.22", "rounded"),
    ],
)
def test_a_published_percentage_is_classified_exactly(exact, published, status):
    """exact / rounded / truncated / mismatch follow DESIGN section 6 to the last digit."""
    assert classify(exact, published) == status


def test_percent_range_spans_half_a_unit_of_the_last_digit():
    """'3.7' stands for anything from 3.65% to 3.75%."""
    assert percent_range("3.7") == (Fraction(365, 10000), Fraction(375, 10000))


SEMEY = """
[election]
name = "Semey"
rules = "kz-2023-district"
[[race]]
id = "semey"
registered = 220761
published = { turnout = "53.70" }
[[race.candidate]]
name = "Qojanbaev"
votes = 89441
published = [{ share = "77.06" }, { share = "77.1" }]
[[race.candidate]]
name = "Töleuov"
votes = 12557
published = [{ share = "10.82" }, { share = "10.8" }]
[[race.candidate]]
name = "Bekjasarov"
votes = 9763
published = [{ share = "8.41" }, { share = "8.4" }]
[race.against_all]
published = { share = "3.7" }
"""


def _brute_force_against_all() -> list[int]:
    """Every against-all count for which each published Semey share rounds as printed."""
    votes = (89441, 12557, 9763)
    shares = [("77.06", "77.1"), ("10.82", "10.8"), ("8.41", "8.4")]
    ok = []
    for a in range(0, 20_000):
        valid = sum(votes) + a
        fits = all(percent_range(p)[0] <= Fraction(v, valid) <= percent_range(p)[1]
                   for v, ps in zip(votes, shares, strict=True) for p in ps)
        lo, hi = percent_range("3.7")
        if fits and lo <= Fraction(a, valid) <= hi:
            ok.append(a)
    return ok


def test_semey_against_all_is_inferred_as_the_exact_integer_interval():
    """The inferred against-all interval is exactly the set a brute-force search finds."""
    rp = replay(loads(SEMEY, name="semey.toml"))
    inferred = {i.where: (i.low, i.high) for i in rp.inferred}
    expected = _brute_force_against_all()
    assert expected == list(range(expected[0], expected[-1] + 1))
    assert inferred["race[semey].against_all.votes"] == (expected[0], expected[-1]) == (4299, 4313)


def test_semey_turnout_and_registered_pin_down_the_ballots_cast():
    """53.70% of 220,761 registered voters means 118,538 to 118,559 ballots cast."""
    rp = replay(loads(SEMEY, name="semey.toml"))
    inferred = {i.where: (i.low, i.high) for i in rp.inferred}
    assert inferred["race[semey].cast"] == (118538, 118559)
    assert inferred["race[semey].invalid"] == (118538 - 116074, 118559 - 116060)
    assert {c.status for c in rp.checks} == {"consistent"}


def test_a_figure_that_contradicts_the_others_is_the_one_blamed():
    """When one published share cannot hold with the rest, only that one is a mismatch."""
    text = SEMEY.replace('published = { share = "3.7" }', 'published = { share = "9.9" }')
    rp = replay(loads(text, name="semey.toml"))
    bad = [c.where for c in rp.checks if c.status == "mismatch"]
    assert bad == ["race[semey].against_all.published.share"]
    assert rp.inferred == ()


def test_a_typo_in_a_by_election_table_is_found():
    """Ülken's invalid share, printed 3.77% for 0 invalid ballots, is a mismatch (seed 003)."""
    rp = replay(loads(ULKEN, name="ulken.toml"))
    status = {c.where: c.status for c in rp.checks}
    assert status["race[ulken].published.invalid_share"] == "mismatch"
    assert status["race[ulken].published.turnout"] == "rounded"
    assert status["race[ulken].candidate[1].published.share"] == "rounded"
    assert status["race[ulken].against_all.published.share"] == "exact"
    assert status["race[ulken].cast"] == "exact"  # 732 + 82 + 46 + 0 + 0 == 860


def test_solve_returns_none_for_contradictory_figures():
    """A share of 200-300% for a part no larger than its basis leaves no integers at all."""
    system = System(bounds={"a": (0, 10), "b": (10, 10)},
                    ratios=(Ratio("a", "b", Fraction(2), Fraction(3)),))
    assert solve(system) is None


def test_sums_propagate_both_ways():
    """A known total and all but one part fix the last part."""
    system = System(bounds={"t": (10, 10), "x": (3, 3), "y": (0, 10**6)},
                    sums=(Sum("t", ("x", "y")),))
    assert solve(system)["y"] == (7, 7)
