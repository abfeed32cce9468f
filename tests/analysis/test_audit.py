"""Audit sizes against their closed forms, recount flags at their thresholds, `saylau audit`."""

from __future__ import annotations

import json
import math

import attrs
import numpy as np
import pytest

from cli.main import main
from engine.analysis import audit
from engine.law.rules import preset
from engine.tally.races import PrecinctTable, race_results, race_totals


def _results(rows: list[list[int]], rules_name: str = "kz-2021-rural"):
    """Races from rows [registered, cast, invalid, against all, votes...], one race each."""
    counts = np.array(rows, np.int64)
    n_cand = (counts[:, 4:] >= 0).sum(axis=1)
    table = PrecinctTable(race=np.arange(len(rows), dtype=np.int64), counts=counts,
                          n_races=len(rows))
    rules = preset(rules_name)
    return race_results(race_totals(table, n_cand), rules), rules


def _asn(pw: float, pl: float, alpha: float) -> float:
    sw = pw / (pw + pl)
    zw, zl = math.log(2 * sw), math.log(2 - 2 * sw)
    return (math.log(1 / alpha) + zw / 2) / (pw * zw + pl * zl)


def test_bravo_asn_of_a_20_point_margin_is_119_at_10_percent():
    """BRAVO (Lindeman, Stark, Yates 2012), 60% against 40% of all ballots, risk limit 10%:
    (ln 10 + ln(1.2) / 2) / (0.6 ln 1.2 + 0.4 ln 0.8) = 118.88, 119 ballots."""
    assert audit.bravo_asn(600, 400, 1000, 0.1) == pytest.approx(118.8818, abs=1e-4)
    res, rules = _results([[2000, 1000, 0, 0, 600, 400]])
    assert audit.plan(res, rules, risk_limit=0.1).bravo.tolist() == [119]


def test_super_simple_comparison_is_4_8_over_the_diluted_margin():
    """2 gamma ln(1 / alpha) / mu: a 20% diluted margin at alpha 10% needs 24 ballots (4.785 /
    0.2 = 23.9), at 5% 32 (6.2254 / 0.2 = 31.1)."""
    assert 2 * audit.GAMMA * math.log(10) == pytest.approx(4.785, abs=1e-3)
    res, rules = _results([[2000, 1000, 0, 0, 600, 400]])
    assert audit.plan(res, rules, risk_limit=0.1).comparison.tolist() == [24]
    assert audit.plan(res, rules, risk_limit=0.05).comparison.tolist() == [32]


def test_the_closest_loser_sets_the_sample_and_others_ballots_dilute_it():
    """Three candidates and invalid ballots: shares are of all ballots cast, the largest ASN
    over the losers is taken (here the runner-up's)."""
    res, rules = _results([[5000, 2000, 100, 50, 900, 700, 250]])
    a = audit.plan(res, rules)
    expected = max(_asn(900 / 2000, 700 / 2000, 0.05), _asn(900 / 2000, 250 / 2000, 0.05))
    assert a.bravo.tolist() == [math.ceil(expected)]
    assert a.opponent.tolist() == [1]
    assert a.margin.tolist() == [200]
    assert a.diluted_margin[0] == pytest.approx(0.1)
    assert a.comparison.tolist() == [math.ceil(2 * audit.GAMMA * math.log(20) / 0.1)]


def test_against_all_is_an_opponent_only_when_it_can_void_the_race():
    """Under fails_if_top the winner must also beat against all; with no effect it need not."""
    row = [[5000, 2000, 0, 800, 1000, 200]]
    none, _ = _results(row)
    assert audit.plan(none, preset("kz-2021-rural")).opponent.tolist() == [1]
    rules = attrs.evolve(preset("kz-2021-rural"), against_all_effect="fails_if_top")
    res = race_results(race_totals(PrecinctTable(race=np.zeros(1, np.int64),
                                                 counts=np.array(row), n_races=1),
                                   np.array([2])), rules)
    a = audit.plan(res, rules)
    assert a.opponent.tolist() == [audit.OPPONENT_AGAINST_ALL]
    assert a.margin.tolist() == [200]
    assert a.bravo.tolist() == [math.ceil(_asn(0.5, 0.4, 0.05))]


