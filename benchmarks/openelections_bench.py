"""OpenElections files end to end: ``saylau replay`` of every race of a whole file, in a fresh
process, beside pyarrow reading the same file alone (the floor: its multi-threaded CSV reader,
the columns dictionary-coded, as saylau reads them).

The replay writes its per race and option CSV (``--format csv``; the indented JSON's encoder is
pure Python, seconds for thousands of races). Two inputs: a seeded national file
(``benchmarks/openelections_data.py``: 50 states, 150,000 precincts, about 10^7 rows in the
full run; a tenth in the quick one) and the shared state files (``../shared/samples/
openelections`` through ``scenarios/openelections/``), when they are at hand. Each command's
peak resident memory is its own (``VmHWM``, printed by the process itself).

Targets (issue 16): the national file read and replayed at >= 1 M rows/s end to end with peak
memory under 2x the file's size; each shared state file replayed in under 1 s.
"""

from __future__ import annotations

import csv
import json
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.openelections_data import make_national, scenario_text
from benchmarks.timing import Figures, Target, child_process

__all__ = ["TARGET_ROWS_PER_S", "TARGET_STATE_S", "bench_openelections", "render", "targets"]

TARGET_ROWS_PER_S = 1e6
TARGET_MEMORY_RATIO = 2.0
TARGET_STATE_S = 1.0

# A fresh process: replay a scenario (or read a CSV with pyarrow alone), then print the seconds
# and the peak resident set of the process.
_PROBE = r"""
import json, re, sys, time
t0 = time.perf_counter()
path, what = sys.argv[1], sys.argv[2]
if what == "saylau":
    from cli.main import main
    try:
        main(["replay", path, "--format", "csv", "--output", sys.argv[3]])
    except SystemExit as done:
        if done.code:
            raise
else:
    import csv
    import pyarrow as pa, pyarrow.csv as pacsv
    with open(path, encoding="utf-8", newline="") as f:
        names = next(csv.reader(f))
    coded = pa.dictionary(pa.int32(), pa.string())
    table = pacsv.read_csv(path, read_options=pacsv.ReadOptions(block_size=1 << 23),
                           convert_options=pacsv.ConvertOptions(
                               column_types=dict.fromkeys(names, coded),
                               strings_can_be_null=False))
peak = 0
with open("/proc/self/status") as f:
    peak = int(re.search(r"VmHWM:\s+(\d+)", f.read()).group(1))
print(json.dumps({"seconds": time.perf_counter() - t0, "peak_kib": peak}))
"""


def _probe(path: Path, what: str, out: Path) -> dict:
    done = child_process([sys.executable, "-c", _PROBE, str(path.resolve()), what,
                          str(out.resolve())])
    if done.returncode != 0:
        msg = f"{what} on {path.name}: exit {done.returncode}\n{done.stderr[-2000:]}"
        raise RuntimeError(msg)
    return json.loads(done.stdout.strip().splitlines()[-1])


def _best(runs: list[dict]) -> dict:
    return min(runs, key=lambda r: r["seconds"])


