"""``python -m benchmarks [--quick] [--output PATH] [--plot PNG]``: see benchmarks/README.md.

``python -m benchmarks simulate [options]`` measures the simulation's draws and runner alone;
``python -m benchmarks calibrate [--repeat N]`` the calibration of the 2013 indirect round.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from benchmarks import calibrate_bench, runner, scaling, simulate_bench
from benchmarks.timing import write_json


def main(argv: Sequence[str] | None = None) -> int:
    """Measure, print, and write the figures and the plot when asked."""
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["simulate"]:
        return simulate_bench.main(argv[1:])
    if argv[:1] == ["calibrate"]:
        return calibrate_bench.main(argv[1:])
    parser = argparse.ArgumentParser(prog="python -m benchmarks",
                                     description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="smaller sizes: 1-3 minutes")
    parser.add_argument("--output", "--json", "-o", type=Path, metavar="PATH",
                        help="also write the figures here as JSON")
    parser.add_argument("--plot", type=Path, metavar="PNG",
                        help="draw time against size, log-log (needs matplotlib)")
    parser.add_argument("--repeat", type=int, default=None, help="timed samples per figure")
    parser.add_argument("--smoke", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    results = runner.run(runner.config(quick=args.quick, smoke=args.smoke, repeat=args.repeat))
    if args.output is not None:
        write_json(results, args.output)
        print(f"wrote {args.output}")
    if args.plot is not None:
        scaling.plot(results["scaling"], args.plot)
        print(f"wrote {args.plot}")
    sys.stdout.flush()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
