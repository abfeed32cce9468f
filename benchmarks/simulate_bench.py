"""The simulation's draws and runner, measured (issue 4).

Votes draw: the multinomial votes of ``runs`` runs of every precinct, shape (runs, precincts,
options), given realistic valid counts and Dirichlet shares drawn from the model. saylau's
draw (``engine.simulation.draws._multinomial_chain``: the compiled kernel when built) cut into
blocks of :data:`engine.simulation.seeds.BLOCK_RUNS` runs, each block with its own generator, on
one thread and on two threads (as ``engine.simulation.runner.run`` does), against ONE-thread
``Generator.multinomial(valid, shares)`` on the same arrays; also numpy's two threads and the
numpy fallback chain, for reference. The one- and two-thread draws are checked identical
before anything is timed; the contenders are timed in turns.

Whole simulation: ``engine.simulation.runner.run`` of a model shaped like the 2021 rural
elections (730 races, 1,847 precincts, 1,209,817 registered voters, 2 to 6 candidates and
against all) with ``jobs=1`` and ``jobs=2``; the two Summaries are checked identical, array
by array.

Ballot generators (issue 7): the peers' impartial-culture generators (VoteKit's and
prefsampling's, benchmarks/peers.py) for as many voters as one run's valid ballots, against
saylau drawing the votes of one run of every precinct. The peers draw one ranking per voter
and are timed on a sample of voters, their cost per voter carried to the run's voters.

Targets (issue 4): votes draw on both cores >= 2x one-thread ``Generator.multinomial``; 10,000
runs of the whole simulation in < 30 s.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from pathlib import Path

import attrs
import numpy as np

from benchmarks import peers
from benchmarks.timing import (
    Figures,
    environment,
    interleaved_medians,
    median_seconds,
    write_json,
)
from engine.law.rules import preset
from engine.simulation import draws as _draws
from engine.simulation.draws import draw
from engine.simulation.histograms import Histogram
from engine.simulation.model import Model
from engine.simulation.runner import run
from engine.simulation.seeds import BLOCK_RUNS
from engine.simulation.summary import Summary

__all__ = [
    "bench_generators",
    "bench_simulation",
    "bench_votes",
    "main",
    "make_model",
    "make_votes_input",
    "render",
    "scaling_points",
    "summary_arrays",
]

SEED = 20210725  # any fixed value: the data are the same in every run
# The 2021 rural akim elections (scenarios/historical/kz-2021-rural.toml).
RACES = 730
PRECINCTS = 1847
REGISTERED = 1_209_817
TURNOUT = 0.791
MAX_CANDIDATES = 6  # with against all: 7 options
CANDIDATES_P = {2: 0.35, 3: 0.30, 4: 0.20, 5: 0.10, 6: 0.05}  # 3.2 per race (2021: 3.2)
AGAINST_ALL = 0.03
RULES = "kz-2021-rural"

VOTES_RUNS_FULL, VOTES_RUNS_QUICK = 1024, 256
RUNS_FULL, RUNS_QUICK = 10_000, 1_000
TARGET_VOTES = 2.0  # issue 4: >= 2x one-thread Generator.multinomial, on both cores
TARGET_SECONDS = 30.0  # issue 4: 10,000 runs in < 30 s
TARGET_RUNS = 10_000


def make_model(n_precincts: int = PRECINCTS, n_races: int = RACES,
               registered: int = REGISTERED, seed: int = SEED) -> Model:
    """A seeded model of ``n_races`` races over ``n_precincts`` precincts (each race has one),
    ``registered`` voters in all, uneven precinct sizes and shares, against all on the ballot."""
    rng = np.random.default_rng([seed, n_precincts, n_races])
    race = rng.permutation(np.arange(n_precincts) % n_races)
    size = rng.lognormal(0.0, 0.6, n_precincts)
    reg = np.floor(size / size.sum() * registered).astype(np.int64)
    reg[: registered - int(reg.sum())] += 1  # the total exactly
    n_candidates = rng.choice(list(CANDIDATES_P), size=n_races, p=list(CANDIDATES_P.values()))
    n_candidates[0] = MAX_CANDIDATES  # the widest ballot sets the options: 6 + against all
    shares = rng.gamma(2.0, size=(n_races, MAX_CANDIDATES))
    shares[np.arange(MAX_CANDIDATES) >= n_candidates[:, None]] = 0.0
    shares *= (1 - AGAINST_ALL) / shares.sum(axis=1, keepdims=True)
    share_mean = np.concatenate([shares, np.full((n_races, 1), AGAINST_ALL)], axis=1)
    return Model.build(race, reg, n_candidates, share_mean, turnout_mean=TURNOUT)


def make_votes_input(model: Model, runs: int, seed: int = SEED) -> tuple[np.ndarray, np.ndarray]:
    """valid (runs, P) int64 and shares (runs, P, C) float64 (rows summing to 1) as the model
    draws them: valid ballots of its precincts, Dirichlet shares around its swung race means."""
    d = draw(model, runs, np.random.default_rng([seed, 1]), np.random.default_rng([seed, 2]))
    valid = d.cast - d.invalid
    s = d.share_mean[:, model.race, :]
    g = np.random.default_rng([seed, 3]).standard_gamma(
        s * model.share_concentration[model.race][:, None])
    shares = g / g.sum(axis=-1, keepdims=True)
    return valid, shares


def _check(name: str, expected: np.ndarray, actual: np.ndarray) -> None:
    if expected.tobytes() != actual.tobytes():
        msg = f"{name}: results differ, nothing timed"
        raise AssertionError(msg)


def bench_votes(model: Model, runs: int, repeat: int) -> Figures:
    """Time the votes draw of ``runs`` runs; figures in precinct draws per second."""
    valid, shares = make_votes_input(model, runs)
    c = shares.shape[-1]
    n_blocks = -(-runs // BLOCK_RUNS)
    blocks = [slice(b * BLOCK_RUNS, min((b + 1) * BLOCK_RUNS, runs)) for b in range(n_blocks)]
    seeds = np.random.SeedSequence(SEED).spawn(n_blocks)
    out = np.empty(shares.shape, dtype=np.int64)

    def block(b: int, chain: Callable[..., None] = _draws._multinomial_chain) -> None:
        chain(np.random.default_rng(seeds[b]), valid[blocks[b]], shares[blocks[b]],
              out[blocks[b]])

    def saylau_one() -> np.ndarray:
        for b in range(n_blocks):
            block(b)
        return out

    pool = ThreadPoolExecutor(2, thread_name_prefix="saylau-bench")

    def saylau_two() -> np.ndarray:
        list(pool.map(block, range(n_blocks)))
        return out

    def numpy_chain() -> np.ndarray:  # the fallback, whatever kernel is active
        for b in range(n_blocks):
            block(b, _draws._multinomial_chain_numpy)
        return out

    numpy_rng = np.random.default_rng([SEED, 4])

    def multinomial_one() -> np.ndarray:
        return numpy_rng.multinomial(valid, shares)

    halves = [slice(0, runs // 2), slice(runs // 2, runs)]
    numpy_rngs = [np.random.default_rng([SEED, 5]), np.random.default_rng([SEED, 6])]

    def multinomial_two() -> list[np.ndarray]:
        return list(pool.map(lambda i: numpy_rngs[i].multinomial(valid[halves[i]],
                                                                 shares[halves[i]]), (0, 1)))

    try:
        one = saylau_one().copy()
        _check("saylau's draw on two threads against one thread", one, saylau_two())
        for name, x in (("saylau", one), ("numpy fallback chain", numpy_chain()),
                        ("Generator.multinomial", multinomial_one())):
            if not ((x.sum(axis=-1) == valid).all() and (x >= 0).all()):
                msg = f"{name}: the votes do not add up to the valid ballots"
                raise AssertionError(msg)
        seconds = interleaved_medians({
            "saylau_1": saylau_one,
            "saylau_2": saylau_two,
            "multinomial_1": multinomial_one,
            "multinomial_2": multinomial_two,
            "numpy_chain_1": numpy_chain,
        }, repeat)
    finally:
        pool.shutdown()
    draws = runs * model.n_precincts
    result: Figures = {
        "runs": runs,
        "precincts": model.n_precincts,
        "options": c,
        "valid_mean": float(valid.mean()),
        "voters_per_run": float(valid.sum() / runs),
        "valid_p5_p95": [int(v) for v in np.percentile(valid, [5, 95])],
        "kernel": _draws.KERNEL,
        "identical_1_2_threads": True,
    }
    result |= {f"{k}_s": v for k, v in seconds.items()}
    result |= {f"{k}_per_s": draws / v for k, v in seconds.items()}
    base = seconds["multinomial_1"]
    result["ratio_2_threads"] = base / seconds["saylau_2"]
    result["ratio_1_thread"] = base / seconds["saylau_1"]
    result["scaling_saylau"] = seconds["saylau_1"] / seconds["saylau_2"]
    result["scaling_multinomial"] = base / seconds["multinomial_2"]
    return result


def summary_arrays(summary: Summary) -> dict[str, np.ndarray]:
    """Every array of a Summary, histograms as their keys and counts, by name."""
    arrays: dict[str, np.ndarray] = {}
    for field in attrs.fields(type(summary)):
        value = getattr(summary, field.name)
        if isinstance(value, Histogram):
            arrays[f"{field.name}.keys"] = value.keys
            arrays[f"{field.name}.counts"] = value.counts
        elif isinstance(value, np.ndarray | int):
            arrays[field.name] = np.asarray(value)
    return arrays


def bench_simulation(model: Model, runs: int, jobs: Sequence[int] = (1, 2)) -> Figures:
    """Seconds of ``engine.simulation.runner.run`` for each number of jobs (one run each: the runs
    are many); the Summaries must be identical."""
    rules = preset(RULES)
    seconds: dict[int, float] = {}
    first: dict[str, np.ndarray] | None = None
    for j in jobs:
        t0 = time.perf_counter()
        summary = run(model, rules, runs, SEED, jobs=j)
        seconds[j] = time.perf_counter() - t0
        arrays = summary_arrays(summary)
        if first is None:
            first = arrays
        else:
            differ = [k for k in first if not np.array_equal(first[k], arrays[k])]
            if differ or first.keys() != arrays.keys():
                msg = f"run(jobs={j}) differs from run(jobs={jobs[0]}) in {differ}"
                raise AssertionError(msg)
    assert first is not None
    return {
        "runs": runs,
        "races": model.n_races,
        "precincts": model.n_precincts,
        "registered": int(model.registered.sum()),
        "options": model.k + 1,
        "rules": RULES,
        "kernel": _draws.KERNEL,
        "seconds": {str(j): s for j, s in seconds.items()},
        "identical_jobs": [int(j) for j in jobs],
        "compared": sorted(first),
    }


def bench_generators(votes: Figures, sizes: Sequence[int], repeat: int
                     ) -> Figures:
    """The peers' impartial-culture generators for ``sizes`` voters over the draw's options,
    against the votes draw of one run (``votes``: a :func:`bench_votes` result)."""
    k = int(votes["options"])
    voters = votes["voters_per_run"]
    per_run = {"saylau_2": votes["saylau_2_s"] / votes["runs"],
               "multinomial_1": votes["multinomial_1_s"] / votes["runs"]}
    out: Figures = {"voters": voters, "options": k, "per_run_s": per_run,
                    "peers": {}, "skipped": []}
    for name, generate in peers.GENERATORS.items():
        if not peers.available(name):
            out["skipped"].append(name)
            continue
        row: Figures = {"sizes": [], "seconds": []}
        for n in sizes:
            if generate(n, k, SEED) != n:  # also the warm-up
                msg = f"{name}: the generator did not give {n} ballots"
                raise AssertionError(msg)
            row["sizes"].append(n)
            row["seconds"].append(median_seconds(partial(generate, n, k, SEED), repeat))
        per_voter = row["seconds"][-1] / row["sizes"][-1]
        row["per_run_s"] = per_voter * voters  # carried from the largest sample
        row["ratio"] = {c: row["per_run_s"] / s for c, s in per_run.items()}
        out["peers"][name] = row
    return out


def _met(ok: bool) -> str:
    return "met" if ok else "NOT met"


def _ratio(r: float) -> str:
    return f"{r:.1e}x" if r >= 1e4 else f"{r:,.0f}x" if r >= 100 else f"{r:.2f}x"


def render_generators(g: Figures) -> str:
    """The peers' generators against one run's votes draw, as text."""
    lines = [f"ballot generators for one run's {g['voters']:,.0f} voters, {g['options']} options"
             " (peers: impartial culture, timed on a sample, cost per voter carried)",
             f"  saylau's votes draw of one run: {g['per_run_s']['saylau_2'] * 1e3:.2f} ms on 2"
             f" threads; Generator.multinomial {g['per_run_s']['multinomial_1'] * 1e3:.2f} ms"
             " on 1"]
    for name, row in g["peers"].items():
        lines.append(f"  {name + ':':<13} {row['per_run_s']:>9.2f} s ({row['sizes'][-1]:,}"
                     f" voters in {row['seconds'][-1]:.3f} s)  saylau"
                     f" {_ratio(row['ratio']['saylau_2'])} faster, Generator.multinomial"
                     f" {_ratio(row['ratio']['multinomial_1'])}")
    lines += [peers.skip_line(name, "its generator") for name in g["skipped"]]
    return "\n".join(lines)


def scaling_points(results: Figures) -> list[tuple[str, str, int, float]]:
    """(case, contender, size, seconds): the votes draw against runs, the peers' generators
    against voters, the whole simulation against runs."""
    points = []
    for v in [*results.get("votes_scaling", []), results.get("votes")]:
        if v:
            points += [("votes draw (runs)", name, v["runs"], v[f"{name}_s"])
                       for name in ("saylau_2", "saylau_1", "multinomial_1")]
    g = results.get("generators")
    if g:
        for name, row in g["peers"].items():
            points += [("ballot generators (voters)", name, n, s)
                       for n, s in zip(row["sizes"], row["seconds"], strict=True)]
    for s in [*results.get("simulation_scaling", []), results.get("simulation")]:
        if s:
            points += [("whole simulation (runs)", f"jobs={j}", s["runs"], sec)
                       for j, sec in s["seconds"].items()]
    return points


def render(results: Figures) -> str:
    """The figures as a compact text report."""
    lines: list[str] = []
    v = results.get("votes")
    if v is not None:
        lines += [
            f"votes draw, {v['runs']} runs x {v['precincts']} precincts x {v['options']} options"
            f" (valid ballots: mean {v['valid_mean']:.0f}, 5%-95% {v['valid_p5_p95'][0]}"
            f"-{v['valid_p5_p95'][1]}; kernel {v['kernel']})",
            f"  target: saylau on both cores >= {TARGET_VOTES:g}x one-thread"
            " Generator.multinomial",
            f"{'':34} {'seconds':>8} {'draws/s':>12} {'x multinomial':>14}",
        ]
        base = v["multinomial_1_s"]
        for key, label in (("saylau_2", "saylau, 2 threads (2 generators)"),
                           ("saylau_1", "saylau, 1 thread"),
                           ("multinomial_1", "Generator.multinomial, 1 thread"),
                           ("multinomial_2", "Generator.multinomial, 2 threads"),
                           ("numpy_chain_1", "numpy fallback chain, 1 thread")):
            lines.append(f"  {label:<32} {v[key + '_s']:>8.3f} {v[key + '_per_s']:>12,.0f}"
                         f" {base / v[key + '_s']:>13.2f}x")
        lines += [
            f"  ratio, saylau on 2 threads / one-thread multinomial: {v['ratio_2_threads']:.2f}x"
            f"  {_met(v['ratio_2_threads'] >= TARGET_VOTES)}",
            f"  per core: {v['ratio_1_thread']:.2f}x; two threads scale saylau"
            f" {v['scaling_saylau']:.2f}x, Generator.multinomial {v['scaling_multinomial']:.2f}x",
            "  one and two threads draw identical votes: yes (checked before timing)",
        ]
    s = results.get("simulation")
    if s is not None:
        if lines:
            lines.append("")
        target = (f"target: {TARGET_RUNS:,} runs in < {TARGET_SECONDS:g} s"
                  if s["runs"] == TARGET_RUNS else
                  f"target at {TARGET_RUNS:,} runs: < {TARGET_SECONDS:g} s; "
                  f"{s['runs']:,} runs here")
        lines += [
            f"whole simulation: engine.simulation.runner.run, {s['runs']:,} runs of "
            f"{s['races']} races, {s['precincts']:,} precincts, {s['registered']:,} registered, "
            f"{s['options']} options ({s['rules']}; kernel {s['kernel']})",
            f"  {target}",
        ]
        for j, sec in s["seconds"].items():
            met = f"  {_met(sec < TARGET_SECONDS)}" if s["runs"] == TARGET_RUNS else ""
            lines.append(f"  jobs={j}: {sec:7.2f} s  {s['runs'] / sec:8,.0f} runs/s{met}")
        jobs = " and ".join(f"--jobs {j}" for j in s["identical_jobs"])
        lines.append(f"  {jobs} give identical Summaries: yes ({len(s['compared'])} arrays"
                     " compared)")
    return "\n".join(lines)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m benchmarks simulate",
                                     description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true",
                        help=f"{VOTES_RUNS_QUICK} runs in the votes draw, {RUNS_QUICK:,} in the"
                             " whole simulation")
    parser.add_argument("--json", type=Path, metavar="PATH", help="also write the figures here")
    parser.add_argument("--repeat", type=int, default=None, help="runs per timing (median)")
    parser.add_argument("--votes-runs", type=int, metavar="N", help="runs in the votes draw"
                        " (0: skip)")
    parser.add_argument("--runs", type=lambda s: int(float(s)), metavar="N",
                        help="runs of the whole simulation (0: skip)")
    parser.add_argument("--peer-voters", type=lambda s: int(float(s)), action="append",
                        metavar="N", help="time the peers' generators on N voters (repeatable)")
    parser.add_argument("--precincts", type=int, default=PRECINCTS, help=argparse.SUPPRESS)
    parser.add_argument("--races", type=int, default=RACES, help=argparse.SUPPRESS)
    return parser


def measure(args: argparse.Namespace) -> Figures:
    """All measurements the options ask for."""
    repeat = args.repeat or (3 if args.quick else 5)
    votes_runs = (VOTES_RUNS_QUICK if args.quick else VOTES_RUNS_FULL) \
        if args.votes_runs is None else args.votes_runs
    runs = (RUNS_QUICK if args.quick else RUNS_FULL) if args.runs is None else args.runs
    return run_cases(make_model(args.precincts, args.races,
                                round(REGISTERED * args.precincts / PRECINCTS)),
                     [votes_runs] if votes_runs > 0 else [], [runs] if runs > 0 else [],
                     args.peer_voters or [], repeat)


def run_cases(model: Model, votes_runs: Sequence[int], sim_runs: Sequence[int],
              peer_voters: Sequence[int], repeat: int) -> Figures:
    """The votes draw at each number of runs (the last, the largest, in full under "votes"),
    the peers' generators, the whole simulation at each number of runs (both job counts for the
    last, under "simulation"; two jobs for the others)."""
    results: Figures = {"environment": environment() | {"draws": _draws.KERNEL}}
    if votes_runs:
        results["votes_scaling"] = [bench_votes(model, r, repeat) for r in votes_runs[:-1]]
        results["votes"] = bench_votes(model, votes_runs[-1], repeat)
        if peer_voters:
            results["generators"] = bench_generators(results["votes"], peer_voters,
                                                     max(1, min(repeat, 3)))
    if sim_runs:
        results["simulation_scaling"] = [bench_simulation(model, r, jobs=(2,))
                                          for r in sim_runs[:-1]]
        results["simulation"] = bench_simulation(model, sim_runs[-1])
    return results


def render_all(results: Figures) -> str:
    """:func:`render`, then the generators and the scaling in runs."""
    lines = [render(results)]
    if results.get("generators"):
        lines += ["", render_generators(results["generators"])]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m benchmarks simulate``: measure, print, optionally write JSON."""
    args = _parser().parse_args(argv)
    if _draws.KERNEL != "c":
        print("warning: engine.tally._kernels is not built here, so the numpy fallback draws are"
              " measured; build it in place with `pip install -e .`", file=sys.stderr)
    results = measure(args)
    print(render_all(results))
    if args.json is not None:
        write_json(results, args.json)
        print(f"\nwrote {args.json}")
    sys.stdout.flush()
    return 0
