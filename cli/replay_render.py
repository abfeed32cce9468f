"""Render a replay for people (table), for programs (JSON) and for spreadsheets (CSV)."""

from __future__ import annotations

import csv
import io
import json
import math
import textwrap
from fractions import Fraction
from typing import Any, cast

import numpy as np

from cli.precincts_render import (
    BASIS_TEXT,
    TURNOUT_TEXT,
    area_rows,
    areas_lines,
    precinct_areas_dict,
    protocol_dict,
    protocol_lines,
)
from cli.replay_offices import grouped, office_table
from engine.law.rules import Outcome
from engine.replay.reconcile import STATUSES, Check, count_place
from engine.replay.run import Replay

__all__ = ["replay_dict", "to_csv", "to_json", "to_table"]

HOLDS = ("exact", "rounded", "consistent")  # a figure resting on unpublished counts fits them


def _count(x: Any) -> int | None:
    x = int(x)
    return x if x >= 0 else None


def _pct(x: float | Fraction | None, digits: int = 4) -> float | None:
    if x is None:
        return None
    x = float(x)
    return None if math.isnan(x) else round(x, digits)


def _area_name(path: tuple[str, ...], nation: str) -> str:
    return path[-1] if path else nation


def check_dict(c: Check) -> dict[str, Any]:
    return {
        "where": c.where,
        "published": float(c.published) if c.is_percent else c.published,
        "published_text": c.published if c.is_percent else str(c.published),
        "recomputed": _pct(c.recomputed, 6) if c.is_percent else c.recomputed,
        "difference": _pct(c.difference, 6) if c.is_percent else c.difference,
        "status": c.status,
        "unit": "percent" if c.is_percent else "count",
        "low": _pct(c.low, 6),
        "high": _pct(c.high, 6),
        "basis": c.basis,
        "source": c.source,
    }


def replay_dict(rp: Replay) -> dict[str, Any]:
    """The replay as plain JSON-ready data (the shape `saylau replay --format json` prints)."""
    s, res = rp.scenario, rp.races
    t = res.totals
    e = s.election
    races = []
    for r, race in enumerate(s.races):
        names = [c.name for c in race.candidates]
        w, ru = int(res.winner[r]), int(res.runner_up[r])
        day = race.date or e.date
        methods = method_votes(race)
        races.append({
            "id": race.id,
            "name": race.name,
            "area": list(race.area),
            "date": day.isoformat() if day else None,
            "registered": _count(t.registered[r]),
            "cast": _count(t.cast[r]),
            "invalid": _count(t.invalid[r]),
            "valid": _count(t.valid[r]),
            "turnout": _pct(res.turnout[r]),
            "turnout_basis": e.turnout_basis,
            **({"issued": _count(t.lines["issued"][r])} if "issued" in t.lines else {}),
            "share_basis": race.share_basis,
            "candidates": [
                {"name": c.name, "party": c.party, "votes": _count(t.votes[r, j]),
                 "share": _pct(res.shares[r, j]), **methods[j]}
                for j, c in enumerate(race.candidates)
            ],
            "against_all": ({"votes": _count(t.against_all[r]),
                             "share": _pct(res.against_all_share[r])}
                            # None: no line on the ballot (the rules', or this race's)
                            if e.rules.against_all and race.against_all_line else None),
            "invalid_share": _pct(res.invalid_share[r]),
            "winner": names[w] if w >= 0 else None,
            "runner_up": names[ru] if ru >= 0 else None,
            "margin_votes": _count(res.margin_votes[r]),
            "margin_points": _pct(res.margin_points[r]),
            "tie": bool(res.tie[r]),
            "outcome": Outcome(int(res.outcome[r])).label,
            "withdrawn": [{"name": w_.name, "party": w_.party,
                           "date": w_.date.isoformat() if w_.date else None, "note": w_.note}
                          for w_ in race.withdrawn],
            "precincts": rp.precincts(r),
            "winner_term": _winner_term(race, w, race.date or e.date, e.rules),
            # read from an OpenElections file: as it spells them, and the votes' methods
            **({"office": race.office, "district": race.district} if race.office else {}),
            **({"methods": list(race.methods)} if race.methods else {}),
        })
        if race.maslikhat is not None:  # only then: files without bodies keep their shape
            races[-1]["maslikhat"] = race.maslikhat
    a = rp.areas
    areas = []
    for i, path in enumerate(a.paths):
        areas.append({
            "path": list(path),
            "name": _area_name(path, e.nation),
            "races": int(a.races[i]),
            "decided": int(a.decided[i]),
            "registered": _count(a.registered[i]),
            "cast": _count(a.cast[i]),
            "invalid": _count(a.invalid[i]),
            "valid": _count(a.valid[i]),
            "against_all": _count(a.against_all[i]),
            "turnout": _pct(a.turnout[i]),
            "parties": [{"party": p, "seats": int(a.seats[i, j]),
                         "votes": _count(a.party_votes[i, j])}
                        for j, p in enumerate(a.parties)],
        })
    out = {
        "election": {"name": e.name, "date": e.date.isoformat() if e.date else None,
                     **e.rules.entry(),
                     "nation": e.nation, "source": e.source,
                     "file": s.file, "turnout_basis": e.turnout_basis,
                     "share_basis": e.share_basis},
        "races": races,
        "areas": areas,
        "checks": [check_dict(c) for c in rp.checks],
        "inferred": [{"where": i.where, "low": i.low, "high": i.high, "basis": i.basis}
                     for i in rp.inferred],
        "summary": {status: sum(c.status == status for c in rp.checks) for status in STATUSES},
    }
    if within := precinct_areas_dict(rp):
        out["precinct_areas"] = within
    if (protocol := protocol_dict(rp)) is not None:
        out["protocol"] = protocol
    if s.maslikhats:
        out["maslikhats"] = [maslikhat_dict(s, b) for b in s.maslikhats]
    return out


