"""The options every command spells the same way: --format, --output, --seed, --jobs,
--scheduler."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import click

__all__ = ["format_option", "jobs_option", "output_option", "scheduler_option", "seed_option"]

Decorator = Callable[[Callable[..., Any]], Callable[..., Any]]

_FOR = {"table": "people", "json": "programs", "csv": "sheets",
        "openelections": "OpenElections tools", "nist-json": "NIST SP 1500-100 readers",
        "parquet": "DuckDB, pandas and polars (-o FILE; precincts beside it)"}


def format_option(*formats: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """``--format``: the first of ``formats`` by default."""
    return click.option("--format", "fmt", type=click.Choice(formats), default=formats[0],
                        show_default=True,
                        help=", ".join(f"{f} for {_FOR[f]}" for f in formats))


output_option = click.option("--output", "-o", type=click.Path(dir_okay=False), default=None,
                             help="write here (atomically) instead of stdout")


def seed_option(help: str, *, default: int | None = 0) -> Decorator:
    """``--seed``: a whole number >= 0 that fixes every random draw of the command."""
    return click.option("--seed", type=click.IntRange(min=0), default=default,
                        show_default=default is not None, help=help)


jobs_option = click.option("--jobs", "-j", type=click.IntRange(min=1), default=None,
                           help="worker threads  [default: every usable core]")


scheduler_option = click.option(
    "--scheduler", default=None, metavar="ADDRESS",
    help="run the blocks on Dask: tcp://HOST:PORT of a running `dask scheduler`, or local[:N] "
    "for N worker processes here (needs saylau[dask]); the same bytes as without it")
