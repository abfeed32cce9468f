"""Counts the source did not publish, as integer intervals (engine/replay/inference.py): true
bounds against brute force, exact with one unknown, in closed form where a share's count is
part of its base, bounded in time, unbounded said as such, and pinned counts known."""

from __future__ import annotations

import itertools
import time
from fractions import Fraction

from hypothesis import given
from hypothesis import strategies as st

from engine.formats.scenario import loads
from engine.replay import inference
from engine.replay.inference import CAP, Ratio, Sum, System, percent_range, solve
from engine.replay.run import replay

LEAVES = ("a", "b", "against_all", "invalid", "abstained")
SUMS = (Sum("valid", ("a", "b", "against_all")), Sum("cast", ("valid", "invalid")),
        Sum("registered", ("cast", "abstained")))
N = 12  # each unknown leaf is tried from 0 to N


def _totals(x: dict[str, int]) -> dict[str, int]:
    valid = x["a"] + x["b"] + x["against_all"]
    cast = valid + x["invalid"]
    return {**x, "valid": valid, "cast": cast, "registered": cast + x["abstained"]}


@st.composite
def systems(draw: st.DrawFn) -> tuple[System, dict[str, int | None]]:
    """A race's system: some leaves known, some totals published, one or two percentages
    (rounded from a true race, or made up) over its counts."""
    truth = _totals({k: draw(st.integers(0, N)) for k in LEAVES})
    unknown = draw(st.sets(st.sampled_from(LEAVES), min_size=1, max_size=3))
    known: dict[str, int | None] = {k: (None if k in unknown else truth[k]) for k in LEAVES}
    for total in ("valid", "cast", "registered"):
        known[total] = truth[total] if draw(st.booleans()) else None
    ratios = []
    for num, den in draw(st.lists(st.sampled_from([("a", "valid"), ("against_all", "valid"),
                                                   ("cast", "registered"), ("invalid", "cast"),
                                                   ("b", "cast")]), max_size=2)):
        if truth[den] and draw(st.booleans()):
            text = f"{100 * truth[num] / truth[den]:.{draw(st.integers(0, 2))}f}"
        else:
            text = str(draw(st.integers(0, 100)))
        ratios.append(Ratio(num, den, *percent_range(text), tag=f"{num}/{den}"))
    bounds = {k: ((v, v) if v is not None else (0, CAP)) for k, v in known.items()}
    return System(bounds=bounds, sums=SUMS, ratios=tuple(ratios)), known


def _feasible(system: System, known: dict[str, int | None]) -> list[dict[str, int]]:
    """Every assignment of the unknown leaves in [0, N] that the system allows."""
    free = [k for k in LEAVES if known[k] is None]
    out = []
    for values in itertools.product(range(N + 1), repeat=len(free)):
        x = _totals({**{k: known[k] for k in LEAVES if known[k] is not None},
                     **dict(zip(free, values, strict=True))})
        if any(known[k] is not None and x[k] != known[k] for k in ("valid", "cast",
                                                                   "registered")):
            continue
        if all(x[r.den] > 0 and r.low <= Fraction(x[r.num], x[r.den]) <= r.high
               for r in system.ratios):
            out.append(x)
    return out


@given(systems())
def test_every_interval_holds_every_count_consistent_with_the_figures(case):
    """Brute force over small races: each count of every consistent race lies inside its
    interval, a system with consistent races is never called contradictory, and with one
    unknown leaf bounded by the totals, the interval is exactly the consistent values."""
    system, known = case
    found = _feasible(system, known)
    solved = solve(system)
    if solved is None:
        assert not found
        return
    for x in found:
        for k, (lo, hi) in solved.items():
            assert lo <= x[k], (k, lo, x[k])
            assert hi is None or x[k] <= hi, (k, hi, x[k])
    free = [k for k in LEAVES if known[k] is None]
    if found and len(free) == 1 and known["registered"] is not None:
        k = free[0]
        assert solved[k] == (min(x[k] for x in found), max(x[k] for x in found))


