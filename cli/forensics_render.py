"""`saylau forensics` rendered: a table for people, JSON for programs, CSV for sheets, and the
fingerprint as a PNG."""

from __future__ import annotations

import csv
import io
import json
import math
import textwrap
from typing import TYPE_CHECKING, Any

import numpy as np

from cli.election import Election
from engine.simulation.draws import KERNEL

if TYPE_CHECKING:
    from collections.abc import Sequence

    from engine.analysis.forensics import Forensics
    from engine.analysis.forensics.findings import Finding

__all__ = ["CAVEAT", "cannot_run", "forensics_dict", "number_text", "plot", "to_csv", "to_json",
           "to_table"]

CAVEAT = ("A flag is a departure from what clean counting tends to produce, not proof of fraud; "
          "no flag is no proof of a clean count (README: Forensics and audits).")



def num(x: float | None) -> float | None:
    """A float for JSON: None for nan or no value."""
    return None if x is None or not math.isfinite(x) else float(x)


def number_text(x: float | None) -> str:
    """A statistic as the table writes it: thousands separators, 4 significant digits."""
    if x is None or not math.isfinite(x):
        return "-"
    if abs(x) >= 1000:
        return f"{x:,.0f}"
    return f"{x:.4g}" if abs(x) >= 0.001 or x == 0 else f"{x:.3e}"


# -- forensics --------------------------------------------------------------------------------
def _counted(fx: Forensics) -> str:
    """The digit tests' precincts, when they are not the turnout tests'."""
    if fx.counted < 0 or fx.counted == fx.precincts:
        return ""
    return f" · {fx.counted:,} with every candidate's count (the digit tests)"


_SHARE_OF = {"valid": "valid votes", "cast": "all ballots in the boxes (valid + invalid)"}


def to_table(e: Election, fx: Forensics) -> str:
    lines = [e.name,
             f"forensics · {e.source} · {fx.precincts:,} precincts ({fx.left_out:,} left out: "
             f"unknown or impossible counts){_counted(fx)} · turnout "
             f"{_share(fx.cast, fx.registered)} · seed {fx.seed} · kernel {KERNEL} · "
             f"alpha {fx.alpha:g}",
             f"turnout of ballots {fx.turnout_basis} over registered voters; the leader's "
             f"share of {_SHARE_OF[fx.share_basis]}", ""]
    rows = [("test", "statistic", "reference", "p / 95% interval", "n", "verdict")]
    for f in fx.findings:
        test = (f"p = {number_text(f.p_value)}" if f.p_value is not None
                else f"[{number_text(f.interval[0])}, {number_text(f.interval[1])}]"
                if f.interval else "-")
        rows.append((f.name, number_text(f.statistic), number_text(f.reference), test,
                     f"{f.n:,}", f.verdict))
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    for r in rows:
        lines.append("  ".join([r[0].ljust(widths[0])]
                               + [c.rjust(w) for c, w in zip(r[1:], widths[1:], strict=True)]))
    notes = _notes(fx.findings)
    if notes:
        lines += ["", *notes]
    tests = [f for f in fx.findings if not f.descriptive]
    cannot = sum(f.cannot for f in tests)
    undecided = sum(f.flagged is None for f in tests) - cannot
    lines += ["", f"{len(fx.flagged)} of {len(tests)} tests flagged"
              + (f"; {undecided} without a verdict (see the notes)" if undecided else "")
              + (f"; {cannot} cannot run on these counts" if cannot else "") + ".", CAVEAT]
    return "\n".join(lines) + "\n"


def _share(part: int, whole: int) -> str:
    return f"{100 * part / whole:.2f}%" if whole > 0 else "-"


def forensics_dict(e: Election, fx: Forensics) -> dict[str, Any]:
    """Every test and the fingerprint as plain JSON-ready data (what `--format json` prints)."""
    return {
        "election": e.name, "source": e.source, "seed": fx.seed, "kernel": KERNEL,
        "alpha": fx.alpha, "turnout_basis": fx.turnout_basis, "share_basis": fx.share_basis,
        "precincts": fx.precincts, "left_out": fx.left_out, "registered": fx.registered,
        "cast": fx.cast, **({"counted": fx.counted} if fx.counted not in (-1, fx.precincts)
                            else {}),
        "tests": [{"name": f.name, "statistic": num(f.statistic),
                   "reference": num(f.reference), "p_value": num(f.p_value),
                   "interval": None if f.interval is None else [num(v) for v in f.interval],
                   "n": f.n, "flagged": f.flagged, "verdict": f.verdict,
                   "note": f.note} for f in fx.findings],
        "fingerprint": {"bins": fx.fingerprint.bins,
                        "rows": "turnout bin i covers [i, i + 1)% (100% in the last)",
                        "columns": "leader's share of valid votes, the same bins",
                        "registered_voters": fx.fingerprint.voters.tolist()},
    }


def to_json(e: Election, fx: Forensics) -> str:
    return json.dumps(forensics_dict(e, fx), ensure_ascii=False, indent=1) + "\n"


def to_csv(fx: Forensics) -> str:
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    w.writerow(["test", "statistic", "reference", "p_value", "low", "high", "n", "flagged",
                "note", "seed", "kernel"])
    for f in fx.findings:
        lo, hi = f.interval if f.interval is not None else (None, None)
        w.writerow([f.name, *(_csv_number(v)
                              for v in (f.statistic, f.reference, f.p_value, lo, hi)),
                    f.n, "" if f.flagged is None else str(f.flagged).lower(), f.note, fx.seed,
                    KERNEL])
    return out.getvalue()


def _csv_number(x: float | None) -> str:
    """A number's cell: its repr, empty for nan or no value."""
    v = num(x)
    return "" if v is None else repr(v)


def plot(e: Election, fx: Forensics) -> bytes:
    """The fingerprint as a heat map (log colour scale), as PNG bytes."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.colors import LogNorm

    v = fx.fingerprint.voters.astype(np.float64)
    fig, ax = plt.subplots(figsize=(6.5, 5.5))
    shown = np.where(v > 0, v, np.nan).T  # rows: share, columns: turnout
    image = ax.imshow(shown, origin="lower", extent=(0, 100, 0, 100), aspect="auto",
                      cmap="viridis", norm=LogNorm(vmin=max(v[v > 0].min(), 1), vmax=v.max())
                      if (v > 0).any() else None)
    fig.colorbar(image, ax=ax, label="registered voters")
    ax.set_xlabel("turnout (%)")
    ax.set_ylabel("leader's share of valid votes (%)")
    ax.set_title(f"{e.name}\n{fx.precincts:,} precincts, {e.source}", fontsize=9)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110, bbox_inches="tight")
    plt.close(fig)
    return buf.getvalue()


def cannot_run(findings: Sequence[Finding]) -> dict[str, list[str]]:
    """The tests that cannot run, by their reason (the note that says why)."""
    why: dict[str, list[str]] = {}
    for f in findings:
        if f.cannot:
            why.setdefault(f.note, []).append(f.name)
    return why


def _notes(findings: Sequence[Finding]) -> list[str]:
    """Each test's note, one line each; tests that cannot run for the same reason share one
    line naming them all (a file without registered voters would say it nine times)."""
    why = cannot_run(findings)
    out, said = [], set()
    for f in findings:
        if not f.note:
            continue
        names = why.get(f.note) if f.cannot else None
        if names is None or len(names) == 1:
            out.append(f"  {f.name}: {f.note}")
        elif f.note not in said:
            said.add(f.note)
            out.append(textwrap.fill(f"{', '.join(names)}: {f.note}", 100,
                                     initial_indent="  ", subsequent_indent="    "))
    return out
