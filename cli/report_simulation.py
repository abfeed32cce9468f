"""The simulation page's content, from the dicts `saylau simulate --format json` prints:
:func:`simulation_dict` (one election, many runs), :func:`cycles_dict` (``--cycles``) and
:func:`round_dict` (an indirect round). Probabilities are the exact counts over the runs;
each chart stands beside the table of its numbers."""

from __future__ import annotations

from typing import Any

from cli.report_charts import bar, histogram, legend_marker, range_bar, series
from cli.report_render import Cell, cell, count, pct, prob, prob_cell
from engine.law.rules import FAILED_OUTCOMES

__all__ = ["DETAILED_RACES", "cycles_page", "round_page", "simulation_page"]

DETAILED_RACES = 12  # races shown one table each (as the table output); more: one row each
_FAILED = tuple(o.label for o in FAILED_OUTCOMES)


def _section(name: str, title: str) -> dict[str, str]:
    return {"id": name, "title": title, "template": f"simulation_{name}.html.j2"}


def _p_interval(c: dict[str, Any]) -> Cell:
    lo, hi = c["p_win_95"]
    return {"v": "", "t": f"{100 * lo:.2f}–{100 * hi:.2f}%", "lo": repr(lo), "hi": repr(hi)}


def _race(r: dict[str, Any], runs: int) -> dict[str, Any]:
    candidates = []
    for c, share in zip(r["candidates"], r["model"]["shares"], strict=True):
        lo, hi = c["p_win_95"]
        candidates.append({"c": c, "p": prob_cell(c["p_win"]), "interval": _p_interval(c),
                           "share": cell(share, f"{100 * share:.2f}%"),
                           "bar": bar(c["p_win"], 1, low=lo, high=hi)})
    best = max(candidates, key=lambda x: x["c"]["wins"]) if candidates else None
    t, mv, mp = r["turnout_percent"], r["margin_votes"], r["margin_points"]
    outcomes = {k: cell(n / runs, prob(n / runs)) for k, n in r["outcomes"].items()}
    return {"r": r, "where": " / ".join(r["area"]), "candidates": candidates, "best": best,
            "outcomes": outcomes,
            "turnout": {k: cell(v, pct(v)) for k, v in t.items()},
            "margin": {k: cell(v, count(v)) for k, v in mv.items()},
            "points": {k: cell(v, pct(v)) for k, v in mp.items()},
            "turnout_bar": range_bar(t["p5"], t["p50"], t["p95"], 0, 100),
            "risk": r["p_failed"] + r["p_tie"]}


def simulation_page(d: dict[str, Any], nation: str) -> dict[str, Any]:
    """The page of one simulated election (``d``: :func:`simulation_dict`)."""
    runs = d["runs"]
    races = [_race(r, runs) for r in d["races"]]
    margin_top = max((v["r"]["margin_votes"]["p95"] for v in races), default=0)
    for v in races:
        m = v["r"]["margin_votes"]
        v["margin_bar"] = range_bar(m["p5"], m["p50"], m["p95"], 0, margin_top)
    labels = [o for o in ("elected", "uncontested", "tie", *_FAILED, "undetermined")
              if any(o in r["outcomes"] for r in d["races"])]
    areas = [_area(a, nation) for a in d["areas"]]
    cards = _cards(d, races, areas)
    sections = [_section("headline", "At a glance"), _section("wins", "Win probabilities"),
                _section("risks", "Failed outcomes and close races"),
                _section("quantiles", "Turnout and margins")]
    if areas and (len(races) > 1 or len(areas[0]["counts"]) > 1):
        sections.append(_section("areas", "Races won per party and area"))
    closest = sorted((v for v in races if v["best"] is not None),
                     key=lambda v: v["best"]["c"]["p_win"])[:DETAILED_RACES]
    risky = sorted((v for v in races if v["risk"] > 0 or v["r"]["p_margin_le_10"] > 0),
                   key=lambda v: -(v["risk"] + v["r"]["p_margin_le_10"]))
    return {"d": d, "races": races, "detailed": len(races) <= DETAILED_RACES,
            "closest": closest, "risky": risky[:DETAILED_RACES], "n_risky": len(risky),
            "outcome_labels": labels, "areas": areas, "headline": {"cards": cards},
            "sections": sections, "kind": "simulation"}


