"""`saylau schedule`: the legal calendar of the next election, for people or for programs."""

from __future__ import annotations

import datetime as dt
from typing import Any

import click

from cli.options import format_option
from cli.output import UserError
from cli.schedule_render import to_json, to_table
from engine.errors import ScenarioError
from engine.law import calendar, terms
from engine.law.dates import term_end
from engine.law.rules import preset
from engine.limits import check_date

__all__ = ["schedule"]


class _OneLineCommand(click.Command):
    """Reports bad options in one line, without the usage text, even inside a group."""

    def make_context(self, info_name: str | None, args: list[str],
                     parent: click.Context | None = None, **extra: Any) -> click.Context:
        try:
            return super().make_context(info_name, args, parent=parent, **extra)
        except click.UsageError as err:
            raise UserError(err.format_message()) from None


class _IsoDate(click.ParamType):
    name = "DATE"

    def convert(self, value: Any, param: click.Parameter | None,
                ctx: click.Context | None) -> dt.date:
        if isinstance(value, dt.date):
            return value
        try:
            day = dt.date.fromisoformat(value)
        except ValueError:
            self.fail(f"not a date (YYYY-MM-DD): {value!r}", param, ctx)
        problem = check_date(day)  # the calendar's range: terms added stay inside the years
        if problem is not None:
            self.fail(problem, param, ctx)
        return day


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
            assert early_termination is not None  # exactly one of the two, checked above
            table = calendar.early_timetable(early_termination, rules_name, vote=vote_date)
    except ScenarioError as err:
        raise UserError(str(err)) from None
    render = to_json if fmt == "json" else to_table
    click.echo(render(table, term))
