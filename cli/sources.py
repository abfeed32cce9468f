"""What a command reads: a scenario file, or an OpenElections CSV file given directly (every
race of it), with ``--repeats`` saying how to read its repeated rows."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import click

if TYPE_CHECKING:
    from engine.records import Scenario

__all__ = ["load_file", "repeats_option"]

repeats_option: Callable[[Callable[..., Any]], Callable[..., Any]] = click.option(
    "--repeats", type=click.Choice(("refuse", "sum", "first")), default=None,
    help="an OpenElections CSV file given directly: its rows that repeat a line are refused "
         "(the default), summed (vote methods, split precincts) or the first kept")


def load_file(file: str, repeats: str | None = None) -> Scenario:
    """The scenario of ``file`` (a TOML scenario, or an OpenElections CSV file)."""
    from engine.formats.scenario import load  # when run: start-up time of `saylau --help`

    return load(file, repeats=repeats)
