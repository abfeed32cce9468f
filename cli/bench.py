"""``saylau bench``: the benchmarks (benchmarks/runner.py), printed as they are measured."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import click

from cli.output import UserError, emit

__all__ = ["bench"]


def _folder_exists(path: str | None, option: str) -> None:
    """Refuse an output in a missing folder before minutes of measuring, not after."""
    if path is not None and path != "-" and not Path(path).parent.is_dir():
        msg = f"{option} {path}: the folder {str(Path(path).parent)!r} does not exist"
        raise UserError(msg)


@click.command()
@click.option("--quick", is_flag=True, help="smaller sizes and fewer repeats: about a minute "
              "on 2 cores (the full run: about 6)")
@click.option("--output", "-o", type=click.Path(dir_okay=False), default=None,
              help="write every figure here as JSON (atomically)")
@click.option("--plot", type=click.Path(dir_okay=False), default=None,
              help="draw each case's time against its size, log-log, as a PNG (needs "
              "saylau[plot])")
@click.option("--repeat", type=click.IntRange(min=1), default=None,
              help="timed samples per figure; the median is reported")
@click.option("--smoke", is_flag=True, hidden=True, help="tiny sizes: checks, not figures")
def bench(quick: bool, output: str | None, plot: str | None, repeat: int | None,
          smoke: bool) -> None:
    """Measure saylau against numpy, pandas, plain Python and its peers, on the same data.

    Every case checks that all contenders agree before anything is timed, reports the median
    of repeated runs and the ratio to each baseline; then time against size with its slope,
    peak memory, and the targets met or missed. Peers not installed are skipped with a line
    saying so (pip install 'saylau[bench]').
    """
    _folder_exists(output, "--output")
    _folder_exists(plot, "--plot")
    if plot is not None and importlib.util.find_spec("matplotlib") is None:
        msg = "--plot needs matplotlib: pip install 'saylau[plot]'"
        raise UserError(msg)
    from benchmarks import runner, scaling
    from benchmarks.timing import jsonable

    results = runner.run(runner.config(quick=quick, smoke=smoke, repeat=repeat), echo=click.echo)
    if output is not None:
        emit(json.dumps(jsonable(results), indent=2) + "\n", output)
        if output != "-":
            click.echo(f"wrote {output}")
    if plot is not None:
        scaling.plot(results["scaling"], Path(plot))
        click.echo(f"wrote {plot}")
