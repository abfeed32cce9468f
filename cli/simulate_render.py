"""Render a simulation for people (table), programs (JSON), spreadsheets (CSV) and eyes (PNG).

Every figure derives from the exact integer counts of :class:`engine.simulation.summary.Summary`;
the JSON keeps the counts beside the probabilities, so a reader can recompute any of them.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

import numpy as np

from engine.law.rules import FAILED_OUTCOMES, Outcome
from engine.simulation.draws import KERNEL
from engine.simulation.histograms import QUANTILES
from engine.simulation.setup import Setup
from engine.simulation.summary import Summary, wilson

__all__ = ["plot", "simulation_dict", "source_name", "to_csv", "to_json", "to_table"]

# Races shown one block each in the table; more are listed one line each.
DETAILED_RACES = 12
_Q = [f"p{round(100 * q)}" for q in QUANTILES]  # "p5", "p50", "p95"


def _p(count: int, runs: int) -> float:
    return count / runs


def _quantiles(values: np.ndarray, digits: int | None = None) -> dict[str, Any]:
    return {k: (int(v) if digits is None else round(float(v), digits))
            for k, v in zip(_Q, values, strict=True)}


def simulation_dict(st: Setup, sm: Summary, seed: int) -> dict[str, Any]:
    """The simulation as plain JSON-ready data (what `saylau simulate --format json` prints)."""
    runs = sm.runs
    interval = sm.win_interval
    turnout = sm.turnout_quantiles()
    margin = sm.margin_quantiles()
    points = sm.margin_points_quantiles()
    races = []
    for r, race in enumerate(st.races):
        n = len(race.candidates)
        races.append({
            "id": race.id, "name": race.name, "area": list(race.area),
            "registered": race.registered, "precincts": race.precincts,
            "model": {"turnout": round(race.turnout, 6),
                      "invalid_rate": round(race.invalid_rate, 6),
                      "shares": [round(x, 6) for x in race.shares[:-1]],
                      "against_all_share": round(race.shares[-1], 6),
                      "turnout_concentration": _num(st.model.turnout_concentration[r]),
                      "share_concentration": _num(st.model.share_concentration[r]),
                      "swing_sd": float(st.model.swing_sd[r]), "means": race.basis},
            "candidates": [{"name": race.candidates[j], "party": race.parties[j],
                            "wins": int(sm.win_count[r, j]),
                            "p_win": _p(sm.win_count[r, j], runs),
                            "p_win_95": [round(float(x), 6) for x in interval[r, j]]}
                           for j in range(n)],
            "outcomes": {o.label: int(sm.outcome_count[r, o]) for o in Outcome
                         if sm.outcome_count[r, o]},
            "p_tie": _p(sm.tie_count[r], runs),
            "p_failed": _p(int(sm.outcome_count[r, list(FAILED_OUTCOMES)].sum()), runs),
            "p_against_all_top": _p(sm.against_all_top[r], runs),
            "p_margin_le_1": _p(sm.margin_le_1[r], runs),
            "p_margin_le_10": _p(sm.margin_le_10[r], runs),
            "p_margin_le_1pct": _p(sm.margin_le_1pct[r], runs),
            "turnout_percent": _quantiles(100 * turnout[r], 2),
            "margin_votes": _quantiles(margin[r]),
            "margin_points": _quantiles(points[r], 2),
        })
    return {
        "election": st.scenario.election.name,
        "scenario": st.scenario.file,
        **st.rules.entry(),
        "runs": runs,
        "seed": seed,
        "kernel": KERNEL,  # the same seed gives the same bytes on the same kernel
        "calibrated_from": source_name(st.source),
        "races": races,
        "areas": _areas(st, sm),
    }


def source_name(path: str | None) -> str | None:
    """A file by its name: the output must not depend on the working directory."""
    return None if path is None else Path(path).name


def _num(x: float) -> float | str:
    return "inf" if np.isinf(x) else float(x)


def _areas(st: Setup, sm: Summary) -> list[dict[str, Any]]:
    g, h = st.grouping, sm.area_counts
    if h is None:
        return []
    cols = g.columns
    quant = h.quantiles()
    totals = np.bincount(g.area_of, minlength=len(g.paths))
    out = []
    for a, path in enumerate(g.paths):
        rows = []
        for c, name in enumerate(cols):
            row = a * len(cols) + c
            values, counts = h.row(row)
            if not values.any():
                continue  # never won a race here
            rows.append({"name": name,
                         "mean": round(float(values @ counts) / sm.runs, 4),
                         **_quantiles(quant[row]),
                         "distribution": {str(int(v)): int(n) for v, n in
                                          zip(values, counts, strict=True)}})
        # parties by the races they win (stable: ties keep the file's order), then the rest
        parties = sorted((c for c in rows if c["name"] not in cols[-2:]),
                         key=lambda c: -c["mean"])
        rows = parties + [c for c in rows if c["name"] in cols[-2:]]
        out.append({"path": list(path), "races": int(totals[a]), "counts": rows})
    return out


def to_json(st: Setup, sm: Summary, seed: int) -> str:
    return json.dumps(simulation_dict(st, sm, seed), ensure_ascii=False, indent=2) + "\n"


def to_csv(st: Setup, sm: Summary, seed: int) -> str:
    """One row per race and candidate."""
    d = simulation_dict(st, sm, seed)
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["race_id", "race", "area", "candidate", "party", "wins", "runs", "p_win",
                "p_win_low", "p_win_high", "p_tie", "p_failed", "p_against_all_top",
                "p_margin_le_1", "p_margin_le_10", "p_margin_le_1pct",
                *(f"turnout_{q}" for q in _Q), *(f"margin_votes_{q}" for q in _Q), "seed",
                "kernel"])
    for r in d["races"]:
        for c in r["candidates"]:
            w.writerow([r["id"], r["name"], " / ".join(r["area"]), c["name"], c["party"],
                        c["wins"], d["runs"], c["p_win"], *c["p_win_95"], r["p_tie"],
                        r["p_failed"], r["p_against_all_top"], r["p_margin_le_1"],
                        r["p_margin_le_10"], r["p_margin_le_1pct"],
                        *r["turnout_percent"].values(), *r["margin_votes"].values(),
                        d["seed"], d["kernel"]])
    return buf.getvalue()


def _pc(p: float) -> str:
    """A probability as a 7-wide percentage: '100.00%', ' 12.50%'."""
    return f"{100 * p:6.2f}%"


def to_table(st: Setup, sm: Summary, seed: int) -> str:
    d = simulation_dict(st, sm, seed)
    nation = st.scenario.election.nation
    lines = [d["election"],
             f"simulation · rules {st.rules.label} · {d['runs']:,} runs · seed {seed} · "
             f"kernel {d['kernel']} · "
             f"{len(d['races'])} race{'s' * (len(d['races']) != 1)}",
             *([f"calibrated from {d['calibrated_from']}"] if st.source else []), ""]
    if len(d["races"]) <= DETAILED_RACES:
        for r in d["races"]:
            lines += _race_block(r, d["runs"])
    else:
        lines += _race_lines(d["races"])
    if len(d["areas"]) > 0 and (len(d["races"]) > 1 or len(st.grouping.parties) > 1):
        lines += ["Races won per area: mean, and 5% / 50% / 95% of runs"]
        for a in d["areas"]:
            name = a["path"][-1] if a["path"] else nation
            lines.append(f"  {name} ({a['races']} race{'s' * (a['races'] != 1)})")
            for c in a["counts"]:
                lines.append(f"    {c['name'][:40]:<40} {c['mean']:>9.2f}   "
                             f"{c['p5']:>6} {c['p50']:>6} {c['p95']:>6}")
        lines.append("")
    return "\n".join(lines)


def _race_block(r: dict[str, Any], runs: int) -> list[str]:
    area = f" ({' / '.join(r['area'])})" if r["area"] else ""
    m = r["model"]
    out = [f"{r['name']}{area}",
           f"  {r['registered']:,} registered in {r['precincts']:,} precinct"
           f"{'s' * (r['precincts'] != 1)}; mean turnout {100 * m['turnout']:.2f}%, "
           f"means {m['means']}",
           f"  {'option':<28} {'party':<22} {'mean share':>10} {'P(win)':>8}   95% interval"]
    for c, share in zip(r["candidates"], m["shares"], strict=True):
        lo, hi = c["p_win_95"]
        out.append(f"  {c['name'][:28]:<28} {c['party'][:22]:<22} {100 * share:9.2f}% "
                   f"{_pc(c['p_win'])}   {100 * lo:.2f}-{100 * hi:.2f}")
    out.append(f"  {'against all':<28} {'':<22} {100 * m['against_all_share']:9.2f}%")
    t, mv, mp = r["turnout_percent"], r["margin_votes"], r["margin_points"]
    out += [
        "  outcomes      " + ", ".join(f"{k} {_pc(v / runs).strip()}"
                                       for k, v in r["outcomes"].items()),
        f"  P(tie) {_pc(r['p_tie']).strip()}   P(against all above every candidate) "
        f"{_pc(r['p_against_all_top']).strip()}",
        f"  turnout       {t['p5']:.2f}% / {t['p50']:.2f}% / {t['p95']:.2f}%  (5/50/95%)",
        f"  margin        {mv['p5']:,} / {mv['p50']:,} / {mv['p95']:,} votes;  "
        f"{mp['p5']:.2f} / {mp['p50']:.2f} / {mp['p95']:.2f} points",
        f"  P(margin <= 1 vote) {_pc(r['p_margin_le_1']).strip()}   <= 10 votes "
        f"{_pc(r['p_margin_le_10']).strip()}   <= 1% of valid "
        f"{_pc(r['p_margin_le_1pct']).strip()}",
        "",
    ]
    return out


def _race_lines(races: list[dict[str, Any]]) -> list[str]:
    """One line per race (80 columns): the favourite and how the race can go wrong."""
    out = [f"{'race':<20} {'favourite':<21} {'P(win)':>7} {'P(fail)':>7} {'P(tie)':>7} "
           f"{'margin':>6} {'<=10':>6}",
           f"{'':<20} {'':<21} {'':>7} {'':>7} {'':>7} {'p50':>6} {'votes':>6}"]
    for r in races:
        best = max(r["candidates"], key=lambda c: c["wins"])
        who = best["name"] if best["party"] in best["name"] else f"{best['name']}, {best['party']}"
        out.append(f"{r['name'][:20]:<20} {who[:21]:<21} {_pc(best['p_win'])} "
                   f"{_pc(r['p_failed'])} {_pc(r['p_tie'])} {r['margin_votes']['p50']:>6,} "
                   f"{100 * r['p_margin_le_10']:>5.1f}%")
    return [*out, ""]


def plot(st: Setup, sm: Summary) -> bytes:
    """Win probabilities (with 95% intervals) and margin distributions, as PNG bytes."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    races = st.races[:DETAILED_RACES]
    fig, (left, right) = plt.subplots(1, 2, figsize=(13, 0.5 + 0.45 * max(
        8, sum(len(r.candidates) for r in races))))
    labels, p, err = [], [], []
    interval = wilson(sm.win_count, sm.runs)
    for i, race in enumerate(races):
        for j, name in enumerate(race.candidates):
            labels.append(f"{race.name}: {name}" if len(races) > 1 else name)
            p.append(sm.win_count[i, j] / sm.runs)
            err.append((p[-1] - interval[i, j, 0], interval[i, j, 1] - p[-1]))
    y = np.arange(len(labels))[::-1]
    left.barh(y, p, xerr=np.array(err).T, color="#4477aa", capsize=2)
    left.set_yticks(y, labels, fontsize=8)
    left.set_xlim(0, 1)
    left.set_xlabel("P(win), 95% interval")
    for i, race in enumerate(races):
        values, counts = sm.margin.row(i)
        right.step(values, np.cumsum(counts) / sm.runs, where="post", label=race.name)
    right.set_xlabel("margin (votes)")
    right.set_ylabel("share of runs with at most this margin")
    right.set_ylim(0, 1)
    if len(races) > 1:
        right.legend(fontsize=7)
    more = (f" (first {DETAILED_RACES} of {len(st.races)} races)"
            if len(st.races) > len(races) else "")
    fig.suptitle(f"{st.scenario.election.name}: {sm.runs:,} runs{more}")
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110, metadata={"Software": None})
    plt.close(fig)
    return buf.getvalue()
