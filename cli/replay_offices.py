"""A replay's races grouped by office, for the table: an office of several races (every State
House district of a state file) is one compact table, a line per district, rather than a block
per race."""

from __future__ import annotations

import re
from typing import Any

__all__ = ["grouped", "office_table"]


def grouped(races: list[dict[str, Any]]) -> dict[int, list[int]]:
    """The races (by position) of each office with several races, keyed by the first one's
    position: the offices read from an OpenElections file (races without an office stand
    alone)."""
    by_office: dict[str, list[int]] = {}
    for i, r in enumerate(races):
        if r.get("office"):
            by_office.setdefault(" ".join(r["office"].split()).casefold(), []).append(i)
    return {members[0]: members for members in by_office.values() if len(members) > 1}


def _natural(text: str | None) -> tuple:
    """Districts in their numbers' order: 2 before 10, 26A before 26B."""
    return tuple((0, int(x), "") if x.isdigit() else (1, 0, x.casefold())
                 for x in re.findall(r"\d+|\D+", text or ""))


def _n(x: int | None) -> str:
    return "?" if x is None else f"{x:,}"


def office_table(races: list[dict[str, Any]], members: list[int]) -> list[str]:
    """The races ``members`` of one office: a line per district (its winner, party, votes and
    share, margin, valid votes, precincts), in district order."""
    rows = sorted((races[i] for i in members), key=lambda r: _natural(r.get("district")))
    head = ("district", "elected", "party", "votes", "share %", "margin", "valid",
            "precincts")
    table = [head]
    for r in rows:
        won = next((c for c in r["candidates"] if c["name"] == r["winner"]), None)
        table.append((r.get("district") or "-",
                      r["winner"] or r["outcome"].replace("_", " "),
                      won["party"] if won else "", _n(won["votes"]) if won else "",
                      f"{won['share']:.2f}" if won and won["share"] is not None else "",
                      _n(r["margin_votes"]), _n(r["valid"]), f"{r['precincts']:,}"))
    widths = [min(max(len(row[i]) for row in table), 30) for i in range(len(head))]
    left = {0, 1, 2}
    lines = [f"{rows[0]['office']} ({len(rows):,} races)"]
    for row in table:
        cells = [c[:widths[i]].ljust(widths[i]) if i in left else c.rjust(widths[i])
                 for i, c in enumerate(row)]
        lines.append(("  " + "  ".join(cells)).rstrip())
    return [*lines, ""]
