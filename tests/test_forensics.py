"""Forensics: each statistic on small hand-computed cases, the nulls calibrated on clean simulated
elections, the power of each detector on dirty ones, and `saylau forensics`.

Rates are counted over fixed seeds; each bound is set so that a correct implementation, with any
other seeds, fails it with probability below 1 in 10,000 (a binomial tail at the rate stated).
"""

from __future__ import annotations

import json
import math
from fractions import Fraction
from pathlib import Path

import attrs
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy import stats

from cli.main import main
from engine import forensics as fx
from engine.irregularities import Irregularities
from engine.rules import preset
from engine.simulate import Model

RULES = preset("kz-2023-district")
FAIL = 1e-4  # the chance a bound may fail a correct implementation


def _precincts(registered, cast, leader, valid=None, race=None, votes=None) -> fx.Precincts:
    registered, cast, leader = (np.asarray(a, np.int64) for a in (registered, cast, leader))
    valid = cast if valid is None else np.asarray(valid, np.int64)
    race = np.zeros(cast.size, np.int64) if race is None else np.asarray(race, np.int64)
    votes = np.concatenate([leader, valid - leader]) if votes is None else np.asarray(votes)
    return fx.Precincts(race=race, registered=registered, cast=cast, valid=valid,
                        leader=leader, candidate_votes=votes.astype(np.int64))


def _at_most(n: int, rate: float) -> int:
    """The most flags of n elections at a true rate ``rate`` but with chance < FAIL."""
    return int(stats.binom.isf(FAIL, n, rate))


def _at_least(n: int, rate: float) -> int:
    """The fewest flags of n elections at a true rate ``rate`` but with chance < FAIL."""
    return int(stats.binom.ppf(FAIL, n, rate))


# -- hand-computed cases ----------------------------------------------------------------------
def test_near_an_integer_percentage_is_exact_at_0_05_points():
    """1/2000 is 0.05%: within; 2/2000 is 0.1%: not; 19/2000 is 0.95%: within (0.05 below 1)."""
    x = np.array([0, 1, 2, 19, 18, 1000, 1001, 1002])
    assert fx._near_integer(x, np.full(8, 2000)).tolist() == [True, True, False, True, False,
                                                              True, True, False]


@given(st.lists(st.tuples(st.integers(0, 10**9), st.integers(1, 10**9)), min_size=1,
                max_size=30))
def test_whole_percent_kernels_match_exact_fractions(pairs):
    """Against Fraction arithmetic: within 0.05 points of a whole percent, and rounding halves
    up; the second digit against the decimal string."""
    x = np.array([min(a, b) for a, b in pairs], np.int64)
    n = np.array([b for _, b in pairs], np.int64)
    pct = [Fraction(100 * int(a), int(b)) for a, b in zip(x, n, strict=True)]
    near = [abs(q - round(q)) <= Fraction(1, 20) for q in pct]
    assert fx._near_integer(x, n).tolist() == near
    assert fx._whole_percent(x, n).tolist() == [math.floor(q + Fraction(1, 2)) for q in pct]
    big = n[n >= 10]
    assert fx._second_digit(big).tolist() == [int(str(v)[1]) for v in big]


def test_integer_percentages_count_only_qualifying_precincts():
    """Under 100 voters, or turnout or leader's share above 99%, a precinct is not counted."""
    p = _precincts(registered=[200, 99, 200, 200, 1000], cast=[100, 50, 199, 120, 333],
                   leader=[33, 20, 50, 119, 111])
    f = fx.integer_percentages(p, 1, runs=50)
    # qualifying: precincts 1 (50%: whole) and 5 (33.3% and 33.33%: neither)
    assert f.n == 2
    assert f.note.startswith("1 observed")