def _area(a: dict[str, Any], nation: str) -> dict[str, Any]:
    rows = [{"c": c, "mean": cell(c["mean"], f"{c['mean']:,.2f}"),
             **{q: cell(c[q], count(c[q])) for q in ("p5", "p50", "p95")},
             "bar": range_bar(c["p5"], c["p50"], c["p95"], 0, a["races"])}
            for c in a["counts"]]
    return {"a": a, "name": a["path"][-1] if a["path"] else nation,
            "path": " / ".join(a["path"]), "counts": rows}


def _cards(d: dict[str, Any], races: list[dict[str, Any]],
           areas: list[dict[str, Any]]) -> list[dict[str, Any]]:
    cards: list[dict[str, Any]] = [{"label": "runs", "value": f"{d['runs']:,}",
                                    "detail": f"seed {d['seed']} · rules {d['rules']}"}]
    if len(races) == 1 and races[0]["best"] is not None:
        v = races[0]
        b = v["best"]["c"]
        cards.append({"label": "favourite", "value": b["name"],
                      "detail": f"{b['party']} · wins {prob(b['p_win'])} of runs "
                                f"({v['best']['interval']['t']}, 95%)"})
        t = v["r"]["turnout_percent"]
        cards.append({"label": "turnout", "value": f"{pct(t['p50'])}%",
                      "detail": f"median; 90% of runs between {pct(t['p5'])}% and "
                                f"{pct(t['p95'])}%"})
        m = v["r"]["margin_votes"]
        cards.append({"label": "margin", "value": f"{count(m['p50'])} votes",
                      "detail": f"median; 90% of runs between {count(m['p5'])} and "
                                f"{count(m['p95'])}"})
        cards.append({"label": "no winner", "value": prob(v["r"]["p_failed"] + v["r"]["p_tie"]),
                      "detail": f"failed {prob(v['r']['p_failed'])}, tie "
                                f"{prob(v['r']['p_tie'])}",
                      "bad": v["r"]["p_failed"] + v["r"]["p_tie"] > 0})
    elif races:
        expected = sum(v["risk"] for v in races)
        close = sum(1 for v in races if v["best"] and v["best"]["c"]["p_win"] < 0.9)
        cards.append({"label": "races", "value": f"{len(races):,}",
                      "detail": f"{close:,} whose favourite wins less than 90% of runs"})
        cards.append({"label": "races without a winner", "value": f"{expected:,.2f}",
                      "detail": "expected per election (failed or tied)", "bad": expected > 0})
        top = next((c for c in areas[0]["counts"]), None) if areas and not areas[0]["path"] \
            else None
        if top is not None:
            c = top["c"]
            cards.append({"label": "most races won", "value": f"{c['name']}: {c['mean']:,.1f}",
                          "detail": f"mean over runs; 90% between {c['p5']:,} and "
                                    f"{c['p95']:,}"})
    if d.get("calibrated_from"):
        cards.append({"label": "calibrated from", "value": d["calibrated_from"],
                      "detail": "the means come from this replay"})
    return cards


# -- --cycles --------------------------------------------------------------------------------
_SERIES = (("won by incumbents", "share_won_by_incumbents", "of races won"),
           ("open seats", "share_open_seats", "of elections other than repeats"),
           ("left at the limit", "share_leaving_at_limit", "of akims leaving office"))


