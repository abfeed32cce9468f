"""The replay page's content: `saylau replay --format json`'s dict (:func:`replay_dict`), laid
out for reading: the headline, the published figures that do not hold, the inferred counts,
results by level, the published area tables, every race, and the sections later data brings.

The page is a list of sections, each a template fed from one part of the dict
(``cli/templates/replay_<name>.html.j2``): a section whose data is absent is left out, so a key
the replay gains becomes a section by adding its template and one line to :func:`sections`, as
areas within a race and a protocol's control relations did (:mod:`cli.report_precincts`).
"""

from __future__ import annotations

from typing import Any

from cli.precincts_render import TURNOUT_TEXT
from cli.replay_render import HOLDS, replay_dict
from cli.report_charts import bar
from cli.report_precincts import level_name, protocol_section, within_races
from cli.report_render import (
    Cell,
    cell,
    count,
    count_cell,
    pct,
    pct_cell,
    records,
    span_cell,
)
from engine.replay.reconcile import count_place
from engine.replay.run import Replay

__all__ = ["DETAILED_RACES", "MAX_OPTION_ROWS", "replay_page"]

DETAILED_RACES = 24  # races shown one section each; more: one table of every candidate
MAX_OPTION_ROWS = 5_000  # that table, at most; beyond, the candidates of the closest races
FOLD_ROWS = 60  # a longer table opens on demand (a <details>): the page opens fast
Span = tuple[int, int]


def replay_page(rp: Replay, forensics: dict[str, Any] | None = None) -> dict[str, Any]:
    """What the replay page shows, every number taken from :func:`replay_dict`."""
    d = replay_dict(rp)
    indirect = rp.scenario.election.rules.kind == "indirect"
    inferred = {i["where"]: (i["low"], i["high"]) for i in d["inferred"]}
    detailed = len(d["races"]) <= DETAILED_RACES
    races = [_race(r, race.place, inferred, indirect, bars=detailed)
             for r, race in zip(d["races"], rp.scenario.races, strict=True)]
    checks = [_check(c) for c in d["checks"]]
    by_race: dict[str, list[dict[str, Any]]] = {}
    for c in checks:
        if not c["holds"] and c["c"]["where"].startswith("race["):
            by_race.setdefault(c["c"]["where"].split(".", 1)[0], []).append(c)
    for v in races:
        v["failing"] = by_race.get(v["place"], [])
    published = _published(rp, d["checks"])
    bases = _bases(d, indirect)
    page: dict[str, Any] = {
        "d": d,
        "indirect": indirect,
        "rules": rp.scenario.election.rules.label,  # the preset and what the file changed
        "bases": bases,
        "races": races,
        "detailed": detailed,
        "option_rows": sum(len(v["options"]) for v in races),
        "closest": _closest(races),
        "fold_rows": FOLD_ROWS,
        "levels": _levels(d),
        "parties": [p["party"] for p in d["areas"][0]["parties"]] if d["areas"] else [],
        "published": published,
        "checks": checks,
        "forensics": forensics,
        "within": within_races(d),
        "protocol": protocol_section(d.get("protocol")),
        "maslikhats": records(d["maslikhats"]) if d.get("maslikhats") else None,
    }
    page["failing"] = [c for c in page["checks"] if not c["holds"]]
    page["option_races"] = races if page["option_rows"] <= MAX_OPTION_ROWS else page["closest"]
    for n, v in enumerate(races, 1):
        v["n"] = n
    page["headline"] = _headline(d, races, published, bases, indirect)
    page["sections"] = sections(page)
    return page


def sections(page: dict[str, Any]) -> list[dict[str, str]]:
    """The page's sections in order: (id, title, template); those without data left out."""
    d = page["d"]
    wanted = [("headline", "At a glance", True),
              ("figures", "Published figures", bool(d["checks"])),
              ("inferred", "Inferred counts", bool(d["inferred"])),
              ("levels", "Results by level", bool(d["races"])),
              ("published", "Published tables by area", page["published"] is not None),
              ("races", "Races", bool(d["races"])),
              ("within", "Areas within races", bool(page["within"])),
              ("protocol", "Protocol control relations", page["protocol"] is not None),
              ("maslikhats", "Maslikhats", page["maslikhats"] is not None),
              ("forensics", "Precinct forensics", page["forensics"] is not None)]
    return [{"id": name.replace("_", "-"), "title": title,
             "template": f"replay_{name}.html.j2"} for name, title, shown in wanted if shown]


