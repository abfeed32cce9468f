"""`saylau schedule` rendered: the stages of an election's timetable as a table or as JSON."""

from __future__ import annotations

import datetime as dt
import json
import textwrap

from engine.law import calendar, terms

__all__ = ["to_json", "to_table"]

_WIDTHS = (19, 16, 16)  # stage, from, to; the rule column takes the rest of 80

_RULE_WIDTH = 80 - sum(_WIDTHS) - 2 * len(_WIDTHS)

_NOTE = '"N days before the vote": N whole days lie between; local times.'


def _show(value: dt.date | dt.datetime) -> str:
    return f"{value:%Y-%m-%d %H:%M}" if isinstance(value, dt.datetime) else value.isoformat()


def _iso(value: dt.date | dt.datetime) -> str:
    if isinstance(value, dt.datetime):
        return value.isoformat(timespec="minutes")
    return value.isoformat()


def _heading(table: calendar.Timetable, term: terms.Term | None) -> list[str]:
    if term is not None:
        lines = [f"Regular election under {table.rules}: term {term.start} to {term.end}"]
    elif table.terminated is not None:
        lines = [f"Early election under {table.rules}: powers ended {table.terminated}",
                 f"Calling due by {table.early_call_by} (within a month); for this vote, "
                 f"by {table.call_by}"]
    else:  # pragma: no cover - the command always passes a term or a termination
        lines = [f"Election under {table.rules}"]
    if table.vote_by is not None:
        lines.append(f"Vote due by {table.vote_by}; vote on {table.vote_date} "
                     f"({table.vote_date:%A})")
    return lines


def to_table(table: calendar.Timetable, term: terms.Term | None) -> str:
    rows = [("stage", "from", "to", "rule")]
    rows += [(name.replace("_", " "), _show(s.start), _show(s.end), s.rule)
             for name, s in table.stages()]
    lines = [*_heading(table, term), ""]
    for stage, start, end, rule in rows:
        wrapped = textwrap.wrap(rule, _RULE_WIDTH) or [""]
        cells = (stage, start, end)
        lines.append("  ".join(c.ljust(w) for c, w in zip(cells, _WIDTHS, strict=True))
                     + "  " + wrapped[0])
        pad = " " * (sum(_WIDTHS) + 2 * len(_WIDTHS))
        lines += [pad + more for more in wrapped[1:]]
    lines += ["", _NOTE]
    return "\n".join(line.rstrip() for line in lines)


def to_json(table: calendar.Timetable, term: terms.Term | None) -> str:
    basis: dict[str, str] = {}
    if term is not None:
        basis = {"term_start": term.start.isoformat(), "term_end": term.end.isoformat()}
    elif table.terminated is not None:
        calling_due_by = table.early_call_by
        assert calling_due_by is not None  # known whenever the termination is
        basis = {"early_termination": table.terminated.isoformat(),
                 # the legal month for calling; call_by below: the last day for this vote
                 "calling_due_by": calling_due_by.isoformat()}
    data = {
        "rules": table.rules,
        **basis,
        "call_by": table.call_by.isoformat(),
        "vote_by": table.vote_by.isoformat() if table.vote_by else None,
        "vote_date": table.vote_date.isoformat(),
        "stages": {name: {"from": _iso(s.start), "to": _iso(s.end), "rule": s.rule}
                   for name, s in table.stages()},
    }
    return json.dumps(data, indent=2, ensure_ascii=False)
