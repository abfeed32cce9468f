"""The [model] table and calibration: from a replay, from a file's own counts, generated races."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import numpy as np
import pytest

from engine.errors import ScenarioError
from engine.formats.scenario import load, loads
from engine.replay.run import replay
from engine.simulation.setup import setup
from tests.paths import HISTORICAL, RURAL_2021, SEMEY_2025, SIMULATIONS
from tests.texts import RURAL_HEAD

BASE = RURAL_HEAD + """[[race]]
id = "a"
registered = 1000
[[race.candidate]]
name = "A"
party = "P"
[[race.candidate]]
name = "B"
party = "Q"
"""


def _setup(extra: str):
    return setup(loads(BASE + extra, name="t.toml"))


def _generated(tmp_path: Path, body: str) -> Path:
    """A scenario generating races from the 2021 rural file; ``body`` follows its [model]."""
    f = tmp_path / "gen.toml"
    f.write_text(RURAL_HEAD + f'[model]\nfrom = "{RURAL_2021.as_posix()}"\n' + body,
                 encoding="utf-8")
    return f


def _middle(rp, key: str) -> float:
    inf = next(i for i in rp.inferred if i.key == key)
    return (inf.low + inf.high) / 2


def test_semey_2029_takes_its_means_from_the_2025_replay() -> None:
    """Semey 2029 takes its turnout, invalid rate and shares from the middle of the 2025
    replay's intervals, and shares its 220,761 voters out over 128 precincts as evenly as can be."""
    st = setup(load(SIMULATIONS / "semey-2029.toml"))
    past = replay(load(SEMEY_2025))
    (race,) = st.races
    valid = _middle(past, "valid")
    assert race.turnout == pytest.approx(_middle(past, "cast") / 220761)
    assert race.invalid_rate == pytest.approx(_middle(past, "invalid") / _middle(past, "cast"))
    assert race.shares[:3] == pytest.approx((89441 / valid, 12557 / valid, 9763 / valid))
    assert race.shares[3] == pytest.approx(_middle(past, "against_all") / valid)
    assert race.basis == "from semey-2025.toml"
    # 128 polling stations share the 220,761 voters as evenly as whole numbers allow
    assert race.precincts == 128
    assert st.model.registered.sum() == 220761
    assert set(st.model.registered.tolist()) == {220761 // 128, 220761 // 128 + 1}
    assert float(st.model.swing_sd[0]) == 0.3


def test_a_historical_file_is_simulated_from_its_own_counts() -> None:
    """A historical file simulated as it stands takes each race's shares, turnout and invalid
    rate from its own counts (Berşügır: 473 of 720 valid votes)."""
    st = setup(load(RURAL_2021))
    bersugir = next(r for r in st.races if r.id == "bersugir")
    assert bersugir.basis == "from its own counts"
    valid = 768 - 48
    assert bersugir.shares == pytest.approx((473 / valid, 234 / valid, 6 / valid, 3 / valid,
                                             4 / valid))
    assert bersugir.turnout == pytest.approx(768 / 1175)
    assert bersugir.invalid_rate == pytest.approx(48 / 768)


def test_the_2021_rerun_generates_every_race_of_every_region() -> None:
    """The 2021 rerun generates each region's published races and voters: 730 races at the
    nation's 1,847 polling stations, Aqmola's 303 candidates as published."""
    scenario = load(SIMULATIONS / "kz-2021-rerun.toml")
    st = setup(scenario)
    source = load(RURAL_2021)
    assert len(st.races) == 730
    regions = {a.path: a for a in source.areas if a.path}
    per_region = Counter(r.area for r in st.races)
    registered = Counter()
    for r in st.races:
        registered[r.area] += r.registered
        assert len(r.candidates) >= 2
        assert sum(r.shares) == pytest.approx(1)
    for path, area in regions.items():
        first = {f.key: f.value for f in reversed(area.figures)}
        assert per_region[path] == first["races"], path
        assert registered[path] == first["registered"], path
    # precincts as the file shares out the nation's 1,847 polling stations
    assert st.model.n_precincts == 1847
    assert st.model.registered.sum() == sum(
        next(f.value for f in a.figures if f.key == "registered") for a in regions.values())
    # Aqmola: 95 races in both tables, so its 303 candidates are kept as published
    aqmola = [r for r in st.races if r.area == ("Aqmola Region",)]
    assert sum(len(r.candidates) for r in aqmola) == 303
    parties = Counter(p for r in aqmola for p in r.parties)
    assert parties["Nur Otan"] == 76
    assert parties["Independent"] == 210
    # against all and invalid ballots: the file's Aqmola-based assumptions
    assert {r.shares[-1] for r in st.races if r.area != ("Aqmola Region",)} == {0.0671}
    assert aqmola[0].shares[-1] == pytest.approx(4880 / (75833 - 3074))


def test_a_party_that_won_more_often_where_it_stood_is_expected_to_again() -> None:
    """A generated race leans to the party that won more often where it stood: in Aqmola,
    Nur Otan's 74 of 76 against the independents' 14 of 210 (each smoothed by a half and one)."""
    st = setup(load(SIMULATIONS / "kz-2021-rerun.toml"))
    race = next(r for r in st.races if r.area == ("Aqmola Region",)
                and {"Nur Otan", "Independent"} <= set(r.parties))
    share = dict(zip(race.parties, race.shares, strict=False))
    # Aqmola: Nur Otan 74 seats of 76 candidates, independents 14 of 210
    assert share["Nur Otan"] / share["Independent"] == pytest.approx(
        (74.5 / 77) / (14.5 / 211))


def test_race_parameters_override_the_model_table_and_the_defaults() -> None:
    """[model.race.a] overrides [model], which overrides the defaults; shares given with
    against all are weights of one whole."""
    st = _setup("""[model]
turnout = 0.7
swing_sd = 0.2
precincts = 4
[model.race.a]
turnout = 0.4
share_concentration = "inf"
shares = { A = 3, B = 1 }
against_all = 0.2
""")
    (race,) = st.races
    assert race.turnout == 0.4
    assert race.precincts == 4
    assert race.shares == pytest.approx((0.6, 0.2, 0.2))
    assert np.isinf(st.model.share_concentration[0])
    assert float(st.model.swing_sd[0]) == 0.2
    assert race.basis == "given in model.race[a].shares"


def test_without_counts_or_shares_candidates_share_equally_what_against_all_leaves() -> None:
    """Without counts or shares the candidates split equally what against all leaves: 45% each."""
    (race,) = _setup("[model]\nagainst_all = 0.1\n").races
    assert race.shares == pytest.approx((0.45, 0.45, 0.1))


def test_shares_with_against_all_are_normalised_together() -> None:
    """Shares given with against all are weights of one whole: 2, 1 and 1 make 50%, 25%, 25%."""
    (race,) = _setup('[model.race.a]\nshares = { A = 2, B = 1, against_all = 1 }\n').races
    assert race.shares == pytest.approx((0.5, 0.25, 0.25))


@pytest.mark.parametrize(("extra", "message"), [
    ("[model]\nturnuot = 0.5", "t.toml: model: unknown key 'turnuot' (did you mean 'turnout'?)"),
    ("[model]\nturnout = 1.5", "t.toml: model.turnout: must be in (0, 1], got 1.5"),
    ('[model]\nturnout = "50%"', "t.toml: model.turnout: must be a number, got a string '50%'"),
    ("[model]\nswing_sd = -0.1", "t.toml: model.swing_sd: must be in [0, 1], got -0.1"),
    ("[model]\nshare_concentration = 0",
     "t.toml: model.share_concentration: must be in (0, inf), got 0"),
    ("[model]\nprecincts = 0", "t.toml: model.precincts: must be >= 1"),
    ("[model.race.nope]\nturnout = 0.5", "t.toml: model.race[nope]: no race with id 'nope'"),
    ("[model.race.a]\nshares = { A = 1 }",
     "t.toml: model.race[a].shares: gives no share for candidate 'B'"),
    ("[model.race.a]\nshares = { A = 1, B = 2, C = 3 }",
     "t.toml: model.race[a].shares.C: not an option of race 'a'"),
    ("[model.race.a]\nshares = { A = 0, B = 0 }",
     "t.toml: model.race[a].shares: must give at least one option a positive share"),
    ('[[model.generate]]\narea = ["X"]', "t.toml: model.generate: generates races from an "
     "area's published figures, so it needs from"),
])
def test_a_bad_model_table_is_named_in_one_line(extra: str, message: str) -> None:
    """A misspelt key, a number out of range, a race or option that does not exist, a missing
    share: one line naming the file and the place."""
    with pytest.raises(ScenarioError) as err:
        _setup(extra)
    assert str(err.value).startswith(message)
    assert "\n" not in str(err.value)


def test_a_race_without_registered_voters_cannot_be_simulated() -> None:
    """A simulation needs every race's registered voters: a race without them is refused."""
    text = BASE.replace("registered = 1000\n", "")
    with pytest.raises(ScenarioError, match=r"race\[a\]\.registered: a simulation needs"):
        setup(loads(text, name="t.toml"))


def test_a_generated_area_must_exist_in_the_source(tmp_path: Path) -> None:
    """Races generated for an area the source file has no [[area]] for are refused, naming it."""
    f = _generated(tmp_path, '[[model.generate]]\narea = ["Atlantis Region"]\n')
    with pytest.raises(ScenarioError, match=r"model\.generate\[1\]\.area: no \[\[area\]\] "
                       r"\['Atlantis Region'\]"):
        setup(load(f))


def test_a_candidate_missing_from_the_source_race_needs_given_shares(tmp_path: Path) -> None:
    """A candidate who did not stand in the source race has no share to calibrate: without given
    shares, refused by name."""
    text = (SIMULATIONS / "semey-2029.toml").read_text(encoding="utf-8")
    text = text.replace('name = "Qanyş Töleuov"', 'name = "A Newcomer"')
    text = text.replace('from = "../historical/', f'from = "{HISTORICAL.as_posix()}/')
    f = tmp_path / "semey.toml"
    f.write_text(text, encoding="utf-8")
    with pytest.raises(ScenarioError, match="candidate 'A Newcomer' is not in the race"):
        setup(load(f))


def _semey_2029(tmp_path: Path, extra: str) -> Path:
    text = (SIMULATIONS / "semey-2029.toml").read_text(encoding="utf-8")
    text = text.replace('from = "../historical/', f'from = "{HISTORICAL.as_posix()}/')
    f = tmp_path / "semey.toml"
    f.write_text(text.replace("[model.race.semey]\n", "[model.race.semey]\n" + extra),
                 encoding="utf-8")
    return f


def test_a_race_against_all_is_kept_as_given_over_the_calibration(tmp_path: Path) -> None:
    """A race's own against_all replaces the calibrated one; the candidates keep the replay's
    proportions between them."""
    (race,) = setup(load(_semey_2029(tmp_path, "against_all = 0.2\n"))).races
    assert race.shares[-1] == pytest.approx(0.2)
    past = replay(load(SEMEY_2025))
    # the candidates keep the replay's proportions
    assert race.shares[0] / race.shares[1] == pytest.approx(89441 / 12557)
    assert past.races.totals.votes[0, 0] == 89441


def test_shares_given_without_against_all_keep_the_calibrated_against_all(tmp_path) -> None:
    """Candidate shares given without against all split what the calibrated against all leaves."""
    shares = 'shares = { "Ädilet Qojanbaev" = 6, "Qanyş Töleuov" = 3, "Aibolat Bekjasarov" = 1 }\n'
    (race,) = setup(load(_semey_2029(tmp_path, shares))).races
    past = replay(load(SEMEY_2025))
    aa = _middle(past, "against_all") / _middle(past, "valid")
    assert race.shares == pytest.approx((0.6 * (1 - aa), 0.3 * (1 - aa), 0.1 * (1 - aa), aa))


def test_generated_races_keep_their_own_noise_and_area_turnout(tmp_path: Path) -> None:
    """Generated races take the area's turnout, the voters given, and the noise their own table
    sets (no swing, fixed shares, turnout concentration 7)."""
    f = _generated(tmp_path, """[[model.generate]]
area = ["Aqmola Region"]
registered = 200222
swing_sd = 0
share_concentration = "inf"
turnout_concentration = 7
""")
    st = setup(load(f))
    assert st.model.registered.sum() == 200222
    assert [r.turnout for r in st.races] == [pytest.approx(75833 / 100111)] * 95
    assert set(st.model.swing_sd.tolist()) == {0.0}
    assert np.isinf(st.model.share_concentration).all()
    assert set(st.model.turnout_concentration.tolist()) == {7.0}


@pytest.mark.parametrize(("extra", "message"), [
    ("[model]\nprecincts = 5000\n", "model.precincts: 5,000 precincts for 1,000 registered"),
    ("[model.race.a]\nturnout = 1.0\n", 'race[a]: its turnout is 100%'),
])
def test_impossible_models_are_refused_with_their_place(extra: str, message: str) -> None:
    """More precincts than voters, or a turnout of 100%, is refused, naming the place."""
    with pytest.raises(ScenarioError, match=message.replace("(", r"\(").replace("[", r"\[")):
        _setup(extra)


def test_a_from_file_without_a_matching_race_is_refused() -> None:
    """A from file with no race of the same id to calibrate from is refused."""
    text = BASE + f'[model]\nfrom = "{SEMEY_2025.as_posix()}"\n'
    with pytest.raises(ScenarioError, match=r"semey-2025\.toml has no race with an id"):
        setup(loads(text, name="t.toml"))


def test_an_area_generated_twice_is_refused(tmp_path: Path) -> None:
    """One area generated twice would give two races one id: refused."""
    area = '[[model.generate]]\narea = ["Mangystau Region"]\n'
    f = _generated(tmp_path, area + area)
    with pytest.raises(ScenarioError, match="two races have the id 'mangystau-region-1'"):
        setup(load(f))


def test_more_generated_races_than_voters_is_one_line(tmp_path: Path) -> None:
    """An area generated with fewer voters than races is named in one line (was a traceback)."""
    f = _generated(tmp_path, '[[model.generate]]\narea = ["Mangystau Region"]\nregistered = 3\n')
    with pytest.raises(ScenarioError, match=r"model\.generate\[1\]\.registered: \d+ races for 3 "
                       "registered voters"):
        setup(load(f))


def test_validate_builds_a_simulation_model(runner, tmp_path: Path) -> None:
    """validate builds the [model] too: a from file that does not exist is one line, exit 2."""
    from cli.main import main

    f = tmp_path / "v.toml"
    f.write_text(BASE + '[model]\nfrom = "nowhere.toml"\n', encoding="utf-8")
    result = runner.invoke(main, ["validate", str(f)])
    assert result.exit_code == 2
    assert result.stderr.startswith("error: v.toml: model.from: no such file")