SHARE_TEXT = {"valid": "votes / valid votes (candidates and against all)",
              "cast": "votes / ballots cast (valid and invalid)"}


def _bases(d: dict[str, Any], indirect: bool) -> dict[str, str]:
    """What turnout and a share are of: the bases the election declares (or its rules')."""
    if indirect:
        return {"turnout": "deputies present / seats", "share": "votes / deputies present"}
    e = d["election"]
    return {"turnout": TURNOUT_TEXT.get(e.get("turnout_basis") or "cast", TURNOUT_TEXT["cast"]),
            "share": SHARE_TEXT.get(e.get("share_basis") or "valid", SHARE_TEXT["valid"])}


def _check(c: dict[str, Any]) -> dict[str, Any]:
    """A published figure's row: as published, as recomputed, the difference, the status."""
    percent = c["unit"] == "percent"
    published = cell(c["published"], c["published_text"] if percent else count(c["published"]))
    blank = cell(None, "")
    if c["recomputed"] is not None:
        recomputed = cell(c["recomputed"], f"{c['recomputed']:.4f}" if percent
                          else count(c["recomputed"]))
        difference = cell(c["difference"], f"{c['difference']:+.4f}" if percent
                          else f"{c['difference']:+,}")
    elif c["low"] is not None and c["high"] is not None:
        recomputed = span_cell(None, (c["low"], c["high"]), lambda x: f"{x:.3f}")
        recomputed["t"] = recomputed["t"].rstrip("*")
        difference = blank
    else:
        recomputed, difference = cell(None, "?"), blank
    return {"c": c, "published": published, "recomputed": recomputed,
            "difference": difference, "holds": c["status"] in HOLDS}


# -- races -----------------------------------------------------------------------------------
def _share(votes: int | None, share: float | None, votes_span: Span | None,
           valid: Span | None, bars: bool) -> tuple[Cell, Any]:
    """A share's cell and bar: the replay's value, else the interval its inferred counts allow
    (the table output's rule: fewest votes over most valid, most votes over fewest valid)."""
    if share is not None:
        return pct_cell(share), bar(share, 100) if bars else None
    lo_v, hi_v = (votes, votes) if votes is not None else votes_span or (None, None)
    if valid is None or lo_v is None or hi_v is None or valid[0] <= 0:
        return pct_cell(None), None
    lo, hi = 100 * lo_v / valid[1], 100 * hi_v / valid[0]
    return (span_cell(None, (lo, hi), pct),
            bar(None, 100, low=lo, high=hi, span=True) if bars else None)


def _race(r: dict[str, Any], place: str, inferred: dict[str, Span], indirect: bool,
          bars: bool = True) -> dict[str, Any]:
    """A race's cells (the replay's counts, or the intervals inferred for them), its options
    and their share bars (drawn only when ``bars``: races shown one section each)."""
    def span(key: str) -> Span | None:
        return inferred.get(count_place(place, key))

    cells = {k: count_cell(r[k], span(k)) for k in ("registered", "cast", "invalid", "valid")}
    valid = (r["valid"], r["valid"]) if r["valid"] is not None else span("valid")
    cast, registered = span("cast"), r["registered"]
    if r["turnout"] is None and cast is not None and registered:
        cells["turnout"] = span_cell(None, (100 * cast[0] / registered,
                                            100 * cast[1] / registered), pct)
    else:
        cells["turnout"] = pct_cell(r["turnout"])
    options = []
    for j, c in enumerate(r["candidates"]):
        key = f"candidate[{j + 1}]"
        share, share_bar = _share(c["votes"], c["share"], span(key), valid, bars)
        options.append({"name": c["name"], "party": c["party"], "key": key,
                        "votes": count_cell(c["votes"], span(key)), "share": share,
                        "bar": share_bar, "elected": c["name"] == r["winner"]})
    aa = r["against_all"]
    if aa is not None:  # a line on the ballot
        share, share_bar = _share(aa["votes"], aa["share"], span("against_all"), valid, bars)
        options.append({"name": "against all", "party": "", "key": "against_all",
                        "votes": count_cell(aa["votes"], span("against_all")), "share": share,
                        "bar": share_bar, "elected": False, "against_all": True})
    margin = r["margin_votes"]
    if r["margin_points"] is None and margin is not None and valid is not None and valid[0] > 0:
        points = span_cell(None, (100 * margin / valid[1], 100 * margin / valid[0]), pct)
    else:
        points = pct_cell(r["margin_points"])
    winner = next((o for o in options if o["elected"]), None)
    return {"r": r, "place": place, "where": " / ".join(r["area"]), "cells": cells,
            "turnout": _percent(cells["turnout"]),
            "options": options, "winner": winner, "margin": count_cell(margin),
            "margin_points": points, "outcome": r["outcome"].replace("_", " ")}


