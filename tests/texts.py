"""Scenario texts shared by several test modules: the heads, races and files that more than one
module writes. A text only one test needs stays beside that test."""

from __future__ import annotations

import json
from pathlib import Path

__all__ = ["MAJORITY", "NAMES_SCENARIO", "PRECINCT_HEAD", "RURAL_HEAD", "ULKEN", "XSS",
           "messy_openelections", "two_candidate_race"]

# An election of no name to speak of under the 2021 rural rules: the head of a scenario whose
# races and [model] the test writes itself.
RURAL_HEAD = '[election]\nname = "x"\nrules = "kz-2021-rural"\n'

# The head of the small precinct elections the DataFrame and NIST exports are tried on.
PRECINCT_HEAD = """
[election]
name = "precinct election"
date = 2021-07-25
rules = "kz-2021-rural"
"""


def two_candidate_race(registered: int) -> str:
    """Race "a": ``registered`` voters and candidates A and B, no counts (for a simulation)."""
    return (f'[[race]]\nid = "a"\nregistered = {registered}\n[[race.candidate]]\nname = "A"\n'
            '[[race.candidate]]\nname = "B"\n')


def messy_openelections(csv_path: Path, extra: str = "") -> str:
    """A scenario reading race "north" (office "akim", against all as its own line) from the
    OpenElections file ``csv_path``; ``extra`` follows its [[openelections]] table (more keys
    of it, or tables of its own)."""
    return f"""
[election]
name = "messy"
date = 2021-07-25
rules = "kz-2021-rural"
[[openelections]]
race = "north"
files = [{json.dumps(str(csv_path))}]
office = "akim"
against_all = "against all"
{extra}
"""


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


XSS = "<script>alert(1)</script>"

# Names in Kazakh Cyrillic, Russian and the Latin of Kazakh names, and one that looks like code.
NAMES_SCENARIO = f"""
[election]
name = "Names <b>&amp; marks</b>"
date = 2021-07-25
rules = "kz-2021-rural"
[[race]]
id = "names"
name = "Қарағанды \\"Жаңа\\" ауылы"
area = ["Қарағанды облысы", "<i>district</i>"]
registered = 1000
cast = 700
invalid = 10
[[race.candidate]]
name = "Әділет Қожанбаев"
party = "Nur Otan"
votes = 400
[[race.candidate]]
name = "Ирина Петрова-Щукина"
party = "Ақ жол"
votes = 200
[[race.candidate]]
name = "Ädilet Qojanbaev"
party = "Independent"
votes = 50
[[race.candidate]]
name = "{XSS}"
party = "\\" onmouseover=\\"alert(2)"
votes = 30
[race.against_all]
votes = 10
"""

# A direct race under a majority rule whose leader has 45% (tests of threshold).
MAJORITY = """[election]
name = "A majority vote"
date = 2024-03-17
rules = "kz-2023-district"
[rules]
against_all = false
threshold = "majority_present"
[[race]]
id = "president"
registered = 2000
cast = 1000
[[race.candidate]]
name = "A"
votes = 450
[[race.candidate]]
name = "B"
votes = 350
[[race.candidate]]
name = "C"
votes = 200
"""
