"""Simulated rounds of indirect (maslikhat) elections rendered: each count's published value,
simulated mean and spread."""

from __future__ import annotations

import json
from typing import Any

import numpy as np

from engine.simulation.indirect import STATISTICS

__all__ = ["counts_lines", "round_csv", "round_dict", "round_json", "round_table"]


# -- indirect rounds -------------------------------------------------------------------------
def counts_lines(counts: Any, published: dict[str, int], names: tuple[str, ...]) -> list[str]:
    """One line per count of a round: published, simulated mean and 5/50/95% of runs."""
    lines = [f"  {'count':<18}{'published':>10}{'mean':>10}{'5%':>8}{'50%':>8}{'95%':>8}"]
    for name in names:
        x = counts.stat(name)
        q = np.percentile(x, [5, 50, 95], method="inverted_cdf")
        pub = published.get(name)
        lines.append(f"  {name.replace('_', ' '):<18}{'-' if pub is None else pub:>10}"
                     f"{x.mean():>10.2f}{q[0]:>8.0f}{q[1]:>8.0f}{q[2]:>8.0f}")
    return lines


def round_dict(ind: Any, counts: Any, seed: int) -> dict[str, Any]:
    """Simulated rounds of indirect elections: each count's mean and distribution."""
    rows = {name: {"published": ind.published.get(name),
                   "mean": float(counts.stat(name).mean()),
                   "distribution": {str(int(v)): int(c) for v, c in zip(
                       *np.unique(counts.stat(name), return_counts=True), strict=True)}}
            for name in STATISTICS}
    return {"election": ind.scenario.election.name, "runs": int(counts.elected.shape[0]),
            "seed": seed, "loyalty": ind.loyalty, "attendance": ind.attendance,
            "persistence": ind.persistence, "counts": rows}


def round_json(ind: Any, counts: Any, seed: int) -> str:
    return json.dumps(round_dict(ind, counts, seed), ensure_ascii=False, indent=2) + "\n"


def round_csv(ind: Any, counts: Any, seed: int) -> str:
    rows = round_dict(ind, counts, seed)["counts"]
    return "count,published,mean\n" + "".join(
        f"{k},{'' if v['published'] is None else v['published']},{v['mean']}\n"
        for k, v in rows.items())


def round_table(ind: Any, counts: Any, seed: int) -> str:
    r, runs = ind.round, int(counts.elected.shape[0])
    lines = [ind.scenario.election.name,
             f"simulation · rules {ind.rules.name} · {runs:,} runs · seed {seed} · "
             f"{r.n_races:,} races in {r.seats.shape[0]:,} maslikhats",
             f"attendance {ind.attendance:g}, loyalty {ind.loyalty:g}, re-vote persistence "
             f"{ind.persistence:g}", "",
             f"Races per round ({runs:,} rounds):",
             *counts_lines(counts, ind.published, STATISTICS), ""]
    return "\n".join(lines)
