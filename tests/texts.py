"""Scenario texts shared by several test modules."""

from __future__ import annotations

__all__ = ["ULKEN"]

# The 8 August 2021 Ülken by-election as seed 003 prints it: one published figure (3.77% invalid
# for 0 invalid ballots) does not hold.
ULKEN = """
[election]
name = "Ülken"
rules = "kz-2021-rural"
share_basis = "cast"
[[race]]
id = "ulken"
registered = 1200
cast = 860
invalid = 0
published = { invalid_share = "3.77", turnout = "71.67" }
[[race.candidate]]
name = "Qasenov"
votes = 732
published = { share = "85.12" }
[[race.candidate]]
name = "Berdyqūlov"
votes = 82
published = { share = "9.53" }
[[race.candidate]]
name = "Qalqabaev"
votes = 46
published = { share = "5.35" }
[race.against_all]
votes = 0
published = { share = "0.00" }
"""
