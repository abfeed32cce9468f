"""A replay's precinct-level findings rendered: each race's results by area (a national race by
region and district, by candidate) and the protocol's control relations at every station."""

from __future__ import annotations

import math
import textwrap
from typing import Any

import numpy as np

from engine.records import COUNT_COLUMNS
from engine.replay.run import Replay

__all__ = ["BASIS_TEXT", "TURNOUT_TEXT", "area_rows", "areas_lines", "precinct_areas_dict",
           "protocol_dict", "protocol_lines"]

TURNOUT_TEXT = {"cast": "ballots cast / registered voters",
                "issued": "ballots issued / registered voters"}
BASIS_TEXT = {"valid": "of valid votes", "cast": "of ballots cast (valid + invalid)"}
_SHOWN_AREAS = 8   # areas of a failing relation listed in the table
_WIDE = 100        # candidates' columns in the area table are cut to fit this width


def _counts(x: np.ndarray) -> list[Any]:
    """int64 counts as JSON values: None where unknown (-1)."""
    return [v if v >= 0 else None for v in x.tolist()]


def _percents(part: np.ndarray, whole: np.ndarray) -> list[Any]:
    """100 part / whole rounded to 4 decimals, None where unknown (the JSON's percentages)."""
    part, whole = np.broadcast_arrays(part, whole)
    ok = (part >= 0) & (whole > 0)
    out = np.round(np.divide(100.0 * part, whole, out=np.zeros(part.shape), where=ok), 4)
    return [v if k else None for v, k in zip(out.ravel().tolist(), ok.ravel().tolist(),
                                              strict=True)]


def precinct_areas_dict(rp: Replay) -> list[dict[str, Any]]:
    """Per race and area below it: counts, the protocol's lines, turnout, votes and shares on
    the election's bases (the JSON shape)."""
    pa = rp.precinct_areas
    if pa is None or not pa.paths:
        return []
    s = rp.scenario
    n = len(pa.paths)
    c = pa.counts
    ncand = np.array([len(r.candidates) for r in s.races], np.int64)[pa.race]
    on = np.arange(c.shape[1] - 4) < ncand[:, None]
    votes = np.where(on, c[:, 4:], 0)
    aa = c[:, 3] if s.election.rules.against_all else np.zeros(n, np.int64)
    valid = np.where((votes >= 0).all(axis=1) & (aa >= 0), votes.sum(axis=1) + aa, -1)
    of_cast = np.array([r.share_basis == "cast" for r in s.races], bool)[pa.race]
    whole = np.where(of_cast, c[:, 1], valid)
    issued = pa.lines.get("issued", np.full(n, -1, np.int64))
    turnout_of = issued if s.election.turnout_basis == "issued" else c[:, 1]
    turnout = _percents(turnout_of, c[:, 0])
    shares = np.array(_percents(votes, whole[:, None]), dtype=object).reshape(votes.shape)
    aa_share = _percents(aa, whole)
    cols = {name: _counts(c[:, j]) for j, name in enumerate(COUNT_COLUMNS)}
    lines = {name: _counts(v) for name, v in pa.lines.items()}
    valid_l, votes_l = _counts(valid), votes.tolist()
    leader = np.argmax(np.where(on, votes, -1), axis=1).tolist()
    out = []
    for i, path in enumerate(pa.paths):
        race = s.races[int(pa.race[i])]
        out.append({
            "race": race.id, "path": list(path), "name": path[-1],
            "level": len(path) - len(race.area), "precincts": int(pa.precincts[i]),
            **{name: v[i] for name, v in cols.items()}, "valid": valid_l[i],
            "lines": {name: v[i] for name, v in lines.items()},
            "turnout": turnout[i],
            "candidates": [{"name": cand.name, "party": cand.party,
                            "votes": votes_l[i][j] if votes_l[i][j] >= 0 else None,
                            "share": shares[i, j]}
                           for j, cand in enumerate(race.candidates)],
            "against_all": ({"votes": cols["against_all"][i], "share": aa_share[i]}
                            if s.election.rules.against_all else None),
            "leader": race.candidates[leader[i]].name if race.candidates else None,
        })
    return out


def protocol_dict(rp: Replay) -> dict[str, Any] | None:
    """The protocol's relations at every station: counts, where they fail, the worst ones."""
    pf = rp.protocol
    if pf is None:
        return None
    races = rp.scenario.races
    return {
        "name": pf.protocol.name, "source": pf.protocol.source, "stations": pf.stations,
        "derived": list(pf.derived),
        "relations": [{
            "relation": f.relation.text, "checked": f.checked, "failed": f.failed,
            "unknown": f.unknown, "missing": list(f.missing),
            "by_race": [{"race": races[a.race].id, "checked": a.checked, "failed": a.failed}
                        for a in f.by_race],
            "by_area": [{"race": races[a.race].id, "path": list(a.path), "checked": a.checked,
                         "failed": a.failed} for a in f.by_area if a.failed],
            "worst": [{"race": races[x.race].id, "precinct": x.precinct, "area": list(x.area),
                       "left": x.left, "right": x.right, "difference": x.left - x.right,
                       "figures": dict(x.figures)} for x in f.worst],
        } for f in pf.relations],
    }


