"""``--scheduler``: where a command's seeded blocks run (this machine's threads, or Dask)."""

from __future__ import annotations

import contextlib
import importlib.util
from collections.abc import Iterator
from typing import TYPE_CHECKING

import click

from cli.output import UserError

if TYPE_CHECKING:
    from engine.simulation.blocks import Backend

__all__ = ["backend"]


@contextlib.contextmanager
def backend(scheduler: str | None, jobs: int | None) -> Iterator[Backend | None]:
    """None without ``--scheduler`` (the command's threads, ``--jobs`` of them); else a Dask
    backend, open for the ``with`` block, whose place is named on stderr. The cluster's
    failures (unreachable, lost, workers that draw differently) are one line, exit 2."""
    if scheduler is None:
        yield None
        return
    if jobs is not None:
        msg = ("--jobs sets this machine's threads; with --scheduler the workers' threads run "
               "the blocks (local:N for N worker processes)")
        raise UserError(msg)
    if importlib.util.find_spec("distributed") is None:
        msg = ("--scheduler needs dask.distributed: pip install 'saylau[dask]' (or pip install "
               "'dask[distributed]')")
        raise UserError(msg)
    # here, not at import: start-up (only --scheduler needs dask)
    from engine.simulation.cluster import ClusterError, connect, parse_scheduler

    try:
        parse_scheduler(scheduler)
    except ValueError as err:
        msg = f"--scheduler: {err}"
        raise UserError(msg) from None
    try:
        with connect(scheduler) as dask:
            click.echo(f"running on {dask.describe()}", err=True)
            yield dask
    except ClusterError as err:
        msg = f"--scheduler {scheduler}: {err}"
        raise UserError(msg) from None
