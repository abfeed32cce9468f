"""`saylau calibrate`: fit a model's parameters to published counts (simulated moments), then
check the fitted model against every published figure it implies."""

from __future__ import annotations

import attrs
import click

from cli.calibrate_render import to_json, to_table
from cli.cluster import backend
from cli.options import format_option, jobs_option, output_option, scheduler_option, seed_option
from cli.output import UserError, emit, user_errors

__all__ = ["calibrate"]


@click.command()
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--runs", "-n", type=click.IntRange(min=10), default=None,
              help="simulated rounds per trial  [default: the file's, else 100]")
@click.option("--check-runs", type=click.IntRange(min=10), default=None,
              help="rounds of the model check at the fit  [default: the file's, else 1000]")
@seed_option("the uniforms shared by every trial  [default: the file's, else 0]", default=None)
@jobs_option
@scheduler_option
@format_option("table", "json")
@output_option
@user_errors
def calibrate(file: str, runs: int | None, check_runs: int | None, seed: int | None,
              jobs: int | None, scheduler: str | None, fmt: str, output: str | None) -> None:
    """Fit FILE's [calibrate] parameters so its simulated counts match the published ones,
    and show where each published figure falls among rounds of the fitted model."""
    from engine.formats.scenario import load
    from engine.simulation.blocks import Threads
    from engine.simulation.fit import fit
    from engine.simulation.indirect_setup import indirect_setup
    from engine.simulation.model_check import model_check
    from engine.tally.threads import cores

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
    check_runs = check_runs or cal.check_runs
    seed = cal.seed if seed is None else seed
    targets = {t: ind.published[t] for t in cal.targets}
    # how much the re-vote's persistence adds: the fit again with the re-vote drawn afresh
    restrict = [("persistence", 0.0)] if "persistence" in cal.parameters else []
    # with --scheduler, the trials (and Nelder-Mead's paths) and the model check's blocks are
    # the cluster's tasks: every trial a pure function of its point, the same bytes
    with backend(scheduler, jobs) as where:
        runner = where or Threads(cores() if jobs is None else jobs)
        result = fit(ind.round, ind.rules, targets, parameters=cal.parameters,
                     fixed=attrs.asdict(ind.deputies), runs=runs, seed=seed,
                     restrict=restrict, mapper=runner.map)
        check = model_check(ind.round, ind.rules, result.deputies, ind.published, cal.targets,
                            check_runs, seed, backend=runner)
    render = to_json if fmt == "json" else to_table
    emit(render(result, check, ind), output)

