"""A national precinct file replayed as published (issue 15): the 2018 Russian presidential
election's 97,699 station protocols (../shared/data/ru-2018), read from the shared folder.

In one run, each in a fresh process: ``saylau replay scenarios/national/ru-2018.toml`` end to
end (the table written to a file), beside a minimal script that only imports numpy and pyarrow,
reads the same zipped CSV with pyarrow and sums its columns (the floor: what reading the file
costs at all); ``saylau forensics`` on it; and the peak resident memory of the replay against
the file's size. The replay's output is checked (national totals) before anything is timed.
"""

from __future__ import annotations

import re
import sys
import tempfile
from pathlib import Path
from typing import Any

from benchmarks.timing import Figures, Target, child_process, median_seconds

__all__ = ["TARGET_FORENSICS_S", "TARGET_MEMORY_X", "TARGET_RATIO", "TARGET_S",
           "bench_national", "render", "targets"]

TARGET_RATIO = 1.5       # the replay <= 1.5x the minimal pyarrow script
TARGET_S = 0.8           # ... and under 0.8 s
TARGET_FORENSICS_S = 2.5
TARGET_MEMORY_X = 3.0    # peak resident memory under 3x the (unzipped) file's size

_MINIMAL = r"""
import sys, zipfile
import numpy as np, pyarrow as pa, pyarrow.csv as pcsv
with zipfile.ZipFile(sys.argv[1]) as z:
    data = z.read(z.namelist()[0])
table = pcsv.read_csv(pa.BufferReader(data))
sums = [np.asarray(table.column(i).combine_chunks()).sum()
        for i in range(3, table.num_columns - 1)]
"""

_PEAK = r"""
import re, sys
from cli.main import main
sys.argv = ["saylau", *sys.argv[1:]]
try:
    main()
except SystemExit:
    pass
with open("/proc/self/status") as f:
    print(re.search(r"VmHWM:\s+(\d+)", f.read()).group(1), file=sys.stderr)
"""


def _paths() -> tuple[Path, Path] | None:
    root = Path(__file__).resolve().parents[1]
    scenario = root / "scenarios" / "national" / "ru-2018.toml"
    data = root.parent / "shared" / "data" / "ru-2018" / "2018.csv.zip"
    return (scenario, data) if scenario.is_file() and data.is_file() else None


def _run(args: list[str]) -> str:
    done = child_process(args)
    if done.returncode != 0:
        msg = f"{' '.join(args[2:])}: exit {done.returncode}\n{done.stderr}"
        raise RuntimeError(msg)
    return done.stderr


def bench_national(repeat: int = 3) -> Figures | None:
    """The figures, or None when the shared file is not beside the checkout."""
    found = _paths()
    if found is None:
        return None
    scenario, data = found
    saylau = [sys.executable, "-c", "from cli.main import main; main()"]
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "ru.json"
        _run([*saylau, "replay", str(scenario), "--format", "json", "-o", str(out)])
        if '"registered": 109008428' not in out.read_text(encoding="utf-8"):
            msg = "the 2018 file did not replay to its national totals: nothing timed"
            raise AssertionError(msg)
        table = Path(tmp) / "ru.txt"
        replay_s = median_seconds(
            lambda: _run([*saylau, "replay", str(scenario), "-o", str(table)]), repeat,
            warm_up=False)
        minimal_s = median_seconds(lambda: _run([sys.executable, "-c", _MINIMAL, str(data)]),
                                   repeat, warm_up=False)
        forensics_s = median_seconds(
            lambda: _run([*saylau, "forensics", str(scenario), "-o", str(Path(tmp) / "f.txt")]),
            max(1, repeat - 1), warm_up=False)
        peak = _run([sys.executable, "-c", _PEAK, "replay", str(scenario), "-o", str(table)])
    import zipfile

    with zipfile.ZipFile(data) as z:
        size = z.infolist()[0].file_size
    peak_kib = int(re.findall(r"\d+", peak)[-1])
    return {"stations": 97_699, "file_mb": size / 1e6, "replay_s": replay_s,
            "minimal_s": minimal_s, "ratio": replay_s / minimal_s, "forensics_s": forensics_s,
            "peak_mb": peak_kib * 1024 / 1e6, "memory_x": peak_kib * 1024 / size}


def render(r: Figures | None) -> str:
    if r is None:
        return ("national file (ru-2018): skipped, ../shared/data/ru-2018 is not beside the "
                "checkout")
    return "\n".join([
        f"national file: the 2018 Russian election, {r['stations']:,} stations, "
        f"{r['file_mb']:.1f} MB of CSV (zipped), fresh processes",
        f"  saylau replay (table to a file)      {r['replay_s']:.2f} s  "
        f"(target < {TARGET_S} s and <= {TARGET_RATIO}x the floor)",
        f"  floor: pyarrow reads and sums it     {r['minimal_s']:.2f} s  "
        f"ratio {r['ratio']:.2f}x",
        f"  saylau forensics                     {r['forensics_s']:.2f} s  "
        f"(target < {TARGET_FORENSICS_S} s)",
        f"  replay's peak resident memory        {r['peak_mb']:.0f} MB = "
        f"{r['memory_x']:.1f}x the file (target < {TARGET_MEMORY_X}x)"])


def targets(r: Any) -> list[Target]:
    if r is None:
        return []
    return [
        {"target": f"ru-2018 replay < {TARGET_S} s and <= {TARGET_RATIO}x pyarrow's read "
                   "(issue 15)",
         "met": r["replay_s"] < TARGET_S and r["ratio"] <= TARGET_RATIO,
         "detail": f"{r['replay_s']:.2f} s, {r['ratio']:.2f}x"},
        {"target": f"ru-2018 forensics < {TARGET_FORENSICS_S} s (issue 15)",
         "met": r["forensics_s"] < TARGET_FORENSICS_S, "detail": f"{r['forensics_s']:.2f} s"},
        {"target": f"ru-2018 replay peak memory < {TARGET_MEMORY_X}x the file (issue 15)",
         "met": r["memory_x"] < TARGET_MEMORY_X, "detail": f"{r['memory_x']:.1f}x"},
    ]
