"""`saylau calibrate` rendered: the fitted parameters with their 95% region, the counts at the
fit beside the published ones, how much the re-vote's persistence adds, the model check, and
what the published counts cannot pin down."""

from __future__ import annotations

import json
import math
import textwrap
from typing import Any

import numpy as np

from cli.rounds_render import counts_lines

__all__ = ["cannot_identify", "to_dict", "to_json", "to_table", "verdict"]


def _span(span: tuple[float, float], ends: tuple[bool, bool]) -> str:
    lo, hi = span
    if math.isnan(lo):
        return "none"
    return f"{lo:.3f}{'-' if ends[0] else ' '} - {hi:.3f}{'+' if ends[1] else ''}"


def cannot_identify(fit: Any) -> list[str]:
    """One sentence per parameter the published counts leave open on a side of its 95% region
    (all parameters together), with what its nested fits say of it on its own."""
    out = []
    for p in fit.parameters:
        lo, hi = fit.bounds[p]
        low, high = fit.open_ends[p]
        a, b = fit.region[p]
        if low and high:
            text = (f"{p}: jointly with the others any value from {lo:g} to {hi:g} (the whole "
                    "search range) is in the 95% region")
        elif high:
            text = (f"{p}: bounded below ({a:.3f}) but not above: every value up to {hi:g} is "
                    "in the 95% region")
        elif low:
            text = (f"{p}: bounded above ({b:.3f}) but not below: every value down to {lo:g} "
                    "is in the 95% region")
        else:
            continue
        for n in fit.restricted:
            if n.parameter == p:
                text += (f"; on its own (the others at their best) {p} = {n.value:g} is "
                         + ("rejected" if n.p_value < 0.05 else "not rejected")
                         + f" (p = {n.p_value:.3f})")
        out.append(text)
    return out


def verdict(fit: Any, check: Any) -> list[str]:
    """Whether the model fits, in sentences with the figures."""
    lines = []
    k, p = len(fit.targets), len(fit.parameters)
    if fit.fit_critical is None:
        lines.append(f"{k} published counts, {p} fitted parameters: the fit can match them, so "
                     f"its distance ({fit.distance:.2f}) tests nothing; the model check below "
                     "is the test.")
    else:
        holds = fit.distance <= fit.fit_critical
        lines.append(f"distance {fit.distance:.2f} against the fit test's 95% point "
                     f"{fit.fit_critical:.2f} (chi-square, {fit.fit_df} degree"
                     f"{'s' * (fit.fit_df != 1)}): the model "
                     + ("fits." if holds else "does not fit."))
    for n in fit.restricted:
        at = ", ".join(f"{k} {v:.3f}" for k, v in n.point.items())
        means = ", ".join(f"{v:,.2f} {k.replace('_', ' ')}" for k, v in n.means.items())
        lines.append(f"With {n.parameter} held at {n.value:g} the best distance is "
                     f"{n.distance:.2f} ({at}: {means} a round), {n.distance - fit.distance:.2f} "
                     f"worse than the fit (p = {n.p_value:.3f}): the data "
                     + ("reject" if n.p_value < 0.05 else "do not reject")
                     + f" {n.parameter} = {n.value:g} at 5%.")
    outside = [r for r in check.rows if not r.inside]
    if outside:
        lines.append("Outside the central 90% of the fitted model's rounds: "
                     + ", ".join(f"{r.figure.replace('_', ' ')} ({r.published:,})"
                                 for r in outside) + ".")
    else:
        lines.append("Every published figure lies in the central 90% of the fitted model's "
                     "rounds.")
    return lines


def _row_dict(r: Any) -> dict[str, Any]:
    return {"figure": r.figure, "published": r.published, "statistic": r.statistic,
            "relation": r.relation, "fitted": r.fitted, "mean": r.mean,
            "q05": r.quantiles[0], "q50": r.quantiles[1], "q95": r.quantiles[2],
            "share_below": r.below, "share_at_or_below": r.at_or_below,
            "inside_central_90": r.inside, "note": r.note}


