"""`saylau forensics` and `saylau audit`: statistical tests of precinct counts and audit sizes,
on a replayed scenario or on one election drawn from a simulation scenario."""

from __future__ import annotations

import csv
import io
import json
import math

import attrs
import click
import numpy as np

from cli.output import (
    UserError,
    emit,
    format_option,
    output_option,
    require_matplotlib,
    user_errors,
    warn,
)

__all__ = ["audit", "forensics"]

AUDIT_COLUMNS = ("race", "winner", "ballots", "margin", "diluted_margin", "bravo",
                 "bravo_against", "comparison", "full_count", "recount")
CAVEAT = ("A flag is a departure from what clean counting tends to produce, not proof of fraud; "
          "no flag is no proof of a clean count (README: Forensics and audits).")


@attrs.frozen(eq=False)
class _Election:
    """One election, tallied: a replay's, or one drawn from a simulation scenario."""

    name: str
    source: str          # "replay" or "simulation, seed S"
    table: object        # engine.tally.races.PrecinctTable
    results: object      # engine.tally.races.RaceResults
    rules: object
    races: tuple[str, ...]
    candidates: tuple[tuple[str, ...], ...]
    ballots: np.ndarray | None = None  # ballots cast where the replay inferred them


def _election(file: str, seed: int) -> _Election:
    from engine.formats.scenario import load

    scenario = load(file)
    warn(scenario.warnings)
    rules = scenario.election.rules
    if scenario.model is None:
        from engine.analysis.audit import replay_ballots
        from engine.replay.run import precinct_table, replay

        rp = replay(scenario)
        return _Election(name=scenario.election.name, source="replay",
                         table=precinct_table(scenario), results=rp.races, rules=rules,
                         races=tuple(r.name for r in scenario.races),
                         candidates=tuple(tuple(c.name for c in r.candidates)
                                          for r in scenario.races),
                         ballots=replay_ballots(rp))
    if rules.kind == "indirect":
        msg = (f"{scenario.file}: a simulated indirect round has deputies' votes, not precinct "
               "counts; replay the historical file instead")
        raise UserError(msg)
    from engine.analysis.forensics import simulated_election
    from engine.simulation.setup import setup

    st = setup(scenario)
    table, res = simulated_election(st.model, st.rules, seed)
    return _Election(name=scenario.election.name, source=f"simulation, seed {seed}",
                     table=table, results=res, rules=st.rules,
                     races=tuple(r.name for r in st.races),
                     candidates=tuple(r.candidates for r in st.races))


def _num(x: float | None) -> float | None:
    """A float for JSON: None for nan or no value."""
    return None if x is None or not math.isfinite(x) else float(x)


def _fmt(x: float | None) -> str:
    if x is None or not math.isfinite(x):
        return "-"
    if abs(x) >= 1000:
        return f"{x:,.0f}"
    return f"{x:.4g}" if abs(x) >= 0.001 or x == 0 else f"{x:.3e}"


# -- forensics --------------------------------------------------------------------------------
def _forensics_table(e: _Election, fx: object) -> str:
    lines = [e.name,
             f"forensics · {e.source} · {fx.precincts:,} precincts ({fx.left_out:,} left out: "
             f"unknown or impossible counts) · turnout {_share(fx.cast, fx.registered)} · "
             f"seed {fx.seed} · alpha {fx.alpha:g}", ""]
    rows = [("test", "statistic", "reference", "p / 95% interval", "n", "verdict")]
    for f in fx.findings:
        test = (f"p = {_fmt(f.p_value)}" if f.p_value is not None
                else f"[{_fmt(f.interval[0])}, {_fmt(f.interval[1])}]" if f.interval else "-")
        rows.append((f.name, _fmt(f.statistic), _fmt(f.reference), test, f"{f.n:,}",
                     f.verdict))
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    for r in rows:
        lines.append("  ".join([r[0].ljust(widths[0])]
                               + [c.rjust(w) for c, w in zip(r[1:], widths[1:], strict=True)]))
    notes = [f"  {f.name}: {f.note}" for f in fx.findings if f.note]
    if notes:
        lines += ["", *notes]
    tests = [f for f in fx.findings if not f.descriptive]
    undecided = sum(f.flagged is None for f in tests)
    lines += ["", f"{len(fx.flagged)} of {len(tests)} tests flagged"
              + (f"; {undecided} without a verdict (see the notes)." if undecided else "."),
              CAVEAT]
    return "\n".join(lines) + "\n"


