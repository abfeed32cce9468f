"""Where the tests find things: the checkout, its scenarios, the shared folder beside it, and the
tests' own data (the golden replays, the malformed corpus, the messy OpenElections file)."""

from __future__ import annotations

from pathlib import Path

TESTS = Path(__file__).resolve().parent
ROOT = TESTS.parent
SCENARIOS = ROOT / "scenarios"
HISTORICAL = SCENARIOS / "historical"
SIMULATIONS = SCENARIOS / "simulations"
NATIONAL = SCENARIOS / "national"
SHARED = ROOT.parent / "shared"

# every shipped historical scenario, and the three the tests name
HISTORICAL_FILES = sorted(HISTORICAL.glob("*.toml"))
SEMEY_2025 = HISTORICAL / "semey-2025.toml"
RURAL_2021 = HISTORICAL / "kz-2021-rural.toml"
INDIRECT_2013 = HISTORICAL / "kz-2013-indirect.toml"
RU_2018 = NATIONAL / "ru-2018.toml"  # reads ../shared/data/ru-2018

# the tests' own data
GOLDEN = TESTS / "golden"
MALFORMED = TESTS / "malformed"
MESSY_CSV = TESTS / "openelections" / "messy.csv"