def _closest(races: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The races decided by the fewest points (then votes), those without a margin first."""
    def key(v: dict[str, Any]) -> tuple[float, float]:
        r = v["r"]
        if r["margin_votes"] is None:
            return (-1.0, -1.0)
        points = r["margin_points"]
        return (float("inf") if points is None else points, r["margin_votes"])

    return sorted(races, key=key)[:DETAILED_RACES]


# -- areas -----------------------------------------------------------------------------------
def _levels(d: dict[str, Any]) -> list[dict[str, Any]]:
    """The areas summed from the races, one table per depth: the nation, regions, districts."""
    by_depth: dict[int, list[dict[str, Any]]] = {}
    for a in d["areas"]:
        by_depth.setdefault(len(a["path"]), []).append(a)
    return [{"depth": depth, "name": level_name(depth), "areas": areas}
            for depth, areas in sorted(by_depth.items())]


_PUBLISHED_KEYS = ("races", "registered", "cast", "turnout", "invalid", "invalid_share",
                   "against_all", "against_all_share")


def _published(rp: Replay, checks: list[dict[str, Any]]) -> dict[str, Any] | None:
    """Each area's first published table, as the source gave it, each figure beside what the
    replay found for it (the checks at its place); seats per party from the same table."""
    areas = rp.scenario.areas
    if not areas:
        return None
    at: dict[str, list[dict[str, Any]]] = {}
    for c in checks:
        at.setdefault(c["where"], []).append(c)
    nation = rp.scenario.election.nation
    keys: list[str] = []
    parties: list[str] = []
    rows = []
    for area in sorted(areas, key=lambda a: (len(a.path), a.path)):
        first = area.figures[0].place.rsplit(".", 1)[0] if area.figures else None
        figures = {f.key: _figure(f, at) for f in area.figures
                   if f.place.rsplit(".", 1)[0] == first and f.key != "partial"}
        seats: dict[str, Any] = {}
        for party in area.parties:
            f = next((x for x in party.figures if x.key == "seats"), None)
            if f is not None and party.party not in seats:
                seats[party.party] = _figure(f, at)
                if party.party not in parties:
                    parties.append(party.party)
        keys += [k for k in figures if k not in keys]
        rows.append({"name": area.path[-1] if area.path else nation, "depth": len(area.path),
                     "path": " / ".join(area.path), "figures": figures, "seats": seats,
                     "source": next((f.source for f in area.figures if f.source), None)})
    order = [k for k in _PUBLISHED_KEYS if k in keys] + [k for k in keys
                                                         if k not in _PUBLISHED_KEYS]
    return {"rows": rows, "keys": order, "parties": parties}


def _figure(f: Any, at: dict[str, list[dict[str, Any]]]) -> dict[str, Any]:
    """A published figure's cell: as published, and each check of it that does not hold."""
    percent = isinstance(f.value, str)
    failing = [c for c in at.get(f.place, []) if c["status"] not in HOLDS]
    notes = [f"{c['status']}: {_recomputed(c)}" for c in failing]
    why = [f"{c['status']}, {_recomputed(c)} as {c['basis']}" for c in failing]
    return {"text": f.value if percent else count(f.value),
            "v": f.value if percent else str(f.value), "place": f.place,
            "checked": bool(at.get(f.place)), "failing": notes, "why": why,
            "status": failing[0]["status"] if failing else None}


def _recomputed(c: dict[str, Any]) -> str:
    """A check's recomputed value as the table writes it."""
    if c["recomputed"] is None:
        return "?" if c["low"] is None else f"{c['low']:.3f}–{c['high']:.3f}"
    return f"{c['recomputed']:.4f}" if c["unit"] == "percent" else f"{c['recomputed']:,}"


# -- the headline ----------------------------------------------------------------------------
def _percent(c: Cell) -> str:
    """A percentage cell's text with its unit: ``53.70%``, ``53.69–53.70%*``."""
    text = c["t"]
    if text == "?":
        return "not published"
    return f"{text[:-1]}%*" if text.endswith("*") else f"{text}%"


def _headline(d: dict[str, Any], races: list[dict[str, Any]], published: dict[str, Any] | None,
              bases: dict[str, str], indirect: bool) -> dict[str, Any]:
    """Cards: who won and by how much, turnout on its basis, what the published figures say."""
    cards: list[dict[str, Any]] = []
    if len(races) == 1:
        v = races[0]
        r = v["r"]
        w = v["winner"]
        cards.append({"label": "elected" if w else "outcome",
                      "value": r["winner"] if w else v["outcome"],
                      "detail": (f"{w['party']} · {w['votes']['t']} votes, "
                                 f"{_percent(w['share'])}" if w else "no candidate elected")})
        if r["margin_votes"] is not None:
            cards.append({"label": "margin", "value": f"{v['margin']['t']} votes",
                          "detail": f"{v['margin_points']['t']} points over {r['runner_up']}"})
        cards.append({"label": "attendance" if indirect else "turnout",
                      "value": _percent(v["cells"]["turnout"]), "detail": bases["turnout"]})
    elif races:
        nation = d["areas"][0]
        ranked = sorted((p for p in nation["parties"] if p["seats"]), key=lambda p: -p["seats"])
        cards.append({"label": "races with counts in this file",
                      "value": f"{nation['decided']:,} of {nation['races']:,} decided",
                      "detail": "recomputed from their counts, summed to every area"})
        if ranked:
            top = ranked[0]
            rest = ", ".join(f"{p['party']} {p['seats']:,}" for p in ranked[1:4])
            cards.append({"label": "most races won", "value": f"{top['party']}: "
                          f"{top['seats']:,}", "detail": rest or "no other party won a race"})
        cards.append({"label": "attendance" if indirect else "turnout",
                      "value": _percent(pct_cell(nation["turnout"])),
                      "detail": f"{bases['turnout']}, over the races of this file"})
    first = [c for c in (_published_card(published), _figures_card(d)) if c is not None]
    # one race: who won first; many: the published whole first, then what the file's races give
    cards = cards + first if len(races) == 1 else first + cards
    return {"cards": cards, "unpublished": bool(d["inferred"])}


def _figures_card(d: dict[str, Any]) -> dict[str, Any] | None:
    s = d["summary"]
    failing = s["truncated"] + s["mismatch"]
    total = len(d["checks"])
    if not total:
        return None
    return {"label": "published figures",
            "value": f"{failing:,} of {total:,} do not hold" if failing else f"all {total:,} hold",
            "detail": ", ".join(f"{n:,} {k}" for k, n in s.items() if n), "bad": failing > 0}


def _published_card(published: dict[str, Any] | None) -> dict[str, Any] | None:
    """The nation's first published table: the party with most seats, races, turnout, and
    whether those figures hold."""
    if published is None or not published["rows"] or published["rows"][0]["depth"] != 0:
        return None
    top = published["rows"][0]
    f = top["figures"]
    parts = [f"{f[k]['text']} {k}" for k in ("races",) if k in f]
    parts += [f"turnout {f['turnout']['text']}%"] if "turnout" in f else []
    seats = sorted(top["seats"].items(), key=lambda kv: -int(kv[1]["v"]))
    shown = [seats[0][1]] if seats else [f[k] for k in ("races", "turnout") if k in f]
    wrong = [n for x in shown for n in x["why"]]
    detail = " · ".join(parts) if seats else (top["source"] or "")
    return {"label": f"as published for {top['name']}",
            "value": (f"{seats[0][0]}: {seats[0][1]['text']} seats" if seats
                      else " · ".join(parts) or "see below"),
            "detail": detail + (f" · does not hold: {'; '.join(wrong)}" if wrong else ""),
            "bad": bool(wrong)}
