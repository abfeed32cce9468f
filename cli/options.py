"""The options every command spells the same way: --format, --output, --seed, --jobs,
--scheduler, --memory, and the runs a simulation may ask for."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import click

from cli.output import output_callback

__all__ = ["Size", "format_option", "jobs_option", "memory_option", "output_option", "parse_memory",
           "scheduler_option", "seed_option"]

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
                             callback=output_callback,
                             help="write here (atomically) instead of stdout; - is stdout")


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

_UNITS = {"": 1, "b": 1, "k": 1 << 10, "kb": 1 << 10, "kib": 1 << 10, "m": 1 << 20,
          "mb": 1 << 20, "mib": 1 << 20, "g": 1 << 30, "gb": 1 << 30, "gib": 1 << 30,
          "t": 1 << 40, "tb": 1 << 40, "tib": 1 << 40}
_SIZE = re.compile(r"([0-9]{1,9}(?:\.[0-9]{1,3})?)\s*([a-z]*)")


def parse_memory(text: str) -> int | None:
    """``2G``, ``512MiB``, ``1.5g``, ``300000000`` as bytes (units of 1,024); None if it is
    not a size."""
    m = _SIZE.fullmatch(text.strip().lower())
    if m is None or m.group(2) not in _UNITS:
        return None
    return int(float(m.group(1)) * _UNITS[m.group(2)])


class Size(click.ParamType):
    """A size in bytes written like 64M or 2G, at least ``least`` (1, or whole MiB); ``like``
    shows an example."""

    name = "SIZE"

    def __init__(self, least: int = 1, like: str = "64M or 1G") -> None:
        self.least, self.like = least, like

    def convert(self, value: Any, param: click.Parameter | None,
                ctx: click.Context | None) -> int:
        if isinstance(value, int):
            return value
        size = parse_memory(str(value))
        if size is None or size < self.least:
            at_least = f" of at least {self.least >> 20}M" if self.least > 1 else ""
            self.fail(f"must be a size{at_least}, like {self.like}, got {str(value)[:40]!r}",
                      param, ctx)
        return size


memory_option = click.option(
    "--memory", type=Size(1 << 20, "512M or 2G"), default=None,
    help="memory the runs drawn at once may hold, like 2G (sizes the chunks; a model whose "
         "block of 64 runs does not fit is refused)  [default: a quarter of the machine's]")
