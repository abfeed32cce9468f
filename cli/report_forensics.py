"""The forensics section of the replay page: `saylau forensics --format json`'s dict
(:func:`cli.forensics_render.forensics_dict`) with what each test can and cannot show, the
turnout histogram and the fingerprint, each chart beside the table of its numbers."""

from __future__ import annotations

from typing import Any

import numpy as np

from cli.forensics_render import CAVEAT, number_text
from cli.report_charts import heatmap, histogram
from cli.report_render import cell

__all__ = ["COARSE", "WHAT_IT_SHOWS", "forensics_section"]

COARSE = 10  # the fingerprint's table: 10-point cells of turnout and leader's share

# test -> (what it can show, what it cannot): README, "Forensics and audits".
_SHAPE = ("descriptive: long tails and lopsided shapes to look at",
          "nothing by itself (turnout is not normal); no verdict")
WHAT_IT_SHOWS = {
    "integer percentages": ("figures written to order (Kobak et al. 2016)",
                            "added or switched ballots that were counted, not invented"),
    "percentages ending in 0 or 5": ("percentages made up in round numbers",
                                     "rounding to whole percents that are not multiples of 5 "
                                     "(the integer test sees those)"),
    "last digit mean": ("counts made up or rounded by hand",
                        "fraud that keeps honest-looking digits (stuffing, switching); small "
                        "counts lean low, as expected of clean counts"),
    "counts ending in 0 or 5": ("counts made up or rounded by hand",
                                "fraud that keeps honest-looking digits (stuffing, switching)"),
    "turnout dip (unimodality)": ("a second mode: precincts pushed to near-full turnout",
                                  "gradual stuffing that keeps one mode; honest regions of "
                                  "different turnout can make two"),
    "share-turnout slope": ("the leader's share rising with turnout, which stuffed ballots "
                            "cause", "why: honest mobilisation of the leader's voters also "
                            "raises it"),
    "anomalous votes": ("a size, in votes, of what stuffing may have added",
                        "it assumes the peak is clean and the ratio constant with turnout; "
                        "the interval is wide"),
    "second digit mean": ("nothing on its own: descriptive, no verdict",
                          "vote counts need not follow Benford's law"),
    "turnout skewness": _SHAPE, "leader share skewness": _SHAPE,
    "turnout kurtosis": _SHAPE, "leader share kurtosis": _SHAPE,
    "turnout-share correlation (voters)": ("descriptive: whether turnout and the leader's share "
                                           "rise together, weighted by voters",
                                           "why they do; no verdict"),
}


def _test(t: dict[str, Any]) -> dict[str, Any]:
    can, cannot = WHAT_IT_SHOWS.get(t["name"], ("", ""))
    if t["p_value"] is not None:
        evidence = cell(t["p_value"], f"p = {number_text(t['p_value'])}")
    elif t["interval"] is not None:
        lo, hi = t["interval"]
        evidence = {"v": "", "t": f"[{number_text(lo)}, {number_text(hi)}]",
                    "lo": "" if lo is None else repr(lo), "hi": "" if hi is None else repr(hi)}
    else:
        evidence = cell(None, "-")
    return {"t": t, "statistic": cell(t["statistic"], number_text(t["statistic"])),
            "reference": cell(t["reference"], number_text(t["reference"])),
            "evidence": evidence, "n": cell(t["n"], f"{t['n']:,}"),
            "flagged": t["verdict"] == "FLAGGED", "can": can, "cannot": cannot}


def forensics_section(fd: dict[str, Any]) -> dict[str, Any]:
    """The tests, the turnout histogram and the fingerprint of one replay's precincts."""
    voters = np.asarray(fd["fingerprint"]["registered_voters"], dtype=np.int64)
    bins = int(fd["fingerprint"]["bins"])
    by_turnout = voters.sum(axis=1)
    turnout = 100 * fd["cast"] / fd["registered"] if fd["registered"] else None
    step = 100 / bins
    hist = histogram(by_turnout.tolist(), start=0, step=step, xlabel="turnout (%)",
                     ylabel="registered voters", label_id="turnout-histogram-caption",
                     mark=turnout, mark_label="" if turnout is None
                     else f"overall {turnout:.2f}%")
    shown = [(f"{i * step:g}–{(i + 1) * step:g}", int(v)) for i, v in enumerate(by_turnout)]
    group = bins // COARSE if bins % COARSE == 0 else None
    coarse = (voters.reshape(COARSE, group, COARSE, group).sum(axis=(1, 3)).tolist()
              if group else None)
    tests = [_test(t) for t in fd["tests"]]
    verdicts = [t for t in fd["tests"] if t["verdict"] not in ("descriptive",)]
    return {
        "d": fd, "tests": tests, "turnout": turnout,
        "flagged": sum(t["flagged"] for t in tests),
        "judged": sum(t["flagged"] is not None for t in verdicts),
        "tested": len(verdicts),
        "histogram": hist, "histogram_rows": shown,
        "fingerprint": heatmap(voters, xlabel="turnout (%)",
                               ylabel="leader's share of valid votes (%)",
                               label_id="fingerprint-caption"),
        "coarse": coarse, "coarse_step": 100 // COARSE, "caveat": CAVEAT,
        "cells": int((voters > 0).sum()),
    }
