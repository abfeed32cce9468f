"""`saylau forensics`: statistical tests of precinct counts, on a replayed scenario or on one
election drawn from a simulation scenario."""

from __future__ import annotations

from pathlib import Path

import click

from cli.cluster import backend
from cli.election import election, examined
from cli.forensics_render import cannot_run, plot, to_csv, to_json, to_table
from cli.options import (
    format_option,
    memory_option,
    output_option,
    scheduler_option,
    seed_option,
)
from cli.output import emit, output_callback, require_matplotlib, user_errors
from cli.sources import repeats_option
from engine.errors import ScenarioError

__all__ = ["forensics"]


@click.command()
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--plot", "plot_path", type=click.Path(dir_okay=False), default=None,
              callback=output_callback,
              help="also draw the turnout x leader-share fingerprint to this PNG")
@format_option("table", "json", "csv")
@output_option
@seed_option("fixes the Monte-Carlo null, the bootstraps and a simulated election")
@click.option("--turnout-basis", type=click.Choice(("cast", "issued")), default=None,
              help="turnout of ballots cast or of ballots issued  [default: the election's]")
@click.option("--share-basis", type=click.Choice(("valid", "cast")), default=None,
              help="the leader's share of valid votes or of all ballots (valid + invalid)  "
              "[default: the election's]")
@repeats_option
@memory_option
@scheduler_option
@user_errors
def forensics(file: str, plot_path: str | None, fmt: str, output: str | None,
              seed: int, turnout_basis: str | None, share_basis: str | None,
              repeats: str | None, memory: int | None, scheduler: str | None) -> None:
    """Statistical tests of FILE's precinct counts: fingerprint, integer percentages, digits,
    shape, turnout against the leader. A simulation scenario is drawn once (--seed)."""

    if plot_path is not None:
        require_matplotlib()
    e = election(file, seed, repeats, memory)
    # with --scheduler, the Monte-Carlo nulls, the bootstraps and the digit tests are the
    # cluster's tasks, side by side (each its own stream: the same findings)
    with backend(scheduler, None) as where:
        fx = examined(e, seed, Path(file).name, turnout_basis, share_basis,
                      None if where is None else where.map)
    if not fx.runnable:  # one line: every distinct reason, which tests it stops; nothing written
        why = "; ".join(f"{names[0]}{f' and {len(names) - 1} more' if len(names) > 1 else ''}: "
                        f"{note.removeprefix('cannot run: ')}"
                        for note, names in cannot_run(fx.findings).items())
        raise ScenarioError(Path(file).name, "", f"no forensic test can run on its counts ({why})")
    if plot_path is not None:  # written first: a plot that cannot be written stops it all
        emit(plot(e, fx), plot_path)
    text = (to_table(e, fx) if fmt == "table" else to_json(e, fx)
            if fmt == "json" else to_csv(fx))
    emit(text, output)