def test_the_integer_null_has_the_binomial_mean():
    """The Monte-Carlo null's mean is the sum over precincts of P(turnout or share lands within
    0.05 points of a whole percentage), computed exactly from the binomial pmf."""
    rng = np.random.default_rng(3)
    reg = rng.integers(100, 900, 60)
    cast = rng.binomial(reg, 0.6)
    lead = rng.binomial(cast, 0.5)
    p = _precincts(reg, cast, lead)
    runs = 2000
    f = fx.integer_percentages(p, 5, runs=runs)
    observed = int((fx._near_integer(cast, reg) | fx._near_integer(lead, cast)).sum())

    def hit(n: int, q: float) -> float:
        x = np.arange(n + 1)
        return float(stats.binom.pmf(x, n, q)[fx._near_integer(x, np.full(n + 1, n))].sum())

    a = np.array([hit(n, c / n) for n, c in zip(reg, cast, strict=True)])
    b = np.array([hit(n, v / n) for n, v in zip(cast, lead, strict=True)])
    q = 1 - (1 - a) * (1 - b)
    null_mean = observed - f.statistic
    sd_of_mean = np.sqrt((q * (1 - q)).sum() / runs)
    assert abs(null_mean - q.sum()) < stats.norm.isf(FAIL / 2) * sd_of_mean


def test_second_and_last_digits():
    """Second digits of 10, 19, 123, 4567, 99 are 0, 9, 2, 5, 9; counts under 10 are left out."""
    assert fx._second_digit(np.array([10, 19, 123, 4567, 99])).tolist() == [0, 9, 2, 5, 9]
    p = _precincts(registered=[100, 100], cast=[50, 40], leader=[25, 10],
                   votes=[10, 25, 37, 105, 7])
    second, last, pct, counts = fx.digit_tests(p)
    assert second.statistic == pytest.approx((0 + 5 + 7 + 0) / 4)
    assert second.reference == pytest.approx(4.1874, abs=1e-4)
    assert last.statistic == pytest.approx((0 + 5 + 7 + 5) / 4)
    assert counts.statistic == pytest.approx(3 / 4)
    # turnout 50% and 40%, shares 50% and 25%: all four whole percentages end in 0 or 5
    assert (pct.statistic, pct.n) == (1.0, 4)


def test_percentages_round_half_up():
    """12.5% rounds to 13, 12.49% to 12, 2.5% to 3 and 37.5% to 38, exactly in integers."""
    x, n = np.array([1, 1249, 1, 3]), np.array([8, 10000, 40, 8])
    assert fx._whole_percent(x, n).tolist() == [13, 12, 3, 38]


def test_skewness_and_kurtosis_are_population_moments():
    """Turnout 10%, 10%, 10%, 50% is [0, 0, 0, 1] shifted: skewness 2 / sqrt(3), kurtosis 7/3."""
    p = _precincts(registered=[10] * 4, cast=[1, 1, 1, 5], leader=[1, 1, 1, 1])
    skew_t, _, kurt_t, _, _ = fx.shape_moments(p, 0, runs=20)
    assert skew_t.statistic == pytest.approx(2 / np.sqrt(3))
    assert kurt_t.statistic == pytest.approx(7 / 3)
    assert skew_t.flagged is None  # descriptive


def test_the_dip_of_simple_samples():
    """Equally spaced points are uniform: dip 1/(2n). Two equal clumps: a dip of 1/4 or more
    as n grows, and the dip ignores location and scale."""
    for n in (2, 10, 57):
        assert fx.dip(np.arange(n)) == pytest.approx(1 / (2 * n))
    clumps = np.r_[np.zeros(50), np.ones(50)]
    assert fx.dip(clumps) == pytest.approx(0.25)
    rng = np.random.default_rng(0)
    x = rng.normal(size=300)
    assert fx.dip(3 * x + 7) == pytest.approx(fx.dip(x))
    assert fx.dip(-x) == pytest.approx(fx.dip(x))


def test_the_dip_agrees_with_r_diptest():
    """Reference values from R's diptest algorithm (dipstat of the Python diptest package)."""
    rng = np.random.default_rng(2024)
    uniform = rng.uniform(size=200)
    mixed = np.r_[rng.normal(0, 1, 100), rng.normal(4, 1, 100)]
    assert fx.dip(uniform) == pytest.approx(0.02351809150437589, abs=1e-15)
    assert fx.dip(mixed) == pytest.approx(0.050292646002536114, abs=1e-15)


