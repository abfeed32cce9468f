"""`saylau calibrate`: fit a model's parameters to published counts (simulated moments)."""

from __future__ import annotations

import click

from cli.calibrate_render import to_json, to_table
from cli.options import format_option, output_option, seed_option
from cli.output import UserError, emit, user_errors

__all__ = ["calibrate"]


@click.command()
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--runs", "-n", type=click.IntRange(min=10), default=None,
              help="simulated rounds per trial  [default: the file's, else 100]")
@seed_option("the uniforms shared by every trial  [default: the file's, else 0]", default=None)
@format_option("table", "json")
@output_option
@user_errors
def calibrate(file: str, runs: int | None, seed: int | None, fmt: str,
              output: str | None) -> None:
    """Fit FILE's [calibrate] parameters so its simulated counts match the published ones."""
    from engine.formats.scenario import load
    from engine.simulation.fit import fit
    from engine.simulation.indirect_setup import indirect_setup

    scenario = load(file)
    cal = scenario.calibration
    if cal is None:
        msg = f"{scenario.file}: has no [calibrate] table (parameters, targets)"
        raise UserError(msg)
    if scenario.election.rules.kind != "indirect":
        msg = f"{scenario.file}: calibrate fits indirect (maslikhat) rounds only for now"
        raise UserError(msg)
    ind = indirect_setup(scenario)
    missing = [t for t in cal.targets if t not in ind.published]
    if missing:
        msg = (f"{scenario.file}: {cal.place}.targets: {ind.source} publishes no "
               f"{missing[0]!r}; published: {', '.join(sorted(ind.published)) or 'none'}")
        raise UserError(msg)
    runs = runs or cal.runs
    seed = cal.seed if seed is None else seed
    fixed = {"loyalty": ind.loyalty, "attendance": ind.attendance}
    result = fit(ind.round, ind.rules, {t: ind.published[t] for t in cal.targets},
                 parameters=cal.parameters,
                 fixed={k: v for k, v in fixed.items() if k not in cal.parameters},
                 runs=runs, seed=seed)
    render = to_json if fmt == "json" else to_table
    emit(render(result, ind, runs, seed), output)
