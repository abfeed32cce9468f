"""``python -m benchmarks [--quick] [--json PATH]``: see benchmarks/README.md.

The tally and replay benchmarks, then the simulation's (benchmarks/simulate_bench.py), which
reads --quick, --repeat and --json from the same command line and adds its figures to the JSON
file under "simulation". ``python -m benchmarks simulate [options]``: the simulation's alone.
"""

import sys

from benchmarks import simulate_bench
from benchmarks.tally_bench import main


def _main(argv: list[str]) -> int:
    if argv[:1] == ["simulate"]:
        return simulate_bench.main(argv[1:])
    code = main(argv)
    if code == 0:
        print()
        code = simulate_bench.main(argv, alongside=True)
    return code


raise SystemExit(_main(sys.argv[1:]))