def _share(part: int, whole: int) -> str:
    return f"{100 * part / whole:.2f}%" if whole > 0 else "-"


def _forensics_json(e: _Election, fx: object) -> str:
    doc = {
        "election": e.name, "source": e.source, "seed": fx.seed, "alpha": fx.alpha,
        "precincts": fx.precincts, "left_out": fx.left_out, "registered": fx.registered,
        "cast": fx.cast,
        "tests": [{"name": f.name, "statistic": _num(f.statistic),
                   "reference": _num(f.reference), "p_value": _num(f.p_value),
                   "interval": None if f.interval is None else [_num(v) for v in f.interval],
                   "n": f.n, "flagged": f.flagged, "verdict": f.verdict,
                   "note": f.note} for f in fx.findings],
        "fingerprint": {"bins": fx.fingerprint.bins,
                        "rows": "turnout bin i covers [i, i + 1)% (100% in the last)",
                        "columns": "leader's share of valid votes, the same bins",
                        "registered_voters": fx.fingerprint.voters.tolist()},
    }
    return json.dumps(doc, ensure_ascii=False, indent=1) + "\n"


def _forensics_csv(fx: object) -> str:
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    w.writerow(["test", "statistic", "reference", "p_value", "low", "high", "n", "flagged",
                "note"])
    for f in fx.findings:
        lo, hi = f.interval if f.interval is not None else (None, None)
        w.writerow([f.name, *("" if _num(v) is None else repr(float(v))
                              for v in (f.statistic, f.reference, f.p_value, lo, hi)),
                    f.n, "" if f.flagged is None else str(f.flagged).lower(), f.note])
    return out.getvalue()


def _plot(e: _Election, fx: object) -> bytes:
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


@click.command()
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--plot", "plot_path", type=click.Path(dir_okay=False), default=None,
              help="also draw the turnout x leader-share fingerprint to this PNG")
@format_option("table", "json", "csv")
@output_option
@click.option("--seed", type=click.IntRange(min=0), default=0, show_default=True,
              help="fixes the Monte-Carlo null, the bootstraps and a simulated election")
@user_errors
def forensics(file: str, plot_path: str | None, fmt: str, output: str | None,
              seed: int) -> None:
    """Statistical tests of FILE's precinct counts: fingerprint, integer percentages, digits,
    shape, turnout against the leader. A simulation scenario is drawn once (--seed)."""
    from engine.analysis.forensics import examine, precincts_of

    if plot_path is not None:
        require_matplotlib()
    e = _election(file, seed)
    fx = examine(precincts_of(e.table, e.results), seed)
    if plot_path is not None:  # written first: a plot that cannot be written stops it all
        emit(_plot(e, fx), plot_path)
    text = (_forensics_table(e, fx) if fmt == "table" else _forensics_json(e, fx)
            if fmt == "json" else _forensics_csv(fx))
    emit(text, output)


# -- audit ------------------------------------------------------------------------------------
def _opponent(e: _Election, r: int, code: int) -> str:
    from engine.analysis.audit import OPPONENT_AGAINST_ALL

    return "against all" if code == OPPONENT_AGAINST_ALL else e.candidates[r][code]


def _audit_rows(e: _Election, a: object) -> list[dict]:
    res = e.results
    rows = []
    for r, name in enumerate(e.races):
        won = res.winner[r] >= 0
        rows.append({
            "race": name,
            "winner": e.candidates[r][res.winner[r]] if won else None,
            "ballots": int(a.ballots[r]) if a.ballots[r] >= 0 else None,
            "margin": int(a.margin[r]) if a.margin[r] >= 0 else None,
            "diluted_margin": _num(a.diluted_margin[r]),
            "bravo": int(a.bravo[r]) if a.bravo[r] >= 0 else None,
            "bravo_against": _opponent(e, r, int(a.opponent[r])) if a.bravo[r] >= 0 else None,
            "comparison": int(a.comparison[r]) if a.comparison[r] >= 0 else None,
            "full_count": bool(a.full_count[r]),
            "recount": bool(a.recount[r]),
        })
    return rows


