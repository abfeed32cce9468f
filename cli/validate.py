"""`saylau validate`: check scenario files; silent when they are sound."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

import click

from cli.output import EXIT_USER_ERROR, error_line, warn
from cli.sources import load_file, repeats_option
from engine.errors import ScenarioError

if TYPE_CHECKING:
    from engine.records import Scenario

__all__ = ["validate"]


@click.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False))
@repeats_option
def validate(files: tuple[str, ...], repeats: str | None) -> None:
    """Check scenario FILES: print nothing when they are sound, one line per file that is not."""
    bad = 0
    for file in files:
        try:
            scenario = load_file(file, repeats)
            _build_model(scenario)
            warnings = scenario.warnings
        except (ScenarioError, OSError) as err:
            click.echo(error_line(err), err=True)
            bad += 1
            continue
        warn(warnings)
    if bad:
        sys.exit(EXIT_USER_ERROR)


def _build_model(scenario: Scenario) -> None:
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
