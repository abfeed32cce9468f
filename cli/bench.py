"""``saylau bench``: the benchmarks (benchmarks/runner.py), printed as they are measured."""

from __future__ import annotations

import json
from pathlib import Path

import click

from cli.output import check_folder, emit, require_matplotlib

__all__ = ["bench"]


@click.command()
@click.option("--quick", is_flag=True, help="smaller sizes and fewer repeats: 1-3 minutes on "
              "2 cores, one calibration included (the full run: about 6, plus 3 calibrations)")
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
    check_folder(output, "--output")  # before minutes of measuring, not after
    check_folder(plot, "--plot")
    if plot is not None:
        require_matplotlib()
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