def test_a_turnout_without_registered_voters_is_bounded_in_closed_form():
    """Turnout 53.7% of 1,500 ballots cast: registered voters are 2,791 to 2,795 at once (no
    creeping propagation), and the answer arrives in a bounded time."""
    bounds = {"cast": (1500, 1500), "registered": (0, CAP), "abstained": (0, CAP)}
    system = System(bounds=bounds, sums=(Sum("registered", ("cast", "abstained")),),
                    ratios=(Ratio("cast", "registered", *percent_range("53.7")),))
    start = time.process_time()
    solved = solve(system)
    assert time.process_time() - start < 0.5
    assert solved is not None
    assert solved["registered"] == (2791, 2795)  # ceil(1500 / 0.5375) .. floor(1500 / 0.5365)


def test_a_count_nothing_bounds_has_no_upper_end():
    """Registered voters unknown and against all unpublished: ballots cast and the against-all
    votes have a least value and no upper one (None), not a number near 10**18."""
    text = ('[election]\nname = "x"\nrules = "kz-2021-rural"\n[[race]]\nid = "a"\n'
            '[race.published]\nturnout = "53.7"\n[[race.candidate]]\nname = "A"\nvotes = 1000\n'
            '[[race.candidate]]\nname = "B"\nvotes = 500\n')
    rp = replay(loads(text))
    spans = {i.key: (i.low, i.high) for i in rp.inferred}
    assert spans["cast"] == (1500, None)
    assert spans["registered"] == (2791, None)
    check = next(c for c in rp.checks if c.where.endswith("turnout"))
    assert check.status == "consistent"
    assert (check.low, check.high) == (0, 100)


def test_registered_equal_to_valid_pins_the_ballots_cast():
    """valid <= cast <= registered: 1,500 registered and 1,500 valid votes pin 1,500 ballots
    cast and no invalid ones, as known (inferred) counts."""
    text = ('[election]\nname = "x"\nrules = "kz-2021-rural"\n[[race]]\nid = "a"\n'
            'registered = 1500\n[[race.candidate]]\nname = "A"\nvotes = 1000\n'
            '[[race.candidate]]\nname = "B"\nvotes = 500\n[race.against_all]\nvotes = 0\n')
    rp = replay(loads(text))
    assert {i.key: (i.low, i.high) for i in rp.inferred} == {"cast": (1500, 1500),
                                                             "invalid": (0, 0)}


def test_many_sources_of_one_share_are_merged_and_the_odd_one_blamed():
    """5,000 sources printing one share are one bound (their intersection): solved at once;
    the one source that contradicts the rest is the one called a mismatch."""
    bounds = {"a": (1000, 1000), "b": (500, 500), "against_all": (0, CAP), "valid": (0, CAP)}
    ratios = tuple(Ratio("a", "valid", *percent_range("66.6"), tag=f"s{i}")
                   for i in range(5000))
    system = System(bounds=bounds, sums=(Sum("valid", ("a", "b", "against_all")),),
                    ratios=(*ratios, Ratio("a", "valid", *percent_range("50"), tag="odd")))
    start = time.process_time()
    assert solve(system) is None
    assert inference.culprits(system) == ["odd"]
    assert time.process_time() - start < 5
    solved = solve(System(bounds=bounds, sums=system.sums, ratios=ratios))
    assert solved is not None
    assert solved["against_all"] == (1, 2)


def test_a_hundred_races_with_unknown_registered_voters_replay_quickly():
    """100 races, each with a published turnout and share but no registered voters, replay
    (every interval found) in far less than a second of CPU (measured: benchmarks)."""
    races = "".join(
        f'[[race]]\nid = "r{i}"\n[race.published]\nturnout = "{40 + i % 50 * 0.7:.1f}"\n'
        f'[[race.candidate]]\nname = "A"\nvotes = {1000 + 7 * i}\n'
        f'published = {{ share = "{60 + i % 5}" }}\n'
        f'[[race.candidate]]\nname = "B"\nvotes = {500 + 3 * i}\n' for i in range(100))
    scenario = loads('[election]\nname = "x"\nrules = "kz-2021-rural"\n' + races)
    start = time.process_time()
    rp = replay(scenario)
    assert time.process_time() - start < 5  # a hang guard; the figure is in the benchmark
    assert sum(i.key == "registered" for i in rp.inferred) == sum(
        c.status == "consistent" and c.where.endswith("turnout") for c in rp.checks)