def test_the_dip_null_is_calibrated():
    """Uniform samples (the null's least favourable unimodal law) flag at about 5%."""
    rng = np.random.default_rng(11)
    n = 300
    p = np.array([fx.dip_test(rng.uniform(size=50)).p_value for _ in range(n)])
    assert _at_least(n, 0.04) <= (p < 0.05).sum() <= _at_most(n, 0.06)
    assert _at_least(n, 0.45) <= (p < 0.5).sum() <= _at_most(n, 0.55)


def test_the_slope_is_taken_within_races():
    """Within each race share = turnout / 2 + c: slope 0.5, though pooled it falls."""
    p = _precincts(registered=[100] * 4, cast=[50, 60, 70, 80], leader=[25, 33, 14, 20],
                   race=[0, 0, 1, 1])
    f = fx.sobyanin_sukhovolsky(p)
    assert f.statistic == pytest.approx(0.5)
    assert f.p_value == 0.0


def test_anomalous_votes_by_turnout_bins():
    """Three precincts at 50% (leader 25 of 50) make the clean peak, ratio 1; one at 90% gives
    the leader 60 where 30 were expected: 30 anomalous votes (official turnout 60%)."""
    p = _precincts(registered=[100] * 4, cast=[50, 50, 50, 90], leader=[25, 25, 25, 60])
    f = fx.anomalous_votes(p, 0, runs=20)
    assert f.statistic == pytest.approx(30)
    assert f.note == "22.22% of the leaders' votes"  # of 135


def test_fingerprint_weights_precincts_by_registered_voters():
    """Cells are [turnout %, share %] whole-percent bins; 100% falls in the last bin."""
    p = _precincts(registered=[100, 300, 50], cast=[50, 151, 50], leader=[10, 151, 25])
    cells = fx.fingerprint(p).voters
    assert cells.sum() == 450
    assert (cells[50, 20], cells[50, 99], cells[99, 50]) == (100, 300, 50)


def test_precincts_with_unknown_or_impossible_counts_are_left_out():
    """Unknown cast (-1) or more ballots than voters: left out and counted."""
    from engine.tally import PrecinctTable, race_results, race_totals

    counts = np.array([[100, 60, 2, 3, 30, 25], [100, -1, 2, 3, 30, 25],
                       [100, 120, 0, 0, 60, 60], [200, 100, 0, 5, 80, 15]])
    table = PrecinctTable(race=np.zeros(4, np.int64), counts=counts, n_races=1)
    res = race_results(race_totals(table, np.array([2])), RULES)
    p = fx.precincts_of(table, res)
    assert p.left_out == 2
    assert p.cast.tolist() == [60, 100]
    assert p.leader.tolist() == [30, 80]
    assert p.valid.tolist() == [58, 100]


# -- clean and dirty simulated elections ------------------------------------------------------
P = 1000
CALIBRATED = ("integer percentages", "last digit mean", "percentages ending in 0 or 5",
              "counts ending in 0 or 5", "share-turnout slope")
CONSERVATIVE = ("turnout dip (unimodality)", "anomalous votes")


def _model(irregularities: Irregularities | None = None) -> Model:
    registered = np.random.default_rng(7).integers(500, 2500, P)
    return Model(race=np.zeros(P), registered=registered, n_candidates=[3], turnout_mean=[0.55],
                 turnout_concentration=[50.0], invalid_rate=[0.02],
                 share_mean=[[0.55, 0.3, 0.1, 0.05]], share_concentration=[100.0],
                 swing_sd=[0.1], irregularities=irregularities)


def _flags(model: Model, seeds: range, alter=None) -> dict[str, int]:
    counts: dict[str, int] = {}
    for seed in seeds:
        table, res = fx.simulated_election(model, RULES, seed)
        p = fx.precincts_of(table, res)
        if alter is not None:
            p = alter(p, seed)
        for f in fx.examine(p, seed).findings:
            counts[f.name] = counts.get(f.name, 0) + bool(f.flagged)
    return counts


def test_clean_elections_flag_at_the_nominal_rate():
    """40 clean elections: each calibrated test flags about 5% of them (bounded at 7%, the
    most a 1,500-election run measured: 0.04-0.06); the dip and anomalous-votes tests are
    conservative (0 of 400 measured) and the second-digit test is not calibrated on such
    counts (about 30% of clean elections, see README), so it is held to nothing here."""
    n = 40
    flags = _flags(_model(), range(100, 100 + n))
    for name in CALIBRATED + CONSERVATIVE:
        assert flags[name] <= _at_most(n, 0.07), name


