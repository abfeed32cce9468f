"""Time against size for every case and contender: the table, the slope, the log-log plot.

The slope is the least-squares fit of log(time) on log(size): 1 means the cost grows in
proportion to the work, below 1 that a fixed cost (a call, start-up) still weighs, above 1 that
each unit of work gets dearer (caches outgrown).
"""

from __future__ import annotations

import io
from collections.abc import Iterable
from pathlib import Path
from typing import TypedDict

from benchmarks.timing import slope

__all__ = ["plot", "render", "series"]

Point = tuple[str, str, int, float]  # case, contender, size, seconds


class Series(TypedDict):
    """One contender's times on one case, sizes ascending, and their slope."""

    case: str
    contender: str
    sizes: list[int]
    seconds: list[float]
    slope: float | None


def series(points: Iterable[Point]) -> list[Series]:
    """Points grouped by (case, contender), sizes ascending, each with its slope."""
    groups: dict[tuple[str, str], dict[int, float]] = {}
    for case, who, size, seconds in points:
        groups.setdefault((case, who), {})[int(size)] = float(seconds)
    out: list[Series] = []
    for (case, who), by_size in groups.items():
        sizes = sorted(by_size)
        times = [by_size[s] for s in sizes]
        out.append({"case": case, "contender": who, "sizes": sizes, "seconds": times,
                    "slope": slope(sizes, times)})
    return out


def _seconds(s: float) -> str:
    for unit, scale in (("s", 1.0), ("ms", 1e-3), ("us", 1e-6)):
        if s >= scale:
            return f"{s / scale:.3g} {unit}"
    return f"{s * 1e9:.3g} ns"


def render(rows: list[Series]) -> str:
    """One line per series: slope, then time at each size."""
    lines = ["scaling: time against size; slope of log(time) on log(size) (1 = linear)",
             f"  {'case':<30} {'contender':<19} {'slope':>5}  time at size"]
    for r in rows:
        k = "-" if r["slope"] is None else f"{r['slope']:.2f}"
        points = ", ".join(f"{s:.0e}: {_seconds(t)}" for s, t in
                           zip(r["sizes"], r["seconds"], strict=True))
        lines.append(f"  {r['case']:<30} {r['contender']:<19} {k:>5}  {points}")
    return "\n".join(lines)


def plot(rows: list[Series], path: Path | str) -> None:
    """Draw every case in its own log-log panel, one line per contender, to a PNG at ``path``
    (written atomically).

    Needs matplotlib (``pip install 'saylau[plot]'``); raises ImportError without it.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    cases = list(dict.fromkeys(r["case"] for r in rows))
    cols = 3 if len(cases) > 4 else 2
    n_rows = max(1, -(-len(cases) // cols))
    fig, axes = plt.subplots(n_rows, cols, figsize=(5.2 * cols, 3.9 * n_rows), squeeze=False)
    for ax, case in zip(axes.flat, cases, strict=False):
        for r in (r for r in rows if r["case"] == case):
            k = "" if r["slope"] is None else f" (slope {r['slope']:.2f})"
            derived = r["contender"].endswith("(derived)")
            ax.loglog(r["sizes"], r["seconds"], marker="" if derived else "o", markersize=3,
                      linestyle="--" if derived else "-", color="0.5" if derived else None,
                      label=f"{r['contender']}{'' if derived else k}")
        ax.set_title(case, fontsize=10)
        ax.set_xlabel("size", fontsize=8)
        ax.set_ylabel("seconds", fontsize=8)
        ax.tick_params(labelsize=7)
        ax.grid(True, which="major", alpha=0.3)
        ax.legend(fontsize=6.5, loc="best")
    for ax in list(axes.flat)[len(cases):]:
        ax.axis("off")
    fig.suptitle("saylau benchmarks: time against size (log-log)", fontsize=11)
    fig.tight_layout()
    from cli.output import write_atomic

    buf = io.BytesIO()
    try:
        fig.savefig(buf, format="png", dpi=110)
    finally:
        plt.close(fig)
    write_atomic(path, buf.getvalue())
