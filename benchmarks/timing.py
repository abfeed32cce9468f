"""What every benchmark shares: the timers, the equality check, the environment, JSON out."""

from __future__ import annotations

import json
import math
import os
import platform
import subprocess
import tempfile
import time
from collections.abc import Callable, Sequence
from importlib import metadata
from pathlib import Path
from typing import Any, TypeAlias, TypedDict, cast

import numpy as np

__all__ = [
    "SEED",
    "Figures",
    "Target",
    "check_equal",
    "child_process",
    "environment",
    "interleaved_medians",
    "jsonable",
    "median_seconds",
    "render_environment",
    "slope",
    "write_json",
]

SEED = 20211010  # any fixed value: the data are the same in every run

# A record of figures as measured and written out as JSON: names to numbers, strings, lists and
# nested records, each read back by its key (so its values are typed Any).
Figures: TypeAlias = dict[str, Any]


class Target(TypedDict):
    """One of the issues' targets against the figures: met, not (False) or not measured (None)."""

    target: str
    met: bool | None
    detail: str

# Versions reported with the figures, when installed.
_PACKAGES = ("numpy", "scipy", "pandas", "votekit", "pref_voting", "votelib", "prefsampling")


# A timed sample lasts at least this long: calls shorter than that are repeated within the
# sample and averaged, so the clock's resolution and a call's jitter do not decide the figure.
MIN_SAMPLE_SECONDS = 2e-3


def _sample(fn: Callable[[], object], number: int) -> float:
    t0 = time.perf_counter()
    for _ in range(number):
        fn()
    return (time.perf_counter() - t0) / number


def _number(fn: Callable[[], object]) -> int:
    """Calls per sample: enough to last :data:`MIN_SAMPLE_SECONDS` (one call is made, and
    thrown away: it warms caches, imports, compiles)."""
    once = _sample(fn, 1)
    return 1 if once >= MIN_SAMPLE_SECONDS else min(10_000, int(MIN_SAMPLE_SECONDS / once) + 1)


def median_seconds(fn: Callable[[], object], repeat: int, *, warm_up: bool = True) -> float:
    """The median over ``repeat`` samples of the seconds one call of ``fn`` takes.

    ``warm_up=False``: no call is thrown away and a sample is one call (for a command run in a
    fresh process, which has nothing to warm and takes long enough)."""
    if warm_up:
        return interleaved_medians({"fn": fn}, repeat)["fn"]
    return float(np.median([_sample(fn, 1) for _ in range(max(1, repeat))]))


def interleaved_medians(fns: dict[str, Callable[[], object]], repeat: int) -> dict[str, float]:
    """The median over ``repeat`` samples of the seconds one call of each function takes, the
    samples taken in turns (one of each, ``repeat`` times), so a passing load on the machine
    weighs on all alike. A sample of a call shorter than :data:`MIN_SAMPLE_SECONDS` times
    several calls and takes their mean."""
    numbers = {name: _number(fn) for name, fn in fns.items()}
    times: dict[str, list[float]] = {name: [] for name in fns}
    for _ in range(max(1, repeat)):
        for name, fn in fns.items():
            times[name].append(_sample(fn, numbers[name]))
    return {name: float(np.median(t)) for name, t in times.items()}


def check_equal(name: str, expected: object, actual: object) -> None:
    """Raise AssertionError unless the two results are equal: nothing is timed then."""
    if not np.array_equal(np.asarray(expected), np.asarray(actual)):
        msg = f"{name} disagrees with saylau: results differ, nothing timed"
        raise AssertionError(msg)


def child_process(args: Sequence[str], **kwargs: Any) -> subprocess.CompletedProcess[str]:
    """Run ``args`` (a Python command line) with the saylau this process imported: its folders
    first on PYTHONPATH, and a neutral working folder, so a checkout in the current folder cannot
    stand in for an installed saylau (or its compiled kernels)."""
    import benchmarks
    import engine

    # both are packages imported from their folders: __file__ is set
    roots = [str(Path(cast(str, m.__file__)).resolve().parents[1]) for m in (engine, benchmarks)]
    old = os.environ.get("PYTHONPATH")
    path = os.pathsep.join(dict.fromkeys([*roots, *([old] if old else [])]))
    return subprocess.run(list(args), capture_output=True, text=True, check=False,
                          cwd=tempfile.gettempdir(), env=os.environ | {"PYTHONPATH": path},
                          **kwargs)


def slope(sizes: Sequence[float], seconds: Sequence[float]) -> float | None:
    """The least-squares slope of log(seconds) against log(size): 1 is linear; None with fewer
    than two distinct sizes."""
    pairs = [(s, t) for s, t in zip(sizes, seconds, strict=True) if s > 0 and t > 0]
    if len({s for s, _ in pairs}) < 2:
        return None
    x = np.log10([s for s, _ in pairs])
    y = np.log10([t for _, t in pairs])
    return float(np.polyfit(x, y, 1)[0])


def _cpu_model() -> str | None:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            return next((ln.split(":", 1)[1].strip() for ln in f
                         if ln.startswith("model name")), None)
    except OSError:
        return None


def _caches() -> str | None:
    """The data caches of CPU 0, e.g. 'L1d 32K, L2 512K, L3 32768K' (Linux only)."""
    root = Path("/sys/devices/system/cpu/cpu0/cache")
    parts = []
    for index in sorted(root.glob("index*")):
        try:
            kind = (index / "type").read_text().strip()
            if kind == "Instruction":
                continue
            level = (index / "level").read_text().strip()
            size = (index / "size").read_text().strip()
        except OSError:
            continue
        parts.append(f"L{level}{'d' if kind == 'Data' else ''} {size}")
    return ", ".join(parts) or None


def _version(package: str) -> str | None:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return None


def environment() -> Figures:
    """What the figures were measured on."""
    import engine.tally.ballots
    import engine.tally.threads

    return {
        "python": platform.python_version(),
        **{p: _version(p) for p in _PACKAGES},
        "platform": platform.platform(),
        "cpu": _cpu_model() or platform.processor() or platform.machine(),
        "caches": _caches(),
        "cpu_count": os.cpu_count(),
        "cpus_usable": engine.tally.threads.cores(),
        "kernel": engine.tally.ballots.KERNEL,
    }


def render_environment(env: Figures) -> str:
    """Two lines: versions and cores, then the machine."""
    skip = {"platform", "cpu", "caches"}
    known = ", ".join(f"{k} {v}" for k, v in env.items() if k not in skip and v is not None)
    missing = [k for k, v in env.items() if k not in skip and v is None]
    lines = [f"environment: {known}"]
    if missing:
        lines.append(f"  not installed: {', '.join(missing)}")
    lines.append(f"  cpu: {env['cpu']}; caches {env['caches']} ({env['platform']})")
    return "\n".join(lines)


def jsonable(value: object) -> object:
    """``value`` with numpy scalars and arrays turned into plain Python, nan into None."""
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    if isinstance(value, np.ndarray):
        return jsonable(value.tolist())
    if isinstance(value, np.generic):
        return jsonable(value.item())
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def write_json(results: Figures, path: Path) -> None:
    """Write the figures to ``path`` atomically (the CLI's writer)."""
    from cli.output import write_atomic

    write_atomic(path, (json.dumps(jsonable(results), indent=2) + "\n").encode("utf-8"))