def area_rows(d: dict[str, Any]) -> list[list[Any]]:
    """CSV rows of the areas below races, in the replay CSV's columns (outcome: the level)."""
    rows = []
    for a in d.get("precinct_areas", []):
        area = " / ".join(a["path"])
        tail = [a["registered"], a["cast"], a["invalid"], a["valid"], a["turnout"],
                f"area level {a['level']}"]
        for c in a["candidates"]:
            rows.append([a["race"], a["name"], area, c["name"], c["party"], c["votes"],
                         c["share"], c["name"] == a["leader"], *tail])
        if a["against_all"] is not None:
            rows.append([a["race"], a["name"], area, "against all", "",
                         a["against_all"]["votes"], a["against_all"]["share"], False, *tail])
    return rows


def _n(x: int | None) -> str:
    return "?" if x is None else f"{x:,}"


def _p(x: float | None) -> str:
    return "?" if x is None or (isinstance(x, float) and math.isnan(x)) else f"{x:.2f}"


def areas_lines(d: dict[str, Any], level: int) -> list[str]:
    """Each race's areas ``level`` below it: precincts, turnout and the leading candidates'
    shares, one line an area (``level`` 0: none)."""
    rows = [a for a in d.get("precinct_areas", []) if a["level"] == level]
    if not rows or level < 1:
        return []
    lines: list[str] = []
    by_race: dict[str, list[dict[str, Any]]] = {}
    for a in rows:
        by_race.setdefault(a["race"], []).append(a)
    deepest = max(a["level"] for a in d["precinct_areas"])
    for race in d["races"]:
        areas = by_race.get(race["id"])
        if not areas:
            continue
        top = sorted(race["candidates"], key=lambda c: -(c["votes"] or 0))
        width = max(20, max(len(a["name"]) for a in areas))
        width = min(width, 34)
        room = max(1, (_WIDE - width - 26) // 9)
        shown = top[:room]
        more = " (--area-level N: deeper)" if level < deepest else ""
        lines += [f"{race['name']}: results by area, level {level} of {deepest}{more}",
                  f"  {'area':<{width}} {'precincts':>9} {'turnout':>7} "
                  + " ".join(f"{c['name'][:8]:>8}" for c in shown)]
        for a in areas:
            share = {c["name"]: c["share"] for c in a["candidates"]}
            lines.append(f"  {a['name'][:width]:<{width}} {a['precincts']:>9,} "
                         f"{_p(a['turnout']):>7} "
                         + " ".join(f"{_p(share.get(c['name'])):>8}" for c in shown))
        lines.append("")
    return lines


def protocol_lines(d: dict[str, Any]) -> list[str]:
    """The protocol's relations: checked and failed at how many stations; where and which
    stations fail worst."""
    p = d.get("protocol")
    if not p:
        return []
    derived = f"; derived here: {', '.join(p['derived'])}" if p["derived"] else ""
    lines = [f"Protocol {p['name']}: control relations at {p['stations']:,} stations{derived}"]
    for rel in p["relations"]:
        if rel["missing"]:
            lines.append(f"  {rel['relation']}: not checked (no {', '.join(rel['missing'])} "
                         "in the file)")
            continue
        unknown = f", {rel['unknown']:,} not checked (a line unknown)" if rel["unknown"] else ""
        state = "holds" if not rel["failed"] else f"FAILS at {rel['failed']:,}"
        lines.append(f"  {rel['relation']}: {state} of {rel['checked']:,} checked{unknown}")
        areas = sorted(rel["by_area"], key=lambda a: -a["failed"])[:_SHOWN_AREAS]
        if areas:
            lines.append("      by area: " + "; ".join(
                f"{' / '.join(a['path'][-1:])} {a['failed']:,}" for a in areas)
                + (" ..." if len(rel["by_area"]) > _SHOWN_AREAS else ""))
        for x in rel["worst"]:
            area = x["area"][-1] if x["area"] else ""
            figures = ", ".join(f"{k} {v:,}" for k, v in x["figures"].items())
            lines.extend(textwrap.wrap(
                f"{x['precinct']}" + (f" ({area})" if area else "") + f": {figures}",
                80, initial_indent=" " * 6, subsequent_indent=" " * 10))
    lines.append("")
    return lines
