"""`saylau audit`: risk-limiting audit sizes and recount flags of a scenario's races."""

from __future__ import annotations

import click

from cli.audit_render import audit_rows, to_csv, to_json, to_table
from cli.election import election
from cli.options import format_option, output_option, seed_option
from cli.output import UserError, emit, user_errors
from cli.sources import repeats_option

__all__ = ["audit"]


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
@seed_option("the simulated election of a simulation scenario")
@repeats_option
@user_errors
def audit(file: str, risk_limit: float, recount_votes: int, recount_percent: float, fmt: str,
          output: str | None, seed: int, repeats: str | None) -> None:
    """Risk-limiting audit sizes of FILE's races (BRAVO ballot polling, super-simple
    comparison) and recount flags for close margins."""
    from engine.analysis.audit import plan  # the engine when run: start-up of --help

    if not 0 < risk_limit < 1:
        msg = f"--risk-limit: must be in (0, 1), got {risk_limit:g}"
        raise UserError(msg)
    if recount_votes < 0 or not 0 <= recount_percent <= 100:
        msg = (f"--recount-votes must be >= 0 and --recount-percent in [0, 100], got "
               f"{recount_votes} and {recount_percent:g}")
        raise UserError(msg)
    e = election(file, seed, repeats)
    a = plan(e.results, e.rules, risk_limit=risk_limit, ballots=e.ballots,
             recount_votes=recount_votes, recount_percent=recount_percent)
    rows = audit_rows(e, a)
    text = (to_table(e, a, rows) if fmt == "table"
            else to_json(e, a, rows, recount_votes, recount_percent, risk_limit)
            if fmt == "json" else to_csv(rows))
    emit(text, output)