def cycles_page(d: dict[str, Any]) -> dict[str, Any]:
    """The page of ``--cycles`` (``d``: :func:`cycles_dict`): a series chart and its table."""
    rows = d["per_cycle"]
    lines: list[tuple[str, list[float | None]]] = [
        (name, [r[key] for r in rows]) for name, key, _ in _SERIES]
    for k in rows[0]["winners_by_term"] if rows else []:
        lines.append((f"term {k} winners", [r["winners_by_term"][k] / r["won"] if r["won"]
                                             else None for r in rows]))
    labels = [f"{r['cycle']}" + (f" ({r['from'][:4]})" if r["from"] else "") for r in rows]
    chart = series(labels, lines, xlabel="cycle (first year)", ylabel="share",
                   label_id="cycles-caption")
    table = [{"r": r, "shares": [cell(v, "-" if v is None else f"{100 * v:.1f}%")
                                 for v in (line[1][i] for line in lines)],
              "per_run": {k: cell(r[k], f"{r[k] / d['runs']:,.2f}")
                          for k in ("elections", "early_elections", "failed")}}
             for i, r in enumerate(rows)]
    cards = [{"label": "cycles", "value": f"{d['cycles']} × {d['term_years']} years",
              "detail": f"{d['races']:,} races · {d['runs']:,} runs · seed {d['seed']}"
                        + (f" · from {d['first_vote']}" if d.get("first_vote") else "")},
             {"label": "an incumbent stands again", "value": f"p = {d['incumbent_stands']:g}",
              "detail": f"advantage {d['incumbency_advantage']:g} (log-share); P(a term ends "
                        f"early) {d['early_termination']:g}; limit {d['term_limit']} terms"}]
    if rows and rows[-1]["share_won_by_incumbents"] is not None:
        cards.append({"label": f"won by incumbents, cycle {rows[-1]['cycle']}",
                      "value": f"{100 * rows[-1]['share_won_by_incumbents']:.1f}%",
                      "detail": "of races won"})
    return {"d": d, "chart": chart, "lines": [name for name, _ in lines],
            "markers": [legend_marker(i) for i in range(len(lines))], "rows": table,
            "headline": {"cards": cards}, "kind": "cycles",
            "sections": [_section("headline", "At a glance"),
                         _section("cycles", "Cycle by cycle")]}


# -- indirect rounds -------------------------------------------------------------------------
def _quantile(dist: dict[str, int], q: float) -> int:
    """The smallest value with at least ``q`` of the runs at or below it (as the table's
    ``numpy.percentile(method="inverted_cdf")``)."""
    items = sorted((int(v), n) for v, n in dist.items())
    total = sum(n for _, n in items)
    seen = 0
    for v, n in items:
        seen += n
        if seen >= q * total:
            return v
    return items[-1][0]


def round_page(d: dict[str, Any]) -> dict[str, Any]:
    """The page of a simulated indirect round (``d``: :func:`round_dict`)."""
    counts = []
    for name, c in d["counts"].items():
        dist = c["distribution"]
        values = sorted(int(v) for v in dist)
        lo, hi = values[0], values[-1]
        hist = histogram([dist.get(str(v), 0) for v in range(lo, hi + 1)], start=lo - .5,
                         step=1, xlabel=name.replace("_", " "), ylabel="runs",
                         label_id=f"round-{name}-caption", mark=c["published"],
                         mark_label="" if c["published"] is None
                         else f"published {c['published']:,}")
        counts.append({"name": name, "c": c, "hist": hist,
                       "mean": cell(c["mean"], f"{c['mean']:,.2f}"),
                       "published": cell(c["published"], count(c["published"])),
                       **{k: _quantile(dist, q) for k, q in (("p5", .05), ("p50", .5),
                                                             ("p95", .95))}})
    cards = [{"label": "runs", "value": f"{d['runs']:,}", "detail": f"seed {d['seed']}"},
             {"label": "deputies", "value": f"attendance {d['attendance']:g}",
              "detail": f"loyalty to the proposed candidate {d['loyalty']:g}"}]
    return {"d": d, "counts": counts, "headline": {"cards": cards}, "kind": "round",
            "sections": [_section("headline", "At a glance"),
                         _section("round", "Counts per round")]}
