"""`saylau replay`: recompute every race and area of a scenario and check every published figure."""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any

import click

from cli import replay_render
from cli.options import format_option, output_option
from cli.output import UserError, check_folder, emit, user_errors, warn, write_atomic
from cli.replay_partitioned import (
    jobs_option,
    partition_option,
    partitioned_replay,
    scheduler_option,
)
from cli.sources import load_file, repeats_option

__all__ = ["EXIT_MISMATCH", "replay"]

EXIT_MISMATCH = 1  # --strict found published figures that do not hold


@click.command()
@click.argument("file", type=click.Path(dir_okay=False))
@format_option("table", "json", "csv", "openelections", "nist-json", "parquet")
@output_option
@click.option("--strict", is_flag=True, help="exit 1 when a published figure is a mismatch")
@click.option("--all-checks", is_flag=True, help="list every published figure, not only those "
              "that do not hold (table format)")
@click.option("--area-level", type=click.IntRange(min=0), default=1, show_default=True,
              help="results by area this many levels below each race whose precincts name "
              "areas (table format; 0: none)")
@repeats_option
@partition_option
@scheduler_option
@jobs_option
@user_errors
def replay(file: str, fmt: str, output: str | None, strict: bool, all_checks: bool,
           area_level: int, repeats: str | None, partition: int | None, scheduler: str | None,
           jobs: int | None) -> None:
    """Replay FILE: recompute every race and area and check every published figure."""
    # the engine is imported when the command runs: start-up time of `saylau --help`
    from engine.replay.run import replay as run_replay

    if fmt == "parquet" and output in (None, "-"):
        msg = "--format parquet writes files: name one with -o FILE.parquet"
        raise UserError(msg)
    check_folder(output)
    if partition is None:
        if scheduler is not None or jobs is not None:
            msg = "--scheduler and --jobs read the precinct file in partitions: give --partition"
            raise UserError(msg)
        scenario = load_file(file, repeats)
        warn(scenario.warnings)
        result = run_replay(scenario)
    else:
        if repeats is not None:
            msg = "--repeats is for an OpenElections file given directly; --partition for a " \
                  "scenario's [precincts] file"
            raise UserError(msg)
        result = partitioned_replay(file, partition, fmt, scheduler, jobs)
        warn(result.scenario.warnings)
    if fmt == "parquet":
        _parquet(result, output)
        if strict and result.mismatches:
            click.echo(f"{len(result.mismatches)} published figure(s) do not hold", err=True)
            sys.exit(EXIT_MISMATCH)
        return
    text = (replay_render.to_table(result, all_checks=all_checks, area_level=area_level)
            if fmt == "table"
            else replay_render.to_json(result) if fmt == "json" else replay_render.to_csv(result)
            if fmt == "csv" else _exporter(fmt)(result))
    emit(text, output)
    if strict and result.mismatches:
        click.echo(f"{len(result.mismatches)} published figure(s) do not hold", err=True)
        sys.exit(EXIT_MISMATCH)


def _parquet(result: Any, output: str | None) -> None:
    """The race and precinct tables as Parquet: FILE and FILE's stem + .precincts.parquet, each
    written atomically, both built before either is written."""
    from engine.formats.parquet import precincts_path, tables, to_bytes

    assert output is not None
    races, precincts = (to_bytes(t) for t in tables(result))
    write_atomic(output, races)
    write_atomic(precincts_path(output), precincts)


def _exporter(fmt: str) -> Callable[[Any], str]:
    """The engine's writer of an exchange format, imported only when asked for."""
    if fmt == "openelections":
        from engine.formats.openelections.writer import to_csv

        return to_csv
    from engine.formats.nist import to_json

    return to_json