def test_incremental_stuffing_is_seen_by_the_slope_and_anomalous_votes():
    """20% of precincts with incremental fraud (stuffing and switching about 20%): the slope
    flags every election of 400 measured (bound: at 97%), anomalous votes 86% (bound: 75%)."""
    n = 20
    dirty = _model(Irregularities(incremental=0.2, stuffing=0.2, switching=0.2))
    flags = _flags(dirty, range(200, 200 + n))
    assert flags["share-turnout slope"] >= _at_least(n, 0.97)
    assert flags["anomalous votes"] >= _at_least(n, 0.75)


def test_extreme_fraud_makes_turnout_bimodal():
    """5% of precincts with extreme fraud (near 100% turnout for the favourite): the dip test
    flags 88% of 400 measured elections (bound: at 75%), slope and anomalous votes all."""
    n = 20
    flags = _flags(_model(Irregularities(extreme=0.05)), range(300, 300 + n))
    assert flags["turnout dip (unimodality)"] >= _at_least(n, 0.75)
    assert flags["share-turnout slope"] >= _at_least(n, 0.97)
    assert flags["anomalous votes"] >= _at_least(n, 0.97)


def _rounded_turnout(p: fx.Precincts, seed: int) -> fx.Precincts:
    """A tenth of the precincts report a turnout rounded to a whole percentage (a target)."""
    rng = np.random.default_rng(seed)
    chosen = rng.random(p.n) < 0.1
    cast = np.where(chosen, (p.registered * np.round(100 * p.turnout) / 100).round(), p.cast)
    cast = cast.astype(np.int64)
    return attrs.evolve(p, cast=cast, valid=p.valid + cast - p.cast,
                        leader=p.leader + cast - p.cast)


def _rounded_counts(p: fx.Precincts, seed: int) -> fx.Precincts:
    """A fifth of the counts are written down to the nearest multiple of 5."""
    rng = np.random.default_rng(seed)
    v = p.candidate_votes
    chosen = rng.random(v.size) < 0.2
    return attrs.evolve(p, candidate_votes=np.where(chosen, 5 * np.round(v / 5), v).astype(
        np.int64))


def test_made_up_round_figures_are_seen_by_the_integer_and_digit_tests():
    """Stuffing leaves digits alone; made-up figures do not. A tenth of turnouts set to whole
    percentages: the integer test flags every election (200 of 200 measured; bound: at 97%); a
    fifth of counts rounded to fives: counts ending in 0 or 5 and the last digit flag every one
    (200 of 200 each; bound: at 97%)."""
    n = 10
    clean = _model()
    assert _flags(clean, range(400, 400 + n), _rounded_turnout)["integer percentages"] >= (
        _at_least(n, 0.97))
    rounded = _flags(clean, range(500, 500 + n), _rounded_counts)
    assert rounded["counts ending in 0 or 5"] >= _at_least(n, 0.97)
    assert rounded["last digit mean"] >= _at_least(n, 0.97)


# -- the command ------------------------------------------------------------------------------
def test_forensics_runs_on_every_shipped_historical_scenario(runner, scenarios):
    """Each historical file: exit 0 and the table's head."""
    for path in sorted((scenarios / "historical").glob("*.toml")):
        result = runner.invoke(main, ["forensics", str(path)])
        assert result.exit_code == 0, (path, result.output)
        assert "forensics · replay · " in result.stdout


