"""Inference in bounded time: replaying races whose registered voters are unknown, each with a
published turnout and a candidate's share (the news-figure case of issue 17: before the closed
forms, one such race cost about 3 s of CPU and 100 cost 118 s).

``python -m benchmarks.inference_bench [--races N] [--repeat R]``: the median CPU time of the
replay (the scenario loaded once), and the intervals found, checked before timing.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Sequence

from benchmarks.timing import Figures

__all__ = ["bench_inference", "main", "scenario_text"]


def scenario_text(races: int) -> str:
    """``races`` races: a turnout and A's share published, registered voters and against all
    not; the shares chosen so that every race is consistent."""
    body = "".join(
        f'[[race]]\nid = "r{i}"\n[race.published]\nturnout = "{40 + i % 50 * 0.7:.1f}"\n'
        f'[[race.candidate]]\nname = "A"\nvotes = {1000 + 7 * i}\n'
        f'published = {{ share = "{100 * (1000 + 7 * i) / (1600 + 10 * i):.1f}" }}\n'
        f'[[race.candidate]]\nname = "B"\nvotes = {500 + 3 * i}\n' for i in range(races))
    return '[election]\nname = "inference bench"\nrules = "kz-2021-rural"\n' + body


def bench_inference(races: int = 100, repeat: int = 5) -> Figures:
    """Median and range of the replay's CPU seconds over ``repeat`` runs."""
    from engine.formats.scenario import loads
    from engine.replay.run import replay

    scenario = loads(scenario_text(races))
    rp = replay(scenario)
    registered = [i for i in rp.inferred if i.key == "registered"]
    if len(registered) != races or any(i.high is not None for i in registered):
        msg = "every race's registered voters are inferred, with no upper bound"
        raise AssertionError(msg)
    times = []
    for _ in range(repeat):
        start = time.process_time()
        replay(scenario)
        times.append(time.process_time() - start)
    return {"races": races, "median_s": statistics.median(times), "min_s": min(times),
            "max_s": max(times), "inferred": len(rp.inferred)}


def main(argv: Sequence[str] | None = None) -> None:
    """Measure and print."""
    ap = argparse.ArgumentParser(prog="python -m benchmarks.inference_bench")
    ap.add_argument("--races", type=int, default=100)
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args(argv)
    f = bench_inference(args.races, args.repeat)
    print(f"replay of {f['races']} races with registered voters unknown ({f['inferred']} "
          f"counts inferred): {f['median_s']:.3f} s CPU median ({f['min_s']:.3f}-"
          f"{f['max_s']:.3f})")


if __name__ == "__main__":
    main()