def maslikhat_dict(s: Any, body: Any) -> dict[str, Any]:
    """A maslikhat as an electing body: its seats, those present, the races it elects."""
    races = [r.id for r in s.races if r.maslikhat == body.id]
    quorum = s.election.rules.quorum
    quorate = (None if body.seats is None or body.present is None else
               body.present * quorum.denominator >= quorum.numerator * body.seats)
    return {"id": body.id, "name": body.name, "area": list(body.area), "seats": body.seats,
            "present": body.present, "quorate": quorate,
            "date": body.date.isoformat() if body.date else None,
            "races_filled": body.races, "candidates": body.candidates,
            "races_in_file": races, "source": body.source}


def method_votes(race: Any) -> list[dict[str, Any]]:
    """Per candidate, ``{"methods": {method: votes}}`` (None where a precinct's count is
    unknown), or ``{}`` for a race without vote methods."""
    p = race.precincts
    if not race.methods or p is None or p.methods is None:
        return [{} for _ in race.candidates]
    known = (p.methods >= 0).all(axis=0)
    sums = np.where(p.methods >= 0, p.methods, 0).sum(axis=0)
    return [{"methods": {m: int(sums[j, i]) if known[j, i] else None
                         for i, m in enumerate(race.methods)}}
            for j in range(len(race.candidates))]


def _winner_term(race: Any, w: int, day: Any, rules: Any) -> dict[str, Any] | None:
    """The winner against the term limit, when the file says how many terms they held."""
    if w < 0 or race.candidates[w].terms_held is None or day is None:
        return None
    from engine.law.calendar import limit_after

    x = limit_after(race.candidates[w].terms_held, day, rules)
    return {"term": x.term, "limit": x.limit, "may_stand_next": x.may_stand_next,
            "next_regular_vote": x.next_vote.isoformat()}


def to_json(rp: Replay) -> str:
    return json.dumps(replay_dict(rp), ensure_ascii=False, indent=2) + "\n"