def test_forensics_json_csv_and_plot(runner, scenarios, tmp_path: Path):
    """A simulation scenario is drawn once (--seed): JSON names every test and the
    fingerprint's cells sum to the precincts' voters; CSV has one row per test; --plot a PNG."""
    semey = str(scenarios / "simulations" / "semey-2029.toml")
    out, png = tmp_path / "fx.json", tmp_path / "fx.png"
    result = runner.invoke(main, ["forensics", semey, "--seed", "4", "--format", "json",
                                  "--output", str(out), "--plot", str(png)])
    assert result.exit_code == 0, result.output
    d = json.loads(out.read_text(encoding="utf-8"))
    assert (d["source"], d["precincts"]) == ("simulation, seed 4", 128)
    assert len(d["tests"]) == 13
    assert sum(map(sum, d["fingerprint"]["registered_voters"])) == d["registered"] == 220761
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    csv_out = runner.invoke(main, ["forensics", semey, "--seed", "4", "--format", "csv"])
    lines = csv_out.stdout.splitlines()
    assert lines[0] == "test,statistic,reference,p_value,low,high,n,flagged,note"
    assert len(lines) == 14
    again = runner.invoke(main, ["forensics", semey, "--seed", "4", "--format", "json"])
    assert again.stdout == out.read_text(encoding="utf-8")  # a seed fixes every number


def test_a_plot_that_cannot_be_written_stops_before_anything_is_printed(runner, scenarios,
                                                                          tmp_path: Path):
    """--plot into a missing folder: exit 2, one line on stderr, nothing on stdout."""
    semey = str(scenarios / "historical" / "semey-2025.toml")
    result = runner.invoke(main, ["forensics", semey, "--plot", str(tmp_path / "no" / "x.png")])
    assert result.exit_code == 2
    assert result.stdout == ""
    assert len(result.stderr.splitlines()) == 1
    assert "does not exist" in result.stderr


def test_forensics_user_errors_are_one_line(runner, tmp_path: Path):
    """A missing file and a bad irregularities table: one line on stderr, exit 2."""
    missing = runner.invoke(main, ["forensics", str(tmp_path / "nope.toml")])
    assert missing.exit_code == 2
    assert len(missing.stderr.splitlines()) == 1
    assert "no such file" in missing.stderr
    bad = tmp_path / "x.toml"
    bad.write_text('[election]\nname = "x"\nrules = "kz-2021-rural"\n[model]\n'
                   "[model.irregularities]\nextreme = 1.5\n", encoding="utf-8")
    result = runner.invoke(main, ["forensics", str(bad)])
    assert result.exit_code == 2
    assert result.stderr == ("error: x.toml: model.irregularities.extreme: must be in [0, 1], "
                             "got 1.5\n")


def test_forensics_sees_irregularities_a_scenario_injects(runner, tmp_path: Path):
    """A simulation file with [model.irregularities] (10% of 300 precincts stuffed to near full
    turnout): the drawn election is flagged by the slope and the dip."""
    path = tmp_path / "stuffed.toml"
    path.write_text(
        '[election]\nname = "stuffed"\nrules = "kz-2023-district"\n'
        "[model]\nturnout = 0.5\nprecincts = 300\n[model.irregularities]\nextreme = 0.1\n"
        '[[race]]\nid = "a"\nregistered = 450000\n[[race.candidate]]\nname = "A"\n'
        '[[race.candidate]]\nname = "B"\n', encoding="utf-8")
    result = runner.invoke(main, ["forensics", str(path), "--seed", "1", "--format", "json"])
    assert result.exit_code == 0, result.output
    flagged = {t["name"]: t["flagged"] for t in json.loads(result.stdout)["tests"]}
    assert flagged["share-turnout slope"] is True
    assert flagged["turnout dip (unimodality)"] is True


def test_forensics_and_audit_print_what_loading_mended(runner, tmp_path: Path):
    """An OpenElections file mended on load (cases, a repeated row, ...): each command prints
    the scenario's 8 warnings on stderr, one line each, and still exits 0."""
    messy = Path(__file__).parent / "openelections" / "messy.csv"
    toml = tmp_path / "messy.toml"
    toml.write_text(f'[election]\nname = "messy"\nrules = "kz-2021-rural"\n[[openelections]]\n'
                    f'race = "north"\nfiles = [{json.dumps(str(messy))}]\noffice = "akim"\n'
                    'against_all = "against all"\n', encoding="utf-8")
    for command in ("forensics", "audit"):
        result = runner.invoke(main, [command, str(toml)])
        assert result.exit_code == 0, result.output
        lines = result.stderr.splitlines()
        assert len(lines) == 8
        assert all(line.startswith("warning: messy.csv: ") for line in lines)