def to_dict(fit: Any, check: Any, ind: Any) -> dict[str, Any]:
    return {
        "election": ind.scenario.election.name, "scenario": ind.scenario.file,
        "rules": ind.rules.name, "runs_per_trial": fit.runs, "seed": fit.seed,
        "trials": int(fit.grid.shape[0]), "trials_in_region": fit.inside,
        "fitted": fit.point, "held": fit.fixed,
        "search_bounds": {k: list(v) for k, v in fit.bounds.items()},
        "region_95": {k: list(v) for k, v in fit.region.items()},
        "region_reaches_bound": {k: list(v) for k, v in fit.open_ends.items()},
        "distance": fit.distance, "critical_95": fit.critical,
        "fit_degrees_of_freedom": fit.fit_df, "fit_critical_95": fit.fit_critical,
        "restricted": [{"parameter": n.parameter, "held_at": n.value,
                        "distance": n.distance, "p_value": n.p_value, "fitted": n.point,
                        "simulated_means": n.means} for n in fit.restricted],
        "targets": {name: {"published": value,
                           "simulated": {str(int(v)): int(c) for v, c in
                                         zip(*np.unique(fit.counts.stat(name),
                                                        return_counts=True), strict=True)}}
                    for name, value in fit.targets.items()},
        "model_check": {"runs": check.runs, "seed": fit.seed,
                        "rows": [_row_dict(r) for r in check.rows]},
        "verdict": verdict(fit, check),
        "cannot_identify": cannot_identify(fit),
    }


def to_json(fit: Any, check: Any, ind: Any) -> str:
    return json.dumps(to_dict(fit, check, ind), ensure_ascii=False, indent=2) + "\n"


def _check_lines(check: Any) -> list[str]:
    lines = [f"  {'figure':<24}{'published':>10}{'mean':>10}{'5%':>7}{'50%':>7}{'95%':>7}"
             f"{'below':>8}{'at/below':>9}  in 90%"]
    for r in check.rows:
        if r.relation == "at most":
            continue
        name = r.figure.replace("_", " ") + (" *" if r.fitted else "")
        lines.append(f"  {name:<24}{r.published:>10,}{r.mean:>10.2f}{r.quantiles[0]:>7,}"
                     f"{r.quantiles[1]:>7,}{r.quantiles[2]:>7,}{100 * r.below:>7.1f}%"
                     f"{100 * r.at_or_below:>8.1f}%  {'yes' if r.inside else 'NO'}")
    lines += ["  * fitted. below, at/below: the shares of rounds whose count is below, at or below",
              "  the published one (the published figure's quantile lies between the two)."]
    for r in check.rows:
        if r.relation == "at most":
            reach = 100 * (1 - r.below)
            lines += textwrap.wrap(
                f"{r.figure.replace('_', ' ')} {r.published:,} <= "
                f"{r.statistic.replace('_', ' ')}: mean {r.mean:,.2f}, 5-95% "
                f"{r.quantiles[0]:,}-{r.quantiles[2]:,}; holds in {reach:.1f}% of rounds; so "
                f"the sitting akim was proposed first in at least {r.published:,} of the "
                f"{r.mean:,.0f} races the first proposed won ({100 * r.published / r.mean:.1f}%)"
                if r.mean else "", 96, initial_indent="  ", subsequent_indent="    ")
    for r in check.rows:
        if r.note:
            lines += textwrap.wrap(f"{r.figure.replace('_', ' ')}: {r.note}.", 96,
                                   initial_indent="  ", subsequent_indent="    ")
    return lines


def to_table(fit: Any, check: Any, ind: Any) -> str:
    r = ind.round
    lines = [ind.scenario.election.name,
             f"method of simulated moments · rules {ind.rules.name}",
             f"{r.n_races:,} races in {r.seats.shape[0]:,} maslikhats of "
             f"{int(r.seats.sum()):,} deputies",
             f"{fit.grid.shape[0]} trials of {fit.runs} simulated rounds each, all on the same "
             f"uniforms (seed {fit.seed}); {fit.inside} not rejected", "",
             f"  {'parameter':<14}{'fitted':>8}   95% region (all parameters together)"]
    for p in fit.parameters:
        lines.append(f"  {p:<14}{fit.point[p]:>8.3f}   {_span(fit.region[p], fit.open_ends[p])}")
    if fit.fixed:
        lines.append("  held: " + ", ".join(f"{k} {v:g}" for k, v in fit.fixed.items()))
    lines += ["  - / +: the region reaches the search bound: the counts do not bound it there",
              "", f"At the fit ({fit.runs} rounds, on the fit's own uniforms):",
              *counts_lines(fit.counts, ind.published, tuple(fit.targets)), "",
              f"The region keeps the trials whose distance is at most {fit.critical:.2f} "
              f"(chi-square, {len(fit.targets)} degrees, 95%).",
              *(w for v in verdict(fit, check) for w in textwrap.wrap(v, 96)), "",
              f"Model check: {check.runs:,} rounds at the fit, drawn apart from the fit's "
              "uniforms",
              *_check_lines(check), ""]
    unknown = cannot_identify(fit)
    if unknown:
        lines += ["What the published counts cannot identify:",
                  *(w for u in unknown for w in textwrap.wrap(u, 96, initial_indent="  ",
                                                               subsequent_indent="    ")), ""]
    return "\n".join(lines)
