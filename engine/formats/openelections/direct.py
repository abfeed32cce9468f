"""An OpenElections file given without a scenario (``saylau replay 20241105__ky__general__precinct
.csv.gz``): the scenario a user would write for it, every race of the file from one table.

OpenElections names its files ``YYYYMMDD__st__election__level.csv``: the date and the state
come from the name when it has that form. The races are decided by plurality, against all has
no effect (a US ballot has no such line), and a race with one candidate elects them.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path

from engine.errors import ScenarioError
from engine.formats.openelections.mend import REPEATS

__all__ = ["is_csv", "scenario_text"]

_NAME = re.compile(r"^(\d{8})__([a-z]{2})__([^_]+(?:_[^_]+)*?)(?:__|$)", re.IGNORECASE)


def is_csv(path: str | Path) -> bool:
    """Whether ``path`` names a CSV file (plain or gzip) rather than a scenario."""
    name = Path(path).name.casefold()
    return name.endswith((".csv", ".csv.gz"))


def scenario_text(path: Path, *, repeats: str = "refuse") -> str:
    """The TOML scenario replaying every race of the OpenElections file ``path``."""
    if repeats not in REPEATS:
        raise ScenarioError(path.name, "repeats", f"must be one of {', '.join(REPEATS)}, got "
                            f"{repeats!r}")
    stem = path.name.removesuffix(".gz").removesuffix(".csv")
    m = _NAME.match(stem)
    date, state, kind = None, None, None
    if m:
        try:
            date = dt.datetime.strptime(m.group(1), "%Y%m%d").date()
        except ValueError:
            date = None
        state, kind = m.group(2).upper(), m.group(3).replace("_", " ")
    name = f"{state} {kind} election" if state else stem
    lines = ["[election]", f"name = {json.dumps(name)}", 'rules = "kz-2023-district"',
             f"nation = {json.dumps(state or stem)}",
             f"source = {json.dumps('OpenElections file ' + path.name)}"]
    if date:
        lines.append(f"date = {date.isoformat()}")
    lines += ["[rules]", "min_candidates = 1  # an unopposed candidate is elected",
              "[[openelections]]", f"race = {json.dumps((state or 'oe').lower())}",
              f"files = [{json.dumps(path.name)}]", 'office = "*"',
              f"repeats = {json.dumps(repeats)}"]
    return "\n".join(lines) + "\n"
