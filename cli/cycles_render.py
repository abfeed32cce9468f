"""`saylau simulate --cycles` rendered: per cycle, elections held and what became of the akims."""

from __future__ import annotations

import csv
import io
import json
import textwrap
from typing import Any

from cli.simulate_render import source_name
from engine.law.calendar import deadlines
from engine.law.days import on
from engine.simulation.cycle_counts import NO_DAY
from engine.simulation.cycles import EXIT_REASONS, CycleModel, CycleSummary
from engine.simulation.draws import KERNEL
from engine.simulation.setup import Setup

__all__ = ["cycles_csv", "cycles_dict", "cycles_json", "cycles_table"]


# -- multi-cycle runs ------------------------------------------------------------------------
def _share(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def _day(x: int) -> str | None:
    return None if abs(int(x)) == NO_DAY else on(int(x)).isoformat()


def cycles_dict(st: Setup, cs: CycleSummary, cm: CycleModel, seed: int) -> dict[str, Any]:
    """Per cycle: its dates, elections held and what became of the akims (`--cycles`, JSON
    shape)."""
    rows = []
    for c in range(cs.cycles):
        won = int(cs.won[c])
        exits = int(cs.exits[c].sum())
        rows.append({
            "cycle": c + 1,
            "from": _day(cs.starts[c]), "to": _day(cs.starts[c + 1] - 1),
            "early_elections_from": _day(cs.early_first[c]),
            "early_elections_to": _day(cs.early_last[c]),
            "repeats_from": _day(cs.repeat_first[c]), "repeats_to": _day(cs.repeat_last[c]),
            "elections": int(cs.elections[c]), "early_elections": int(cs.early[c]),
            "failed": int(cs.failed[c]), "won": won,
            "sitting_akims": int(cs.sitting[c]), "term_limited": int(cs.term_limited[c]),
            "incumbents_stood": int(cs.stood[c]), "incumbents_won": int(cs.incumbent_won[c]),
            "open_seats": int(cs.open_seats[c]),
            "share_won_by_incumbents": _share(int(cs.incumbent_won[c]), won),
            "repeats": int(cs.repeats[c]),
            "share_open_seats": _share(int(cs.open_seats[c]),
                                       int(cs.elections[c] - cs.repeats[c])),
            "share_leaving_at_limit": _share(int(cs.exits[c, 0]), exits),
            "winners_by_term": {str(k): int(cs.winner_term[c, k])
                                for k in range(1, cs.term_limit + 1)},
            "leaving": {reason: int(cs.exits[c, j]) for j, reason in enumerate(EXIT_REASONS)},
            "leaving_by_terms_served": {str(k): int(cs.exit_served[c, k])
                                        for k in range(1, cs.term_limit + 1)},
            "precincts_with_irregularities": int(cs.fraud_precincts[c]),
        })
    return {
        "election": st.scenario.election.name, "scenario": st.scenario.file,
        "rules": st.rules.name, "runs": cs.runs, "seed": seed, "kernel": KERNEL,
        "races": len(st.races),
        "cycles": cs.cycles, "term_years": cs.term_years, "term_limit": cs.term_limit,
        "timetable": cm.timetable, "first_vote": _day(cs.starts[0]),
        "irregularities": _irregularities(st),
        "incumbent_stands": cm.stand, "incumbency_advantage": cm.advantage,
        "early_termination": cm.early, "calibrated_from": source_name(st.source),
        "per_cycle": rows,
    }


def _irregularities(st: Setup) -> dict[str, float] | None:
    irr = st.model.irregularities
    if irr is None or not irr.active:
        return None
    return {"incremental": irr.incremental, "extreme": irr.extreme, "stuffing": irr.stuffing,
            "switching": irr.switching, "spread": irr.spread}


def cycles_json(st: Setup, cs: CycleSummary, cm: CycleModel, seed: int) -> str:
    return json.dumps(cycles_dict(st, cs, cm, seed), ensure_ascii=False, indent=2) + "\n"


def cycles_csv(st: Setup, cs: CycleSummary, cm: CycleModel, seed: int) -> str:
    d = cycles_dict(st, cs, cm, seed)
    rows = d["per_cycle"]
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    flat = [{k: v for k, v in r.items() if not isinstance(v, dict)}
            | {f"winners_term_{k}": v for k, v in r["winners_by_term"].items()}
            | {f"leaving_{k.replace(' ', '_')}": v for k, v in r["leaving"].items()}
            | {f"leaving_after_{k}_terms": v for k, v in r["leaving_by_terms_served"].items()}
            | {"seed": seed, "kernel": d["kernel"]}
            for r in rows]
    w.writerow(flat[0])
    w.writerows(r.values() for r in flat)
    return buf.getvalue()


def cycles_table(st: Setup, cs: CycleSummary, cm: CycleModel, seed: int) -> str:
    d = cycles_dict(st, cs, cm, seed)

    def pc(x: float | None) -> str:
        return "-" if x is None else f"{100 * x:.1f}%"

    lines = [d["election"],
             f"{d['cycles']} cycles of {d['term_years']}-year terms on the {d['timetable']} "
             f"timetable · {d['runs']:,} runs x {d['races']:,} race{'s' * (d['races'] != 1)} · "
             f"seed {seed} · kernel {d['kernel']}",
             f"an akim the limit does not bar stands again with probability {cm.stand:g};",
             f"incumbency advantage {cm.advantage:g} (log-share); P(a term ends early) "
             f"{cm.early:g}"]
    if (irr := d["irregularities"]) is not None:
        lines.append(f"irregularities: incremental {irr['incremental']:g}, extreme "
                     f"{irr['extreme']:g} of precincts (stuffing {irr['stuffing']:g}, "
                     f"switching {irr['switching']:g})")
    lines += ["",
              f"{'cycle':<6}{'from':<11} {'to':<11}{'elections':>10}{'early':>9}{'failed':>9}"
              f"{'won by':>8}{'open':>7}{'left at':>8}"
              + "".join(f"{'term ' + str(k):>8}" for k in range(1, cs.term_limit + 1)),
              f"{'':<6}{'':<11} {'':<11}{'per run':>10}{'per run':>9}{'per run':>9}"
              f"{'incumb.':>8}{'seats':>7}{'limit':>8}"
              + "".join(f"{'winners':>8}" for _ in range(cs.term_limit))]
    for r in d["per_cycle"]:
        won = r["won"]
        lines.append(
            f"{r['cycle']:<6}{r['from']:<11} {r['to']:<11}{r['elections'] / cs.runs:>10.1f}"
            f"{r['early_elections'] / cs.runs:>9.2f}{r['failed'] / cs.runs:>9.2f}"
            f"{pc(r['share_won_by_incumbents']):>8}{pc(r['share_open_seats']):>7}"
            f"{pc(r['share_leaving_at_limit']):>8}"
            + "".join(f"{pc(_share(v, won)):>8}" for v in r["winners_by_term"].values()))
    lines += ["", "Early elections and repeats (earliest and latest day over all runs):"]
    for r in d["per_cycle"]:
        early = (f"{r['early_elections_from']} to {r['early_elections_to']}"
                 if r["early_elections_from"] else "none")
        rep = f"{r['repeats_from']} to {r['repeats_to']}" if r["repeats_from"] else "none"
        lines.append(f"  cycle {r['cycle']}: early {early}; repeats {rep}"
                     + (f"; precincts with irregularities {r['precincts_with_irregularities']:,}"
                        if d["irregularities"] else ""))
    days_before = deadlines(cm.timetable).term_end_days
    lines += ["", *textwrap.wrap(
        "A cycle runs from one regular vote to the day before the next: each term starts the "
        f"day after the last ends, and its successor's vote is the latest Sunday {days_before} "
        "days before it ends. Won by incumbents: of races won; open seats: of elections other "
        "than repeats (no incumbent on the ballot); left at limit: of akims leaving office; "
        "term k winners: of races won, by the consecutive term the winner starts.", 92), ""]
    return "\n".join(lines)
