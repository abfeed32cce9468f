"""``saylau replay --partition SIZE``: a scenario's precinct file read in partitions of about
SIZE bytes and summed partition by partition (on this machine's threads, or with
``--scheduler`` as tasks on Dask), for files larger than memory; the same output as reading
it whole."""

from __future__ import annotations

import sys
import time
from typing import TYPE_CHECKING, Any

import click

from cli.cluster import backend
from cli.options import Size
from cli.output import UserError

if TYPE_CHECKING:
    from engine.replay.run import Replay

__all__ = ["ROWS_FORMATS", "jobs_option", "partition_option", "partitioned_replay",
           "scheduler_option"]

# formats that write every precinct row: they need the rows in memory
ROWS_FORMATS = ("openelections", "nist-json", "parquet")

PROGRESS_AFTER = 2.0  # seconds before a progress bar appears (on a terminal only)


def _on_terminal() -> bool:
    return sys.stderr.isatty()


class _Progress:
    """A one-line bar on stderr, on a terminal and after 2 s: the file's bytes read, as the
    partitions (threads' or cluster's tasks) finish."""

    def __init__(self) -> None:
        self.total = 0
        self.start = time.monotonic()
        self.shown = False
        self.tty = _on_terminal()

    def __call__(self, done: int) -> None:
        if not self.tty or not self.total or time.monotonic() - self.start < PROGRESS_AFTER:
            return
        self.shown = True
        fill = 30 * done // self.total
        click.echo(f"\rreading [{'#' * fill}{'.' * (30 - fill)}] {done / 2**20:,.0f}/"
                   f"{self.total / 2**20:,.0f} MiB", err=True, nl=False)

    def close(self) -> None:
        if self.shown:
            click.echo(err=True)


partition_option = click.option(
    "--partition", type=Size(), default=None, metavar="SIZE",
    help="read the scenario's precinct file in partitions of about SIZE bytes (like 64M) and "
    "sum them: a file larger than memory, on threads or with --scheduler on Dask; the same "
    "output as reading it whole")

scheduler_option = click.option(
    "--scheduler", default=None, metavar="ADDRESS",
    help="with --partition: the partitions as tasks on Dask, tcp://HOST:PORT of a running "
    "`dask scheduler` or local[:N] for N worker processes here (needs saylau[dask])")

jobs_option = click.option("--jobs", "-j", type=click.IntRange(min=1), default=None,
                           help="with --partition: threads reading partitions  [default: "
                           "every usable core]")


def partitioned_replay(file: str, size: int, fmt: str, scheduler: str | None,
                       jobs: int | None) -> Replay:
    """The replay of ``file`` with its precinct file read in partitions of ``size`` bytes."""
    # the engine is imported when the command runs: start-up time of `saylau --help`
    from engine.formats.partition_job import partitioned_reader
    from engine.formats.scenario import load
    from engine.replay.partitioned import replay_partial
    from engine.simulation.blocks import Threads, map_blocks
    from engine.tally.threads import cores

    if fmt in ROWS_FORMATS:
        msg = (f"--format {fmt} writes every precinct row, which --partition does not hold in "
               "memory: replay without --partition, or use table, json or csv")
        raise UserError(msg)
    held: list[Any] = []
    progress = _Progress()

    def run(job: Any) -> Any:
        progress.total = job.work_in(range(job.n_blocks))
        try:
            return map_blocks(runner, job, 1, progress)
        finally:
            progress.close()

    with backend(scheduler, jobs) as where:
        runner = where or Threads(jobs or cores())
        scenario = load(file, precincts=partitioned_reader(size, run, held))
    if not held:
        msg = "--partition reads the precinct file a scenario's [precincts] table names; " \
              f"{click.format_filename(file)} has none"
        raise UserError(msg)
    if any(race.office is not None for race in scenario.races):
        msg = ("--partition reads a [precincts] file; a scenario with [[openelections]] tables "
               "is replayed without it")
        raise UserError(msg)
    f = held[0]
    if scheduler is not None:
        click.echo(f"{f.partitions:,} partition(s) of {f.partial.rows.sum():,} rows", err=True)
    return replay_partial(scenario, f.partial, file_races=f.file_races, named=f.named,
                          file_lines=f.lines, precinct_rows=f.precinct_rows)
