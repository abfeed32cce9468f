"""`saylau audit` rendered: a table for people, JSON for programs, CSV for sheets."""

from __future__ import annotations

import csv
import io
import json
from typing import TYPE_CHECKING

from cli.election import Election
from cli.forensics_render import num

if TYPE_CHECKING:
    from engine.analysis.audit import AuditPlan

__all__ = ["AUDIT_COLUMNS", "audit_rows", "to_csv", "to_json", "to_table"]

AUDIT_COLUMNS = ("race", "winner", "ballots", "margin", "diluted_margin", "bravo",
                 "bravo_against", "comparison", "full_count", "recount")
_LOWER = 2  # BALLOT_BASES[2]: the valid votes, a lower bound of the ballots



# -- audit ------------------------------------------------------------------------------------
def _opponent(e: Election, r: int, code: int) -> str:
    from engine.analysis.audit import OPPONENT_AGAINST_ALL  # the engine when run: start-up

    return "against all" if code == OPPONENT_AGAINST_ALL else e.candidates[r][code]


def audit_rows(e: Election, a: AuditPlan) -> list[dict]:
    from engine.analysis.audit import BALLOT_BASES  # the engine when run: start-up

    res = e.results
    rows = []
    for r, name in enumerate(e.races):
        won = res.winner[r] >= 0
        basis = int(e.ballots_basis[r]) if e.ballots_basis is not None else 0
        lower = {"ballots_basis": BALLOT_BASES[basis]} if basis == _LOWER else {}
        rows.append({
            "race": name,
            "winner": e.candidates[r][res.winner[r]] if won else None,
            "ballots": int(a.ballots[r]) if a.ballots[r] >= 0 else None,
            "margin": int(a.margin[r]) if a.margin[r] >= 0 else None,
            "diluted_margin": num(a.diluted_margin[r]),
            "bravo": int(a.bravo[r]) if a.bravo[r] >= 0 else None,
            "bravo_against": _opponent(e, r, int(a.opponent[r])) if a.bravo[r] >= 0 else None,
            "comparison": int(a.comparison[r]) if a.comparison[r] >= 0 else None,
            "full_count": bool(a.full_count[r]),
            "recount": bool(a.recount[r]),
            **lower,
        })
    return rows


def to_table(e: Election, a: AuditPlan, rows: list[dict]) -> str:
    head = [e.name, f"audit · {e.source} · {_races(len(rows))} · risk limit "
            f"{a.risk_limit:g} · comparison gamma {a.gamma:g} · recount at a margin <= "
            f"{a.recount_votes} vote(s) or <= {a.recount_percent:g}% of valid", ""]
    table = [("race", "winner", "ballots", "margin", "diluted", "BRAVO", "vs", "comparison",
              "recount")]

    def n(x: int | None) -> str:
        return "-" if x is None else f"{x:,}"

    def at_least(x: dict, key: str) -> str:  # a size from a lower bound of the ballots
        return (">=" if "ballots_basis" in x and x[key] is not None else "") + n(x[key])

    for x in rows:
        bravo = at_least(x, "bravo") + (" (full count)" if x["full_count"] else "")
        table.append((x["race"], x["winner"] or "(no winner)", at_least(x, "ballots"),
                      n(x["margin"]),
                      "-" if x["diluted_margin"] is None else f"{100 * x['diluted_margin']:.2f}%",
                      bravo, x["bravo_against"] or "-", at_least(x, "comparison"),
                      "RECOUNT" if x["recount"] else "-"))
    widths = [max(len(r[i]) for r in table) for i in range(len(table[0]))]
    left = {0, 1, 6}
    lines = head + ["  ".join(c.ljust(w) if i in left else c.rjust(w)
                              for i, (c, w) in enumerate(zip(r, widths, strict=True))).rstrip()
                    for r in table]
    audited = [x for x in rows if x["bravo"] is not None]
    lines += ["", f"{_races(len(audited))} to confirm: BRAVO {sum(x['bravo'] for x in audited):,}"
              f" ballots in all, comparison {sum(x['comparison'] for x in audited):,}; "
              f"{sum(x['full_count'] for x in audited):,} need a full hand count; "
              f"{sum(x['recount'] for x in rows):,} flagged for a recount.",
              "BRAVO: the average sample number of ballot polling; comparison: the super-simple "
              "method's sample with no discrepancies found."]
    lower = sum("ballots_basis" in x for x in rows)
    if lower:
        lines.append(f">= ({lower:,} race{'s' * (lower != 1)}): the source gives neither the "
                     "ballots cast nor the invalid ballots, so the ballots are taken as the "
                     "valid votes, a lower bound: the sizes are at least these.")
    return "\n".join(lines) + "\n"


def to_json(e: Election, a: AuditPlan, rows: list[dict], recount_votes: int,
            recount_percent: float, risk_limit: float) -> str:
    return json.dumps({"election": e.name, "source": e.source, "risk_limit": risk_limit,
                       "gamma": a.gamma, "recount_votes": recount_votes,
                       "recount_percent": recount_percent, "races": rows},
                      ensure_ascii=False, indent=1) + "\n"


def to_csv(rows: list[dict]) -> str:
    out = io.StringIO()
    lower = any("ballots_basis" in x for x in rows)
    w = csv.DictWriter(out, fieldnames=AUDIT_COLUMNS + (("ballots_basis",) if lower else ()),
                       lineterminator="\n")
    w.writeheader()
    w.writerows([{k: "" if v is None else v for k, v in x.items()} for x in rows])
    return out.getvalue()


def _races(n: int) -> str:
    """'1 race', '2,457 races'."""
    return f"{n:,} race{'s' * (n != 1)}"