def bench_openelections(counties: int = 60, states: int = 50, precincts: int = 50,
                        repeat: int = 1, scenarios: Path | None = None) -> Figures:
    """The national file replayed whole (and read by pyarrow alone), best of ``repeat``; each
    shipped state scenario under ``scenarios`` replayed once (skipped when its file is absent).
    The replay's JSON is checked for every race before anything is reported."""
    out: Figures = {"states": []}
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "national.csv"
        t0 = time.perf_counter()
        rows = make_national(path, states=states, counties=counties, precincts=precincts)
        generated = time.perf_counter() - t0
        toml = Path(tmp) / "national.toml"
        toml.write_text(scenario_text(path.name), encoding="utf-8")
        result = Path(tmp) / "result.csv"
        saylau = _best([_probe(toml, "saylau", result) for _ in range(repeat)])
        with result.open(encoding="utf-8", newline="") as fh:
            races = {row["race_id"]: row for row in csv.DictReader(fh)}
        if not races or any(not r["valid"] or int(r["valid"]) <= 0 for r in races.values()):
            msg = "the national file did not replay as generated: nothing reported"
            raise AssertionError(msg)
        read = _best([_probe(path, "pyarrow", result) for _ in range(repeat)])
        out |= {"rows": rows, "mb": path.stat().st_size / 1e6, "races": len(races),
                "generated_s": generated, "saylau_s": saylau["seconds"],
                "saylau_peak_mb": saylau["peak_kib"] / 1024, "read_s": read["seconds"],
                "read_peak_mb": read["peak_kib"] / 1024}
    for toml in sorted(scenarios.glob("*.toml")) if scenarios and scenarios.is_dir() else ():
        files = [line for line in toml.read_text(encoding="utf-8").splitlines()
                 if line.startswith("files")]
        target = (toml.parent / files[0].split('"')[1]) if files else None
        if target is None or not target.is_file():
            continue
        with tempfile.TemporaryDirectory() as tmp:
            run = _best([_probe(toml, "saylau", Path(tmp) / "r.json") for _ in range(repeat)])
        out["states"].append({"scenario": toml.stem, "seconds": run["seconds"],
                              "peak_mb": run["peak_kib"] / 1024,
                              "mb": target.stat().st_size / 1e6})
    return out


def render(r: Figures) -> str:
    """The figures as text."""
    per_s = r["rows"] / r["saylau_s"]
    lines = [f"OpenElections files end to end (fresh processes; targets: >= "
             f"{TARGET_ROWS_PER_S:,.0f} rows/s, peak < {TARGET_MEMORY_RATIO:g}x the file, state "
             f"files < {TARGET_STATE_S:g} s)",
             f"  national file: {r['rows']:,} rows, {r['mb']:.0f} MB, {r['races']:,} races "
             f"(generated in {r['generated_s']:.1f} s)",
             f"    saylau replay, every race:   {r['saylau_s']:6.2f} s  {per_s:12,.0f} rows/s"
             f"  peak {r['saylau_peak_mb']:6,.0f} MB ({r['saylau_peak_mb'] / r['mb']:.1f}x)",
             f"    pyarrow reading it alone:    {r['read_s']:6.2f} s  "
             f"{r['rows'] / r['read_s']:12,.0f} rows/s  peak {r['read_peak_mb']:6,.0f} MB"
             f"  (saylau {r['saylau_s'] / r['read_s']:.1f}x)"]
    for s in r["states"]:
        lines.append(f"  {s['scenario']:<10} ({s['mb']:.1f} MB gzip): {s['seconds']:.2f} s, "
                     f"peak {s['peak_mb']:,.0f} MB")
    if not r["states"]:
        lines.append("  shared state files: skipped, ../shared/samples/openelections not found")
    return "\n".join(lines)


def targets(r: Figures) -> list[Target]:
    """The issue's targets against the figures."""
    per_s = r["rows"] / r["saylau_s"]
    ratio = r["saylau_peak_mb"] / r["mb"]
    out: list[Target] = [
        {"target": f"national OpenElections file >= {TARGET_ROWS_PER_S:,.0f} rows/s end to end "
                   "(issue 16)", "met": per_s >= TARGET_ROWS_PER_S if r["rows"] >= 10**7
                   else None,
         "detail": f"{per_s:,.0f} rows/s on {r['rows']:,} rows"},
        {"target": f"its peak memory < {TARGET_MEMORY_RATIO:g}x the file (issue 16)",
         "met": ratio < TARGET_MEMORY_RATIO if r["rows"] >= 10**7 else None,
         "detail": f"{ratio:.1f}x ({r['saylau_peak_mb']:,.0f} MB for {r['mb']:,.0f} MB)"}]
    if r["states"]:
        worst = max(r["states"], key=lambda s: s["seconds"])
        out.append({"target": f"each shared state file replayed < {TARGET_STATE_S:g} s "
                              "(issue 16)",
                    "met": worst["seconds"] < TARGET_STATE_S,
                    "detail": f"slowest {worst['scenario']} {worst['seconds']:.2f} s"})
    return out