def to_csv(rp: Replay) -> str:
    """One row per race and option (candidates, then against all where the ballot has it);
    the votes of each vote method in columns of their own when a race has them."""
    d = replay_dict(rp)
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    methods = list(dict.fromkeys(m for r in d["races"] for m in r.get("methods", ())))
    w.writerow(["race_id", "race", "area", "option", "party", "votes", "share", "elected",
                "registered", "cast", "invalid", "valid", "turnout", "outcome", *methods])
    for r, winner in zip(d["races"], rp.races.winner, strict=True):
        tail = [r["registered"], r["cast"], r["invalid"], r["valid"], r["turnout"], r["outcome"]]
        area = " / ".join(r["area"])
        for j, c in enumerate(r["candidates"]):
            by = c.get("methods", {})
            w.writerow([r["id"], r["name"], area, c["name"], c["party"], c["votes"], c["share"],
                        j == winner, *tail, *(by.get(m) for m in methods)])
        aa = r["against_all"]
        if aa is not None:
            w.writerow([r["id"], r["name"], area, "against all", "", aa["votes"], aa["share"],
                        False, *tail, *([None] * len(methods))])
    w.writerows(area_rows(d))  # each race's areas, when its precincts name them
    return out.getvalue()  # csv writes None as an empty cell


# -- the table for people ----------------------------------------------------------------------
def _n(x: int | None) -> str:
    return "?" if x is None else f"{x:,}"


def _p(x: float | None) -> str:
    return "?" if x is None else f"{x:.2f}"


def _range(lo: float, hi: float | None, fmt: str = "{:.2f}") -> str:
    """``lo-hi``, one value when both print the same, ``lo or more`` when nothing bounds it."""
    a = fmt.format(lo)
    if hi is None:
        return f"{a} or more"
    b = fmt.format(hi)
    return a if a == b else f"{a}-{b}"


