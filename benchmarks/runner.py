"""Every case, in order, printed as it is measured: the one runner behind ``python -m
benchmarks`` and ``saylau bench``.

:data:`QUICK` (1-3 minutes on 2 cores), :data:`FULL` (under 15) and :data:`SMOKE` (tiny
sizes: the test suite's run, whose figures mean nothing) say what is measured; :func:`run`
measures it, :func:`targets` reads the issue's targets off the figures.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable

import attrs

import engine.tally.ballots
from benchmarks import (
    ballots_bench,
    calibrate_bench,
    memory_bench,
    national_bench,
    pipeline_bench,
    precinct_bench,
    replay_bench,
    scaling,
    simulate_bench,
)
from benchmarks.timing import Figures, Target, environment, render_environment

__all__ = ["FULL", "QUICK", "SMOKE", "Config", "config", "run", "targets"]

Echo = Callable[[str], None]


@attrs.frozen
class Config:
    """What one run measures; sizes are counts (ballots, rows, races, runs, precincts)."""

    name: str
    repeat: int
    slow_repeat: int = 3
    ballot_sizes: tuple[int, ...] = (10**4, 10**5, 10**6, 10**7)
    options: tuple[int, ...] = ballots_bench.OPTIONS
    python_cap: int = 10**5  # the pure Python loop and Counter: timed up to this many ballots
    peer_sizes: tuple[int, ...] = (2_000,)  # the peers' tallies: timed at these sizes
    streamed: tuple[tuple[int, int], ...] = ((10**8, 7),)  # (ballots, options) from a file
    bandwidth_bytes: int = 1 << 28
    precinct_cases: tuple[tuple[int, int], ...] = (
        (10**3, 10), (10**4, 100), (10**5, 730), (10**6, 10**4), (10**6, 10**5))
    pipeline_races: tuple[int, ...] = (10**2, 10**3, 10**4, 10**5)
    pipeline_python_cap: int = 10**4
    sim_precincts: int = simulate_bench.PRECINCTS
    sim_races: int = simulate_bench.RACES
    votes_runs: tuple[int, ...] = (64, 256)
    sim_runs: tuple[int, ...] = (1_000,)
    peer_voters: tuple[int, ...] = (10**4,)
    sim_repeat: int = 3
    replay_precincts: tuple[int, ...] = (100_000,)
    replay_repeat: int = 2
    historical_repeat: int = 2
    startup: bool = True  # time a bare interpreter and the CLI's imports
    memory_ballots: int = 10**8
    memory_options: int = 7
    memory_sim: tuple[tuple[int, int], ...] = ((2_048, 2),)  # (runs, jobs)
    memory_contrasts: bool = True
    calibrate_repeat: int = 1  # runs of `saylau calibrate` on 2013 (0: a tiny fit in process)


QUICK = Config(name="quick", repeat=5)
FULL = attrs.evolve(
    QUICK, name="full", repeat=7,
    ballot_sizes=(10**4, 10**5, 10**6, 10**7, 10**8), python_cap=10**6,
    peer_sizes=(10**3, 10**4), streamed=((10**8, 2), (10**8, 7), (10**8, 16)),
    precinct_cases=(*QUICK.precinct_cases, (10**7, 10**5)),
    pipeline_races=(10**2, 10**3, 10**4, 10**5, 10**6),
    votes_runs=(64, 256, 1024), sim_runs=(1_000, 10_000), peer_voters=(10**4, 10**5),
    sim_repeat=5, replay_precincts=(10_000, 100_000), replay_repeat=3, historical_repeat=7,
    memory_sim=((1_000, 2), (10_000, 1), (10_000, 2)), calibrate_repeat=3)
SMOKE = attrs.evolve(
    QUICK, name="smoke", repeat=1, slow_repeat=1, ballot_sizes=(1_000,), python_cap=1_000,
    peer_sizes=(100,), streamed=((10**5, 7),), bandwidth_bytes=1 << 20,
    precinct_cases=((500, 7),), pipeline_races=(100,), pipeline_python_cap=100,
    sim_precincts=60, sim_races=20, votes_runs=(64,), sim_runs=(64,), peer_voters=(100,),
    sim_repeat=1, replay_precincts=(300,), replay_repeat=1, historical_repeat=1, startup=False,
    memory_ballots=10**5, memory_sim=(), memory_contrasts=False, calibrate_repeat=0)


def config(*, quick: bool = False, smoke: bool = False, repeat: int | None = None) -> Config:
    """The configuration the command line asks for."""
    base = SMOKE if smoke else QUICK if quick else FULL
    return base if repeat is None else attrs.evolve(base, repeat=repeat)


def _load() -> list[float]:
    try:
        return [round(x, 2) for x in os.getloadavg()]
    except OSError:
        return []


def run(cfg: Config, echo: Echo = print) -> Figures:
    """Measure every case of ``cfg``, echoing each section as soon as it is measured."""
    t0 = time.perf_counter()
    env = environment() | {"config": cfg.name, "load_average_start": _load()}
    echo(render_environment(env))
    if engine.tally.ballots.KERNEL != "c":
        echo("warning: engine.tally._kernels is not built here, so the numpy fallbacks are "
             "measured; build it with `pip install -e .` (or install saylau with a C compiler)")
    results: Figures = {"environment": env}

    clock = [time.perf_counter()]
    env["section_seconds"] = {}

    def section(name: str, text: str) -> None:
        now = time.perf_counter()
        env["section_seconds"][name] = round(now - clock[0], 1)
        clock[0] = now
        echo("")
        echo(text)

    results["ballots"] = ballots_bench.bench_ballots(
        cfg.ballot_sizes, cfg.options, cfg.repeat, python_cap=cfg.python_cap,
        peer_sizes=cfg.peer_sizes, slow_repeat=cfg.slow_repeat, streamed=cfg.streamed,
        bandwidth_bytes=cfg.bandwidth_bytes)
    section("ballots", ballots_bench.render(results["ballots"]))
    results["precincts"] = [precinct_bench.bench_precincts(rows, races, cfg.repeat)
                            for rows, races in cfg.precinct_cases]
    section("precincts", precinct_bench.render(results["precincts"]))
    results["pipeline"] = [pipeline_bench.bench_pipeline(
        r, cfg.repeat, python_cap=cfg.pipeline_python_cap, slow_repeat=cfg.slow_repeat)
        for r in cfg.pipeline_races]
    section("pipeline", pipeline_bench.render(results["pipeline"]))
    model = simulate_bench.make_model(
        cfg.sim_precincts, cfg.sim_races,
        round(simulate_bench.REGISTERED * cfg.sim_precincts / simulate_bench.PRECINCTS))
    sim = simulate_bench.run_cases(model, cfg.votes_runs, cfg.sim_runs, cfg.peer_voters,
                                   cfg.sim_repeat)
    sim.pop("environment")
    results["simulation"] = sim
    section("simulation", simulate_bench.render_all(sim))
    results["replay"] = [replay_bench.bench_replay(n, max(1, n // 50),
                                                   repeat=cfg.replay_repeat)
                         for n in cfg.replay_precincts]
    results["startup"] = (replay_bench.bench_startup(cfg.historical_repeat) if cfg.startup
                          else None)
    results["historical"] = replay_bench.bench_historical(repeat=cfg.historical_repeat)
    section("replay", "\n".join([*(replay_bench.render(r) for r in results["replay"]),
                       replay_bench.render_historical(results["historical"],
                                                      results["startup"])]))
    results["national"] = (national_bench.bench_national(cfg.historical_repeat)
                           if cfg.startup else None)
    section("national", national_bench.render(results["national"]))
    results["calibration"] = calibrate_bench.bench_calibration(
        max(cfg.calibrate_repeat, 1), smoke=cfg.calibrate_repeat == 0)
    section("calibration", calibrate_bench.render(results["calibration"]))
    results["memory"] = memory_bench.bench_memory(cfg.memory_ballots, cfg.memory_options,
                                                  cfg.memory_sim, cfg.memory_contrasts)
    section("memory", memory_bench.render(results["memory"]))
    results["scaling"] = scaling.series(
        ballots_bench.scaling_points(results["ballots"])
        + precinct_bench.scaling_points(results["precincts"])
        + pipeline_bench.scaling_points(results["pipeline"])
        + simulate_bench.scaling_points(sim)
        + replay_bench.scaling_points(results["replay"]))
    section("scaling", scaling.render(results["scaling"]))
    results["targets"] = targets(results)
    section("targets", render_targets(results["targets"]))
    env["load_average_end"] = _load()
    env["seconds"] = round(time.perf_counter() - t0, 1)
    echo(f"\n{cfg.name} run: {env['seconds']:.0f} s; load average (1, 5, 15 min) at the start"
         f" {env['load_average_start']}, at the end {env['load_average_end']}")
    return results


def targets(results: Figures) -> list[Target]:
    """The issue's targets (and the earlier issues' time limits) against the figures."""
    out = ballots_bench.targets(results["ballots"])
    out += precinct_bench.targets(results["precincts"])
    votes = results["simulation"].get("votes")
    if votes:
        ratio = votes["ratio_2_threads"]
        out.append({"target": f"votes draw >= {simulate_bench.TARGET_VOTES:g}x one-thread"
                              " Generator.multinomial",
                    "met": ratio >= simulate_bench.TARGET_VOTES,
                    "detail": f"{ratio:.2f}x on 2 threads ({votes['ratio_1_thread']:.2f}x on"
                              f" 1), {votes['runs']} runs"})
    out += memory_bench.targets(results["memory"])
    out += calibrate_bench.targets(results.get("calibration"))
    sim = results["simulation"].get("simulation")
    if sim and sim["runs"] == simulate_bench.TARGET_RUNS:
        best = min(sim["seconds"].values())
        out.append({"target": "10,000 simulation runs < 30 s (issue 4)",
                    "met": best < simulate_bench.TARGET_SECONDS, "detail": f"{best:.1f} s"})
    big = [r for r in results["replay"] if r["n_precincts"] == 100_000]
    if big:
        out.append({"target": "replay of 100,000 precincts < 3 s, start-up included (issue 2)",
                    "met": big[0]["command_s"] < replay_bench.TARGET_SECONDS,
                    "detail": f"{big[0]['command_s']:.2f} s"})
    hist = results["historical"]
    if hist:
        out.append({"target": "replay of kz-2021-rural < 0.5 s, start-up included (issue 3)",
                    "met": hist["command_s"] < replay_bench.TARGET_HISTORICAL,
                    "detail": f"{hist['command_s']:.3f} s (in process {hist['library_s']:.3f} s"
                              + (f"; importing the CLI alone {startup['import_cli_s']:.3f} s)"
                                 if (startup := results["startup"]) else ")")})
    out += national_bench.targets(results.get("national"))
    startup = results["startup"]
    if startup:
        out.append({"target": f"saylau --help < {replay_bench.TARGET_HELP} s (issue 14)",
                    "met": startup["help_s"] < replay_bench.TARGET_HELP,
                    "detail": f"{startup['help_s']:.3f} s"})
        if "semey_s" in startup:
            out.append({"target": f"saylau replay semey-2025 < {replay_bench.TARGET_SEMEY} s, "
                                  "start-up included (issue 14)",
                        "met": startup["semey_s"] < replay_bench.TARGET_SEMEY,
                        "detail": f"{startup['semey_s']:.3f} s"})
    return out


def render_targets(rows: list[Target]) -> str:
    """The targets as text: met, NOT met or not measured, and the figure behind it."""
    lines = ["targets, as measured in this run"]
    for t in rows:
        state = {True: "met", False: "NOT met", None: "not measured"}[t["met"]]
        lines.append(f"  {t['target']}: {state} ({t['detail']})")
    return "\n".join(lines)
