"""The `saylau` command: a group of subcommands, each in its own module beside its rendering.

A subcommand's module is imported only when it runs (or its own --help is asked for), so
`saylau --help` and every command start without importing the others (or numpy, for --help).
"""

from __future__ import annotations

import importlib
import sys
from typing import Any

import click

from cli.output import EXIT_USER_ERROR, error_line

__all__ = ["COMMANDS", "main"]

# name -> (module, the first line of the command's docstring: what `saylau --help` lists).
# tests/cli/test_cli.py checks each line against the command's own docstring.
COMMANDS = {
    "replay": ("cli.replay", "Replay FILE: recompute every race and area and check every "
               "published figure."),
    "validate": ("cli.validate", "Check scenario FILES: print nothing when they are sound, one "
                 "line per file that is not."),
    "simulate": ("cli.simulate", "Simulate FILE: win probabilities, failed-election risk, "
                 "turnout and margins."),
    "calibrate": ("cli.calibrate", "Fit FILE's [calibrate] parameters so its simulated counts "
                  "match the published ones."),
    "forensics": ("cli.forensics", "Statistical tests of FILE's precinct counts: fingerprint, "
                  "integer percentages, digits, shape, turnout against the leader."),
    "audit": ("cli.audit", "Risk-limiting audit sizes of FILE's races (BRAVO ballot polling, "
              "super-simple comparison) and recount flags for close margins."),
    "report": ("cli.report", "Write FILE's results as one HTML page that works offline: its "
               "replay, or a simulation."),
    "schedule": ("cli.schedule", "Print the legal calendar of the next election after a term "
                 "start or an early termination."),
    "bench": ("cli.bench", "Measure saylau against numpy, pandas, plain Python and its peers, on "
              "the same data."),
}


def _version(ctx: click.Context, value: bool) -> None:
    """``saylau --version``: the version and the kernel that would run (compiled or numpy)."""
    if not value or ctx.resilient_parsing:
        return
    from importlib.metadata import PackageNotFoundError, version

    from engine.tally.kernel import describe  # imports no numpy: start-up of --version

    try:
        number = version("saylau")
    except PackageNotFoundError:
        number = "unknown (not installed)"
    click.echo(f"saylau {number}\nkernel: {describe()}")
    ctx.exit()


class _LazyGroup(click.Group):
    """Subcommands imported by name when they are invoked; their listing comes from COMMANDS."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name not in COMMANDS:
            return None
        module, _ = COMMANDS[name]
        command: click.Command = getattr(importlib.import_module(module), name)
        return command

    def main(self, args: Any = None, prog_name: str | None = None,
             complete_var: str | None = None, standalone_mode: bool = True,
             **extra: Any) -> Any:
        """click's main, but every error of the command line is one ``error:`` line on stderr
        (escaped, bounded, with where to find help) and exit 2, like the commands' own."""
        if not standalone_mode:
            return super().main(args, prog_name, complete_var, standalone_mode, **extra)
        try:
            rv = super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
        except click.UsageError as err:
            where = f" (see '{err.ctx.command_path} --help')" if err.ctx is not None else ""
            click.echo(error_line(err.format_message() + where), err=True)
            sys.exit(EXIT_USER_ERROR)
        except click.ClickException as err:
            click.echo(error_line(err.format_message()), err=True)
            sys.exit(EXIT_USER_ERROR)
        except click.Abort:
            click.echo("error: interrupted", err=True)
            sys.exit(130)
        sys.exit(rv if isinstance(rv, int) else 0)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        limit = formatter.width - 6 - max(len(n) for n in COMMANDS)
        rows = [(name, click.Command(name, help=COMMANDS[name][1]).get_short_help_str(limit))
                for name in self.list_commands(ctx)]
        with formatter.section("Commands"):
            formatter.write_dl(rows)


@click.group(cls=_LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--version", is_flag=True, expose_value=False, is_eager=True,
              callback=lambda ctx, _param, value: _version(ctx, value),
              help="Show the version and the kernel in use, and exit.")
def main(**_: Any) -> None:
    """saylau: replay, reconcile and simulate Kazakhstan's akim elections."""