def _audit_table(e: _Election, a: object, rows: list[dict]) -> str:
    head = [e.name, f"audit · {e.source} · {len(rows):,} races · risk limit "
            f"{a.risk_limit:g} · comparison gamma {a.gamma:g} · recount at a margin <= "
            f"{a.recount_votes} vote(s) or <= {a.recount_percent:g}% of valid", ""]
    table = [("race", "winner", "ballots", "margin", "diluted", "BRAVO", "vs", "comparison",
              "recount")]

    def n(x: int | None) -> str:
        return "-" if x is None else f"{x:,}"

    for x in rows:
        bravo = n(x["bravo"]) + (" (full count)" if x["full_count"] else "")
        table.append((x["race"], x["winner"] or "(no winner)", n(x["ballots"]), n(x["margin"]),
                      "-" if x["diluted_margin"] is None else f"{100 * x['diluted_margin']:.2f}%",
                      bravo, x["bravo_against"] or "-", n(x["comparison"]),
                      "RECOUNT" if x["recount"] else "-"))
    widths = [max(len(r[i]) for r in table) for i in range(len(table[0]))]
    left = {0, 1, 6}
    lines = head + ["  ".join(c.ljust(w) if i in left else c.rjust(w)
                              for i, (c, w) in enumerate(zip(r, widths, strict=True))).rstrip()
                    for r in table]
    audited = [x for x in rows if x["bravo"] is not None]
    lines += ["", f"{len(audited):,} races to confirm: BRAVO {sum(x['bravo'] for x in audited):,}"
              f" ballots in all, comparison {sum(x['comparison'] for x in audited):,}; "
              f"{sum(x['full_count'] for x in audited):,} need a full hand count; "
              f"{sum(x['recount'] for x in rows):,} flagged for a recount.",
              "BRAVO: the average sample number of ballot polling; comparison: the super-simple "
              "method's sample with no discrepancies found."]
    return "\n".join(lines) + "\n"


@click.command()
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--risk-limit", type=float, default=0.05, show_default=True,
              help="the largest chance of confirming a wrong winner, in (0, 1)")
@click.option("--recount-votes", type=int, default=1, show_default=True,
              help="flag a race for a recount at a margin of at most this many votes")
@click.option("--recount-percent", type=float, default=0.5, show_default=True,
              help="... or of at most this percentage of valid votes")
@format_option("table", "json", "csv")
@output_option
@click.option("--seed", type=click.IntRange(min=0), default=0, show_default=True,
              help="the simulated election of a simulation scenario")
@user_errors
def audit(file: str, risk_limit: float, recount_votes: int, recount_percent: float, fmt: str,
          output: str | None, seed: int) -> None:
    """Risk-limiting audit sizes of FILE's races (BRAVO ballot polling, super-simple
    comparison) and recount flags for close margins."""
    from engine.analysis.audit import plan

    if not 0 < risk_limit < 1:
        msg = f"--risk-limit: must be in (0, 1), got {risk_limit:g}"
        raise UserError(msg)
    if recount_votes < 0 or not 0 <= recount_percent <= 100:
        msg = (f"--recount-votes must be >= 0 and --recount-percent in [0, 100], got "
               f"{recount_votes} and {recount_percent:g}")
        raise UserError(msg)
    e = _election(file, seed)
    a = plan(e.results, e.rules, risk_limit=risk_limit, ballots=e.ballots,
             recount_votes=recount_votes, recount_percent=recount_percent)
    rows = _audit_rows(e, a)
    if fmt == "table":
        text = _audit_table(e, a, rows)
    elif fmt == "json":
        text = json.dumps({"election": e.name, "source": e.source, "risk_limit": risk_limit,
                           "gamma": a.gamma, "recount_votes": recount_votes,
                           "recount_percent": recount_percent, "races": rows},
                          ensure_ascii=False, indent=1) + "\n"
    else:
        out = io.StringIO()
        w = csv.DictWriter(out, fieldnames=AUDIT_COLUMNS, lineterminator="\n")
        w.writeheader()
        w.writerows([{k: "" if v is None else v for k, v in x.items()} for x in rows])
        text = out.getvalue()
    emit(text, output)
