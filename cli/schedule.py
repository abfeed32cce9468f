"""`saylau schedule`: the legal calendar of the next election, for people or for programs."""

from __future__ import annotations

import datetime as dt
import json
import textwrap

import click

from cli.output import UserError, format_option
from engine.errors import ScenarioError
from engine.law import calendar, terms
from engine.law.dates import term_end
from engine.law.rules import preset

__all__ = ["schedule"]

_WIDTHS = (19, 16, 16)  # stage, from, to; the rule column takes the rest of 80
_RULE_WIDTH = 80 - sum(_WIDTHS) - 2 * len(_WIDTHS)
_NOTE = '"N days before the vote": N whole days lie between; local times.'


class _OneLineCommand(click.Command):
    """Reports bad options in one line, without the usage text, even inside a group."""

    def make_context(self, info_name, args, parent=None, **extra):  # type: ignore[no-untyped-def]
        try:
            return super().make_context(info_name, args, parent=parent, **extra)
        except click.UsageError as err:
            raise UserError(err.format_message()) from None


class _IsoDate(click.ParamType):
    name = "DATE"

    def convert(self, value, param, ctx):  # type: ignore[no-untyped-def]
        if isinstance(value, dt.date):
            return value
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            self.fail(f"not a date (YYYY-MM-DD): {value!r}", param, ctx)


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


def _render_table(table: calendar.Timetable, term: terms.Term | None) -> str:
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


def _render_json(table: calendar.Timetable, term: terms.Term | None) -> str:
    basis: dict[str, str] = {}
    if term is not None:
        basis = {"term_start": term.start.isoformat(), "term_end": term.end.isoformat()}
    elif table.terminated is not None:
        basis = {"early_termination": table.terminated.isoformat(),
                 # the legal month for calling; call_by below: the last day for this vote
                 "calling_due_by": table.early_call_by.isoformat()}
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


@click.command(cls=_OneLineCommand)
@click.option("--term-start", type=_IsoDate(), help="First day of the current term.")
@click.option("--early-termination", type=_IsoDate(),
              help="Day the akim's powers ended early.")
@click.option("--vote-date", type=_IsoDate(),
              help="Vote on this day instead of the latest legal Sunday.")
@click.option("--rules", "rules_name", default="kz-2023-district", show_default=True,
              help="Rule set whose deadlines apply.")
@format_option("table", "json")
def schedule(term_start: dt.date | None, early_termination: dt.date | None,
             vote_date: dt.date | None, rules_name: str, fmt: str) -> None:
    """Print the legal calendar of the next election after a term start or an early
    termination."""
    if (term_start is None) == (early_termination is None):
        msg = "give exactly one of --term-start and --early-termination"
        raise UserError(msg)
    try:
        if term_start is not None:
            calendar.deadlines(rules_name)  # an unknown name fails here, as a ScenarioError
            years = preset(rules_name).term_years
            term = terms.Term(start=term_start, end=term_end(term_start, years))
            table = calendar.regular_timetable(term, rules_name, vote=vote_date)
        else:
            term = None
            table = calendar.early_timetable(early_termination, rules_name, vote=vote_date)
    except ScenarioError as err:
        raise UserError(str(err)) from None
    render = _render_json if fmt == "json" else _render_table
    click.echo(render(table, term))