def test_samples_are_capped_at_a_full_count_and_races_without_winner_are_not_audited():
    """A 1-vote margin in 1,001 ballots needs every ballot; a tie has nothing to confirm."""
    res, rules = _results([[2000, 1001, 0, 0, 501, 500], [100, 20, 0, 0, 10, 10]])
    a = audit.plan(res, rules)
    assert a.bravo.tolist() == [1001, -1]
    assert a.comparison.tolist() == [1001, -1]
    assert a.full_count.tolist() == [True, False]


def test_recount_flags_at_one_vote_and_half_a_percent():
    """Margins of 1 vote, 0 (a tie), exactly 0.5% and just above 0.5% of valid votes."""
    res, rules = _results([[9000, 5001, 0, 0, 2501, 2500], [900, 20, 0, 0, 10, 10],
                           [9000, 2000, 0, 0, 1005, 995], [9000, 2000, 0, 0, 1006, 994]])
    a = audit.plan(res, rules)
    assert a.recount.tolist() == [True, True, True, False]
    looser = audit.plan(res, rules, recount_votes=0, recount_percent=0.01)
    assert looser.recount.tolist() == [False, True, False, False]


def test_unpublished_ballots_are_taken_at_the_top_of_their_interval(scenarios):
    """Semey 2025 published no ballot count; the replay infers 118,538-118,559; the audit
    samples as if 118,559 were cast (more ballots: a smaller diluted margin, a larger sample)."""
    from engine.formats.scenario import load
    from engine.replay.run import replay

    rp = replay(load(scenarios / "historical" / "semey-2025.toml"))
    assert audit.replay_ballots(rp).tolist() == [118559]


def test_audit_command_table_and_json(runner, scenarios):
    """The Semey 2025 replay in both formats: the same figures."""
    semey = str(scenarios / "historical" / "semey-2025.toml")
    table = runner.invoke(main, ["audit", semey])
    assert table.exit_code == 0, table.output
    assert "audit · replay · 1 race · risk limit 0.05" in table.stdout
    d = json.loads(runner.invoke(main, ["audit", semey, "--format", "json"]).stdout)
    race = d["races"][0]
    assert race["ballots"] == 118559
    assert race["winner"] == "Ädilet Qojanbaev"
    assert race["recount"] is False
    assert f"{race['bravo']:,}" in table.stdout


def test_audit_runs_on_shipped_scenarios_and_simulations(runner, scenarios):
    """Every historical file and the direct simulations (one election drawn with --seed)."""
    files = [*sorted((scenarios / "historical").glob("*.toml")),
             scenarios / "simulations" / "semey-2029.toml",
             scenarios / "simulations" / "against-all-stress.toml"]
    for path in files:
        result = runner.invoke(main, ["audit", str(path), "--seed", "2", "--format", "csv"])
        assert result.exit_code == 0, (path, result.output)
        assert result.stdout.startswith("race,winner,ballots,margin,diluted_margin,bravo")


@pytest.mark.parametrize(("args", "message"), [
    (["--risk-limit", "1.5"], "error: --risk-limit: must be in (0, 1), got 1.5\n"),
    (["--recount-percent", "-1"], "error: --recount-votes must be >= 0 and --recount-percent "
     "in [0, 100], got 1 and -1\n"),
])
def test_audit_user_errors_are_one_line(runner, scenarios, args, message):
    """Bad thresholds: one line on stderr, exit 2."""
    result = runner.invoke(main, ["audit", str(scenarios / "historical" / "semey-2025.toml"),
                                  *args])
    assert result.exit_code == 2
    assert result.stderr == message
