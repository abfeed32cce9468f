"""The `saylau` command: each subcommand parses, calls the engine, renders. Nothing else."""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any

import click

from cli import render
from cli.bench import bench
from cli.calibrate import calibrate
from cli.forensics import audit, forensics
from cli.output import (
    EXIT_USER_ERROR,
    emit,
    error_line,
    format_option,
    output_option,
    user_errors,
    warn,
)
from cli.schedule import schedule
from cli.simulate import simulate
from engine.errors import ScenarioError

__all__ = ["main"]

EXIT_MISMATCH = 1  # --strict found published figures that do not hold


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="saylau")
def main() -> None:
    """saylau: replay, reconcile and simulate Kazakhstan's akim elections."""


@main.command()
@click.argument("file", type=click.Path(dir_okay=False))
@format_option("table", "json", "csv", "openelections", "nist-json")
@output_option
@click.option("--strict", is_flag=True, help="exit 1 when a published figure is a mismatch")
@click.option("--all-checks", is_flag=True, help="list every published figure, not only those "
              "that do not hold (table format)")
@user_errors
def replay(file: str, fmt: str, output: str | None, strict: bool, all_checks: bool) -> None:
    """Replay FILE: recompute every race and area and check every published figure."""
    from engine.formats.scenario import load
    from engine.replay.run import replay as run_replay

    scenario = load(file)
    warn(scenario.warnings)
    result = run_replay(scenario)
    text = (render.to_table(result, all_checks=all_checks) if fmt == "table"
            else render.to_json(result) if fmt == "json" else render.to_csv(result)
            if fmt == "csv" else _exporter(fmt)(result))
    emit(text, output)
    if strict and result.mismatches:
        click.echo(f"{len(result.mismatches)} published figure(s) do not hold", err=True)
        sys.exit(EXIT_MISMATCH)


def _exporter(fmt: str) -> Callable[[Any], str]:
    """The engine's writer of an exchange format, imported only when asked for."""
    if fmt == "openelections":
        from engine.formats.openelections.writer import to_csv

        return to_csv
    from engine.formats.nist import to_json

    return to_json


@main.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False))
def validate(files: tuple[str, ...]) -> None:
    """Check scenario FILES: print nothing when they are sound, one line per file that is not."""
    from engine.formats.scenario import load

    bad = 0
    for file in files:
        try:
            scenario = load(file)
            _build_model(scenario)
            warnings = scenario.warnings
        except (ScenarioError, OSError) as err:
            click.echo(error_line(err), err=True)
            bad += 1
            continue
        warn(warnings)
    if bad:
        sys.exit(EXIT_USER_ERROR)


def _build_model(scenario: object) -> None:
    """A simulation file is sound only if its model can be built (its from file, generated
    areas, calibration targets): the checks `saylau simulate` and `calibrate` would make."""
    if scenario.model is None and scenario.calibration is None:
        return
    from engine.simulation.indirect_setup import indirect_setup
    from engine.simulation.setup import setup

    if scenario.election.rules.kind == "indirect":
        indirect_setup(scenario)
    else:
        setup(scenario)


main.add_command(schedule)
main.add_command(simulate)
main.add_command(calibrate)
main.add_command(forensics)
main.add_command(audit)
main.add_command(bench)