def to_table(rp: Replay, *, all_checks: bool = False, area_level: int = 1) -> str:
    d = replay_dict(rp)
    e = d["election"]
    inferred = {i["where"]: (i["low"], i["high"]) for i in d["inferred"]}
    lines = [f"{e['name']}",
             f"{e['date'] or 'date unknown'} · rules {rp.scenario.election.rules.label} · "
             f"{len(d['races'])} race{'s' * (len(d['races']) != 1)}",
             f"turnout: {TURNOUT_TEXT[e['turnout_basis']]} · shares "
             f"{BASIS_TEXT[e['share_basis']]}", ""]
    offices = grouped(d["races"])
    in_office = {i for members in offices.values() for i in members}
    for i, (r, race, winner) in enumerate(zip(d["races"], rp.scenario.races, rp.races.winner,
                                              strict=True)):
        if i in in_office:  # an office of several races: one line each, in one table
            lines.extend(office_table(d["races"], offices[i]) if i in offices else [])
            continue
        where = " / ".join(r["area"])
        head = f"{r['name']}" + (f" ({where})" if where else "")
        verdict = (f"elected: {r['winner']}" if r["winner"] else r["outcome"].replace("_", " "))
        title = f"{head}  —  {verdict}"
        lines.extend([title] if len(title) <= 80 else [head, f"  —  {verdict}"])
        def span(key: str, place: str = race.place) -> tuple[int, int] | None:
            return inferred.get(count_place(place, key))

        def show(key: str, value: int | None) -> str:
            known = span(key)
            return _range(known[0], known[1], "{:,}") + "*" if value is None and known else (
                _n(value))

        turnout = f"{_p(r['turnout'])}%"
        cast_span = span("cast")
        if r["turnout"] is None and cast_span and r["registered"]:
            lo, hi = cast_span
            turnout = _range(100 * lo / r["registered"],
                             None if hi is None else 100 * hi / r["registered"]) + "%*"
        indirect = rp.scenario.election.rules.kind == "indirect"
        if indirect:  # a maslikhat's deputies vote: seats and deputies present
            body = f"maslikhat {r['maslikhat']}: " if "maslikhat" in r else ""
            lines.append(f"  {body}seats {_n(r['registered'])}  deputies present "
                         f"{show('cast', r['cast'])}  attendance {turnout}")
        elif r["turnout_basis"] == "issued":  # turnout of ballots issued, as published
            lines.append(f"  registered {_n(r['registered'])}  issued {_n(r['issued'])}  cast "
                         f"{show('cast', r['cast'])}  turnout {turnout}")
        else:
            lines.append(f"  registered {_n(r['registered'])}  cast "
                         f"{show('cast', r['cast'])}  turnout {turnout}")
        lines.append(f"  invalid {show('invalid', r['invalid'])}  "
                     f"valid {show('valid', r['valid'])}")
        if r["share_basis"] != e["share_basis"]:
            lines.append(f"  shares {BASIS_TEXT[r['share_basis']]}")
        name_w = min(40, max(28, *(len(c["name"]) for c in r["candidates"])))
        party_w = min(40, max(16, *(len(c["party"]) for c in r["candidates"])))
        lines.append(f"  {'option':<{name_w}} {'party':<{party_w}} {'votes':>12} "
                     f"{'share %':>12}")
        options = [(c["name"], c["party"], c["votes"], c["share"], f"candidate[{j + 1}]")
                   for j, c in enumerate(r["candidates"])]
        if r["against_all"] is not None:  # a line on the ballot
            options.append(("against all", "", r["against_all"]["votes"],
                            r["against_all"]["share"], "against_all"))
        valid_range = span("valid")
        for j, (name, party, votes, share, key) in enumerate(options):
            v = show(key, votes)
            sh = _p(share)
            if share is None and valid_range:
                lo_v, hi_v = (votes, votes) if votes is not None else span(key) or (0, 0)
                # a share of an interval: its least count over the most valid votes, and so on
                # (no valid votes at all bounds nothing; an unbounded end leaves it open)
                v_lo, v_hi = valid_range
                low = 0.0 if v_hi is None else 100 * lo_v / v_hi if v_hi else None
                high = 100.0 if hi_v is None or not v_lo else min(100 * hi_v / v_lo, 100.0)
                sh = "?" if low is None else _range(low, high) + "*"
            mark = "►" if j == winner else " "
            lines.append(f"{mark} {name[:name_w]:<{name_w}} {party[:party_w]:<{party_w}} "
                         f"{v:>12} {sh:>12}".rstrip())
        if r["margin_votes"] is not None:
            pts = f" ({_p(r['margin_points'])} points)" if r["margin_points"] is not None else ""
            lines.append(f"  margin {r['margin_votes']:,} votes{pts}")
        if (wt := r["winner_term"]) is not None:
            may = ("may stand" if wt["may_stand_next"] else
                   "is barred by the term limit")
            lines.extend(textwrap.wrap(
                f"{r['winner']} starts consecutive term {wt['term']} of at most {wt['limit']}: "
                f"{may} at the next regular vote (about {wt['next_regular_vote']})",
                80, initial_indent="  ", subsequent_indent="    "))
        revotes = [c.revote for c in race.candidates]
        if any(v is not None for v in revotes):
            lines.append("  re-vote among the tied: " + ", ".join(
                f"{c.name} {v}" for c, v in zip(race.candidates, revotes, strict=True)
                if v is not None))
        for w in r["withdrawn"]:
            when = f" on {w['date']}" if w["date"] else ""
            lines.append(f"  withdrawn{when}: {w['name']} (not on the ballot)")
        lines.append("")
    if d["inferred"]:
        lines.append("* inferred: counts the source did not publish, as the integers")
        lines.append("  consistent with every published figure")
        for i in d["inferred"]:
            lines.append(f"  {i['where']:<44} {_range(i['low'], i['high'], '{:,}'):>20}")
        lines.append("")
    lines.extend(areas_lines(d, area_level))
    lines.extend(protocol_lines(d))
    lines.extend(_maslikhats_table(d))
    lines.extend(_published_areas(rp))
    if len(d["races"]) > 1 and (len(d["areas"]) > 2 or any(len(r["area"]) > 1
                                                            for r in d["races"])):
        lines.extend(_areas_table(d))
    lines.extend(_checks_table(d, all_checks))
    return "\n".join(lines).rstrip() + "\n"


def _maslikhats_table(d: dict[str, Any]) -> list[str]:
    """The electing bodies: seats, deputies present, whether the sitting had its quorum."""
    if "maslikhats" not in d:
        return []
    lines = ["Maslikhats (electing bodies)"]
    for b in d["maslikhats"]:
        where = " / ".join(b["area"])
        quorum = {None: "quorum ?", True: "quorate", False: "NO QUORUM"}[b["quorate"]]
        filled = (f"{b['races_filled']:,} posts filled, " if b["races_filled"] is not None
                  else "")
        lines.append(f"  {b['name']}" + (f" ({where})" if where else "")
                     + (f", sitting {b['date']}" if b["date"] else ""))
        lines.append(f"    seats {_n(b['seats'])}  present {_n(b['present'])}  {quorum}  "
                     f"{filled}{len(b['races_in_file'])} in this file")
    lines.append("")
    return lines


