"""A replay of a large generated precinct file read whole and in partitions: time and peak
resident memory, each run a fresh process, outputs compared byte for byte.

``python -m benchmarks.partition_bench --stations 10000000`` writes the file of
:mod:`benchmarks.national_file` (about 1.1 GB at 10^7 stations) to a temporary folder (or
``--folder``), then runs ``saylau replay FILE --format json`` in memory and with ``--partition``
on 1 and 2 threads (and ``--scheduler local:2`` with ``--cluster``). A run's peak is the
process's ``VmHWM`` (its resident set at its highest, read from /proc/self/status when the
command returns); a LocalCluster's workers are other processes, so only its time is quoted.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.national_file import write
from benchmarks.timing import child_process

__all__ = ["main", "measure"]

_PROBE = r"""
import json, re, sys
from cli.main import main
args = json.loads(sys.argv[1])
try:
    main(args, standalone_mode=False)
except SystemExit as e:
    if e.code:
        raise
with open("/proc/self/status") as f:
    peak = int(re.search(r"VmHWM:\s+(\d+)", f.read()).group(1))
print(json.dumps({"peak_mib": peak / 1024}))
"""


def measure(scenario: Path, out: Path, *extra: str) -> dict[str, float]:
    """One replay of ``scenario`` in a fresh process: seconds (start-up included) and peak MiB."""
    args = ["replay", str(scenario), "--format", "json", "-o", str(out), *extra]
    start = time.perf_counter()
    done = child_process([sys.executable, "-c", _PROBE, json.dumps(args)])
    seconds = time.perf_counter() - start
    if done.returncode:
        msg = f"saylau {' '.join(args)} failed: {done.stderr.strip()[-400:]}"
        raise RuntimeError(msg)
    return {"seconds": seconds, **json.loads(done.stdout.strip().splitlines()[-1])}


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--stations", type=int, default=1_000_000)
    p.add_argument("--partition", default="64M")
    p.add_argument("--repeat", type=int, default=2)
    p.add_argument("--folder", type=Path, default=None)
    p.add_argument("--cluster", action="store_true", help="also on a LocalCluster of 2 workers")
    a = p.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        folder = a.folder or Path(tmp)
        scenario = folder / "national.toml"
        if not (scenario.is_file() and (folder / "national.csv").is_file()):
            t = time.perf_counter()
            write(folder, a.stations)
            print(f"wrote {a.stations:,} stations in {time.perf_counter() - t:.1f} s")
        size = (folder / "national.csv").stat().st_size
        print(f"national.csv: {size / 2**20:,.0f} MiB")
        runs = {"in memory": [], f"--partition {a.partition} --jobs 1":
                ["--partition", a.partition, "--jobs", "1"],
                f"--partition {a.partition} --jobs 2": ["--partition", a.partition, "--jobs", "2"]}
        if a.cluster:
            runs[f"--partition {a.partition} --scheduler local:2"] = [
                "--partition", a.partition, "--scheduler", "local:2"]
        outputs = {}
        for _ in range(a.repeat):
            for i, (name, extra) in enumerate(runs.items()):
                out = folder / f"out{i}.json"
                m = measure(scenario, out, *extra)
                peak = "" if "scheduler" in name else f", peak {m['peak_mib']:,.0f} MiB"
                print(f"{name:<44} {m['seconds']:7.1f} s{peak}", flush=True)
                outputs[name] = out.read_bytes()
        same = len(set(outputs.values())) == 1
        print("outputs byte-identical" if same else "OUTPUTS DIFFER")
        if not same:
            raise SystemExit(1)


if __name__ == "__main__":
    main()
