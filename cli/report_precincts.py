"""The replay page's precinct-level sections, from `saylau replay --format json`'s
``precinct_areas`` (each race's results in the areas of its precincts, by candidate) and
``protocol`` (the control relations checked at every station, where they fail, the worst
stations)."""

from __future__ import annotations

from typing import Any

from cli.report_render import Cell, cell, count, count_cell, pct_cell

__all__ = ["LEVELS", "WORST_SHOWN", "level_name", "protocol_section", "within_races"]

LEVELS = ("nation", "regions", "districts")  # an area's depth: 0, 1, 2 (then "level 3", ...)
WORST_SHOWN = 10  # stations listed per failing relation (the JSON's worst)


def level_name(depth: int) -> str:
    """What the areas ``depth`` levels below the nation are called on the page."""
    return LEVELS[depth] if depth < len(LEVELS) else f"level {depth}"


def within_races(d: dict[str, Any]) -> list[dict[str, Any]]:
    """Per race whose precincts name areas below it: one table per level (regions, districts),
    each area's precincts, voters, turnout, leader and every candidate's share."""
    rows = d.get("precinct_areas") or []
    by_race: dict[str, dict[int, list[dict[str, Any]]]] = {}
    for a in rows:
        by_race.setdefault(a["race"], {}).setdefault(a["level"], []).append(a)
    out = []
    for n, r in enumerate(d["races"], 1):
        levels = by_race.get(r["id"])
        if not levels:
            continue
        names = [c["name"] for c in r["candidates"]]
        out.append({"r": r, "n": n, "candidates": names,
                    "against_all": r["against_all"] is not None,
                    "levels": [{"level": level, "name": level_name(len(areas[0]["path"])),
                                "rows": [_area(a) for a in areas]}
                               for level, areas in sorted(levels.items())]})
    return out


def _area(a: dict[str, Any]) -> dict[str, Any]:
    shares: list[Cell] = [pct_cell(c["share"]) for c in a["candidates"]]
    if a["against_all"] is not None:
        shares.append(pct_cell(a["against_all"]["share"]))
    return {"a": a, "within": " / ".join(a["path"][:-1]),
            "precincts": count_cell(a["precincts"]), "registered": count_cell(a["registered"]),
            "cast": count_cell(a["cast"]), "turnout": pct_cell(a["turnout"]), "shares": shares}


def protocol_section(p: dict[str, Any] | None) -> dict[str, Any] | None:
    """Each relation: stations checked, failing, unknown; for a failing one, the areas where
    it fails and the worst stations with their figures."""
    if not p:
        return None
    relations = []
    for r in p["relations"]:
        worst = [{"w": w, "area": " / ".join(w["area"]),
                  "left": count_cell(w["left"]), "right": count_cell(w["right"]),
                  "difference": cell(w["difference"], f"{w['difference']:+,}"),
                  "figures": " · ".join(f"{k.replace('_', ' ')} {count(v)}"
                                        for k, v in w["figures"].items())}
                 for w in r["worst"][:WORST_SHOWN]]
        areas = sorted(r["by_area"], key=lambda a: -a["failed"])
        relations.append({"r": r, "checked": count_cell(r["checked"]),
                          "failed": count_cell(r["failed"]),
                          "unknown": count_cell(r["unknown"]),
                          "areas": [{"a": a, "path": " / ".join(a["path"]),
                                     "checked": count_cell(a["checked"]),
                                     "failed": count_cell(a["failed"])} for a in areas],
                          "worst": worst})
    return {"p": p, "relations": relations,
            "failing": [x for x in relations if x["r"]["failed"]]}