def _areas_table(d: dict[str, Any]) -> list[str]:
    lines = ["Areas, summed from the races of this file",
             f"  {'area':<26} {'races':>6} {'cast':>12} {'registered':>12} {'turnout':>8}"]
    for a in d["areas"]:
        indent = "  " * len(a["path"])
        lines.append(f"  {(indent + a['name'])[:26]:<26} {a['races']:>6} {_n(a['cast']):>12} "
                     f"{_n(a['registered']):>12} {_p(a['turnout']):>8}")
    lines.append("")
    return lines


def _published_areas(rp: Replay) -> list[str]:
    """The nation and regions as their first published table gives them, seats per party."""
    if not rp.scenario.areas:
        return []
    nation = rp.scenario.election.nation
    lines = ["Published results by area (each area's first table)",
             f"  {'area':<30} {'races':>6} {'cast':>11} {'registered':>11} {'turnout':>7}"]
    for area in sorted(rp.scenario.areas, key=lambda a: (len(a.path), a.path)):
        first = area.figures[0].place.rsplit(".", 1)[0] if area.figures else None
        f = {x.key: x.value for x in area.figures if x.place.rsplit(".", 1)[0] == first}
        name = ("  " * len(area.path) + _area_name(area.path, nation))[:30]
        lines.append((f"  {name:<30} {f.get('races', ''):>6} "
                      # counts, read as ints (only percentages are strings)
                      f"{_n(cast(int, f['cast'])) if 'cast' in f else '':>11} "
                      f"{_n(cast(int, f['registered'])) if 'registered' in f else '':>11} "
                      f"{f.get('turnout', ''):>7}").rstrip())
        seats, seen = [], set()
        for party in area.parties:
            n = next((x.value for x in party.figures if x.key == "seats"), None)
            if n is not None and party.party not in seen:
                seen.add(party.party)
                seats.append(f"{party.party} {n}")
        if seats:  # no break inside "party n": its spaces are non-breaking while wrapping
            text = "seats: " + " · ".join(x.replace(" ", "\xa0") for x in seats)
            lines.extend(line.replace("\xa0", " ") for line in
                         textwrap.wrap(text, 78, initial_indent="      ",
                                       subsequent_indent="      "))
    lines.append("")
    return lines


def _checks_table(d: dict[str, Any], all_checks: bool) -> list[str]:
    summary = ", ".join(f"{n} {k}" for k, n in d["summary"].items() if n)
    shown = [c for c in d["checks"] if all_checks or c["status"] not in HOLDS]
    lines = [f"Published figures: {len(d['checks'])} checked" + (f" ({summary})" if summary
                                                                  else "")]
    if not d["checks"]:
        return lines
    if not shown:
        lines.append("  every one holds (exact, rounded, or consistent with unpublished counts)")
        return lines
    if not all_checks:
        lines.append(f"  {len(shown)} do not hold exactly (truncated: cut, not rounded; "
                     "mismatch: wrong):")
    for c in shown:
        pct = c["unit"] == "percent"
        if c["recomputed"] is not None:
            rec = f"{c['recomputed']:.4f}" if pct else f"{c['recomputed']:,}"
            diff = c["difference"]
            dif = f"{diff:+.4f} points" if pct else f"{diff:+,}"
        elif c["low"] is not None:
            rec, dif = _range(c["low"], c["high"], "{:.3f}"), ""
        else:
            rec, dif = "?", ""
        pub = c["published_text"] if pct else f"{c['published']:,}"
        lines.append(f"  {c['where']}")
        lines.append(f"      {c['status']:<10} published {pub}  recomputed {rec}"
                     + (f"  difference {dif}" if dif else ""))
        why = "; ".join(x for x in (c["basis"], c["source"] and f"source: {c['source']}") if x)
        lines.extend(textwrap.wrap(why, 80, initial_indent=" " * 8, subsequent_indent=" " * 8))
    return lines
