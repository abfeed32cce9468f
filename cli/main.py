"""The `saylau` command: each subcommand parses, calls the engine, renders. Nothing else."""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from typing import Any

import click

from cli import render
from cli.output import emit
from engine.errors import ScenarioError

__all__ = ["main"]

EXIT_MISMATCH = 1  # --strict found published figures that do not hold
EXIT_USER_ERROR = 2


def user_errors(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Turn a user's mistake into one line on stderr and exit code 2, never a traceback."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except ScenarioError as err:
            click.echo(f"error: {err}", err=True)
            sys.exit(EXIT_USER_ERROR)
        except click.ClickException:
            raise
        except OSError as err:
            click.echo(f"error: {err.filename or ''}: {err.strerror or err}", err=True)
            sys.exit(EXIT_USER_ERROR)

    return wrapper


class _Group(click.Group):
    """Usage errors exit 2 (click's own convention) with a one-line message."""


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="saylau")
def main() -> None:
    """saylau: replay, reconcile and simulate Kazakhstan's akim elections."""


FORMATS = {"table": None, "json": render.to_json, "csv": render.to_csv}


@main.command()
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--format", "fmt", type=click.Choice(list(FORMATS)), default="table",
              show_default=True, help="table for people, json for programs, csv for sheets")
@click.option("--output", "-o", type=click.Path(dir_okay=False), default=None,
              help="write here (atomically) instead of stdout")
@click.option("--strict", is_flag=True, help="exit 1 when a published figure is a mismatch")
@click.option("--all-checks", is_flag=True, help="list every published figure, not only those "
              "that do not hold (table format)")
@user_errors
def replay(file: str, fmt: str, output: str | None, strict: bool, all_checks: bool) -> None:
    """Replay FILE: recompute every race and area and check every published figure."""
    from engine.replay import replay as run_replay
    from engine.scenario import load

    result = run_replay(load(file))
    text = (render.to_table(result, all_checks=all_checks) if fmt == "table"
            else FORMATS[fmt](result))
    emit(text, output)
    if strict and result.mismatches:
        click.echo(f"{len(result.mismatches)} published figure(s) do not hold", err=True)
        sys.exit(EXIT_MISMATCH)


@main.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False))
def validate(files: tuple[str, ...]) -> None:
    """Check scenario FILES: print nothing when they are sound, one line per file that is not."""
    from engine.scenario import load

    bad = 0
    for file in files:
        try:
            load(file)
        except ScenarioError as err:
            click.echo(f"error: {err}", err=True)
            bad += 1
    if bad:
        sys.exit(EXIT_USER_ERROR)


def _register_optional() -> None:
    """Commands that live in their own modules."""
    try:
        from cli.schedule import schedule
    except ImportError:  # pragma: no cover - the module is part of the package
        return
    main.add_command(schedule)


_register_optional()
