"""Ballot-level plurality tally: one uint8 option code per ballot -> counts, one race, one core.

Contenders on the same seeded ballots (benchmarks/streams.py), all checked equal to saylau's
counts before anything is timed:

- saylau: ``engine.tally.ballots.count_codes`` (the compiled kernel when built), and its numpy
  fallback kernel;
- ``np.bincount``; pandas ``Series.value_counts``; ``collections.Counter`` on the bytes; a pure
  Python loop (one list increment per ballot);
- the peers' own ways (benchmarks/peers.py): VoteKit, pref_voting, votelib.

The fast contenders are timed at every size, in turns. The slow ones are timed at every size up
to a cap (the first ballots of the same election) and their cost per ballot at the largest size
timed is carried to the sizes above it (marked ``~``): linear cost is assumed there, which
overstates them by at most their fixed cost per call's share at the cap. Streamed: the ballots
of a file read in 4 MiB chunks into one buffer (``engine.tally.ballots.count_codes_stream``) against
``np.bincount`` and pandas on the same chunks, and reading alone. The read bandwidth of one core
is measured in the same run: the fastest of three read-only numpy passes over a buffer larger
than the caches.
"""

from __future__ import annotations

import tempfile
from collections import Counter
from collections.abc import Callable, Sequence
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

import engine.tally.ballots
from benchmarks import peers
from benchmarks.streams import CHUNK_BYTES, make_ballots, read_chunks, write_ballots
from benchmarks.timing import Figures, Target, check_equal, interleaved_medians, median_seconds

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "bench_ballots",
    "bench_bandwidth",
    "bench_in_memory",
    "bench_sampled",
    "bench_streamed",
    "python_loop_count",
    "render",
    "scaling_points",
    "targets",
]

OPTIONS = (2, 7, 16)
TARGET_BINCOUNT = 4.0  # issue 7: >= 4x np.bincount
TARGET_PEERS = 1000.0  # issue 7: >= 1000x VoteKit and pref_voting
FAST = ("saylau", "numpy_fallback", "bincount", "pandas")
PYTHON = ("Counter", "python")
PEERS = tuple(peers.TALLIES)
BASELINES = ("bincount", "pandas", "Counter", "python", *PEERS, "numpy_fallback")


def python_loop_count(codes: bytes, n_codes: int) -> list[int]:
    """The pure Python tally: one list increment per ballot."""
    counts = [0] * n_codes
    for c in codes:
        counts[c] += 1
    return counts


def _pandas_counts(series: pd.Series, k: int) -> np.ndarray:
    return series.value_counts().reindex(range(k), fill_value=0).to_numpy(np.int64)


def bench_bandwidth(n_bytes: int, repeat: int) -> Figures:
    """One core's read bandwidth: the fastest of three read-only passes over ``n_bytes``, each
    taken at its best sample (a limit: a load elsewhere on the machine only slows a pass)."""
    data = np.full(n_bytes - n_bytes % 8, 1, dtype=np.uint8)
    words = data.view(np.uint64)
    passes: dict[str, Callable[[], object]] = {
        "max (uint64)": words.max, "bitwise_or.reduce (uint64)":
        lambda: np.bitwise_or.reduce(words), "count_nonzero (uint8)":
        lambda: np.count_nonzero(data)}
    samples: dict[str, list[float]] = {name: [] for name in passes}
    for _ in range(max(3, repeat)):
        for name, fn in passes.items():
            samples[name].append(median_seconds(fn, 1, warm_up=False))
    seconds = {name: min(t) for name, t in samples.items()}
    best = min(seconds, key=seconds.__getitem__)
    return {"bytes": int(data.nbytes), "pass": best, "seconds": seconds[best],
            "gb_per_s": data.nbytes / seconds[best] / 1e9,
            "all_gb_per_s": {k: data.nbytes / s / 1e9 for k, s in seconds.items()}}


def bench_in_memory(n: int, k: int, repeat: int) -> Figures:
    """The fast contenders on n ballots held in memory; times in seconds."""
    codes = make_ballots(n, k)
    offsets = np.array([0, n], dtype=np.int64)
    out = np.empty((1, k), dtype=np.int64)
    fns: dict[str, Callable[[], object]] = {
        "saylau": lambda: engine.tally.ballots.count_codes(codes, offsets, k),
        "numpy_fallback": lambda: engine.tally.ballots._count_numpy(codes, offsets, k, out),
        "bincount": lambda: np.bincount(codes, minlength=k),
    }
    expected = engine.tally.ballots.count_codes(codes, offsets, k)[0]
    check_equal("np.bincount", expected, fns["bincount"]())
    fns["numpy_fallback"]()
    check_equal("the numpy fallback kernel", expected, out[0])
    if peers.available("pandas"):
        import pandas as pd

        series = pd.Series(codes, copy=False)
        check_equal("pandas value_counts", expected, _pandas_counts(series, k))
        fns["pandas"] = series.value_counts
    seconds = interleaved_medians(fns, repeat)
    return {"n_ballots": n, "n_options": k, "seconds": seconds}


def bench_sampled(k: int, python_sizes: Sequence[int], peer_sizes: Sequence[int],
                  repeat: int) -> dict[str, dict[str, list]]:
    """The slow contenders on the first ballots of the election, at each size given: seconds;
    for the peers also ``tally_seconds`` (their tally on the input already built)."""
    out: dict[str, dict[str, list]] = {}
    for n in python_sizes:
        codes = make_ballots(n, k)
        data = codes.tobytes()
        expected = np.bincount(codes, minlength=k)
        check_equal("the pure Python loop", expected, python_loop_count(data, k))
        counted = Counter(data)
        check_equal("collections.Counter", expected, [counted.get(c, 0) for c in range(k)])
        seconds = interleaved_medians({"python": partial(python_loop_count, data, k),
                                       "Counter": partial(Counter, data)}, repeat)
        for name, s in seconds.items():
            row = out.setdefault(name, {"sizes": [], "seconds": []})
            row["sizes"].append(n)
            row["seconds"].append(s)
    for name, tally in peers.TALLIES.items():
        if not peers.available(name):
            continue
        for n in peer_sizes:
            codes = make_ballots(n, k)
            build, count = tally(codes, k)
            built = build()  # also the warm-up: first calls may compile or import
            check_equal(name, np.bincount(codes, minlength=k), count(built))
            row = out.setdefault(name, {"sizes": [], "seconds": [], "tally_seconds": []})
            row["sizes"].append(n)
            row["seconds"].append(median_seconds(_then(build, count), repeat))
            row["tally_seconds"].append(median_seconds(partial(count, built), repeat))
    return out


def _then(first: Callable[[], object], then: Callable[[object], np.ndarray]
          ) -> Callable[[], np.ndarray]:
    """``then(first())``, as a function of nothing."""
    return lambda: then(first())


def bench_streamed(n: int, k: int, repeat: int, directory: Path,
                   chunk_bytes: int = CHUNK_BYTES) -> Figures:
    """The tally of n ballots read from a file in chunks: saylau, np.bincount and pandas on
    the same chunks, and reading alone; seconds."""
    path = Path(directory) / f"ballots-{n}-{k}.u8"
    expected = write_ballots(path, n, k)

    def saylau() -> np.ndarray:
        return engine.tally.ballots.count_codes_stream(read_chunks(path, chunk_bytes), k)

    def bincount() -> np.ndarray:
        total = np.zeros(k, dtype=np.int64)
        for chunk in read_chunks(path, chunk_bytes):
            total += np.bincount(chunk, minlength=k)
        return total

    def read_only() -> int:
        return sum(chunk.size for chunk in read_chunks(path, chunk_bytes))

    fns: dict[str, Callable[[], object]] = {"saylau": saylau, "bincount": bincount}
    check_equal("saylau, streamed", expected, saylau())
    check_equal("np.bincount, streamed", expected, bincount())
    if peers.available("pandas"):
        import pandas as pd

        def pandas() -> np.ndarray:
            total = np.zeros(k, dtype=np.int64)
            for chunk in read_chunks(path, chunk_bytes):
                total += _pandas_counts(pd.Series(chunk, copy=False), k)
            return total

        check_equal("pandas, streamed", expected, pandas())
        fns["pandas"] = pandas
    fns["read_only"] = read_only
    try:
        seconds = interleaved_medians(fns, repeat)
    finally:
        path.unlink()
    return {"n_ballots": n, "n_options": k, "chunk_bytes": chunk_bytes, "seconds": seconds}


def _per_ballot(row: dict[str, list], n: int, key: str = "seconds") -> tuple[float, int]:
    """(seconds per ballot, the size it was timed at): at n if timed there, else at the
    largest size timed below n (or the smallest timed)."""
    sizes = row["sizes"]
    below = [i for i, s in enumerate(sizes) if s <= n]
    i = max(below, key=lambda j: sizes[j]) if below else int(np.argmin(sizes))
    return row[key][i] / sizes[i], sizes[i]


def _case(mem: Figures, sampled: dict[str, dict[str, list]]) -> Figures:
    """One in-memory case with ns per ballot and the ratio to each baseline."""
    n = mem["n_ballots"]
    ns = {name: s * 1e9 / n for name, s in mem["seconds"].items()}
    timed_at = dict.fromkeys(ns, n)
    tally_ns = {}
    for name, row in sampled.items():
        per, at = _per_ballot(row, n)
        ns[name], timed_at[name] = per * 1e9, at
        if "tally_seconds" in row and name in peers.PROFILES_OF_BALLOTS:
            tally_ns[name] = _per_ballot(row, n, "tally_seconds")[0] * 1e9
    base = ns["saylau"]
    return {
        "n_ballots": n,
        "n_options": mem["n_options"],
        "ns": ns,
        "timed_at": timed_at,
        "ratio": {name: v / base for name, v in ns.items() if name != "saylau"},
        "tally_only_ns": tally_ns,
        "tally_only_ratio": {name: v / base for name, v in tally_ns.items()},
    }


def bench_ballots(sizes: Sequence[int], options: Sequence[int], repeat: int, *,
                  python_cap: int, peer_sizes: Sequence[int], slow_repeat: int,
                  streamed: Sequence[tuple[int, int]], bandwidth_bytes: int
                  ) -> Figures:
    """Every ballot case: in memory at each size and option count, streamed, the bandwidth."""
    results: Figures = {
        "bandwidth": bench_bandwidth(bandwidth_bytes, repeat),
        "skipped": [p for p in ("pandas", *PEERS) if not peers.available(p)],
        "cases": [], "sampled": {}, "streamed": [],
    }
    for k in options:
        sampled = bench_sampled(k, [n for n in sizes if n <= python_cap],
                                [n for n in peer_sizes if n <= max(sizes)], slow_repeat)
        results["sampled"][str(k)] = sampled
        for n in sizes:
            results["cases"].append(_case(bench_in_memory(n, k, repeat), sampled))
    with tempfile.TemporaryDirectory(prefix="saylau-bench-") as tmp:
        for n, k in streamed:
            s = bench_streamed(n, k, max(1, slow_repeat), Path(tmp))
            s["ns"] = {name: t * 1e9 / n for name, t in s["seconds"].items()}
            s["ratio"] = {name: v / s["ns"]["saylau"] for name, v in s["ns"].items()
                          if name not in ("saylau", "read_only")}
            results["streamed"].append(s)
    return results


def _ratio(r: float | None, carried: bool = False) -> str:
    if r is None:
        return "-"
    text = f"{r:.1e}" if r >= 1e4 else f"{r:.0f}" if r >= 100 else f"{r:.1f}"
    return ("~" if carried else "") + text + "x"


def _met(ok: bool) -> str:
    return "met" if ok else "NOT met"


def render(results: Figures) -> str:
    """The ballot figures as text: one row per case, the ratio to every baseline."""
    bw = results["bandwidth"]
    gbps = bw["gb_per_s"]
    shown = [b for b in BASELINES if any(b in c["ratio"] for c in results["cases"])]
    head = {"numpy_fallback": "fallback", "pref_voting": "pref_vot"}
    lines = [
        "ballot tally, one race, one core (target: >= "
        f"{TARGET_BINCOUNT:g}x np.bincount, >= {TARGET_PEERS:g}x VoteKit and pref_voting)",
        "  x = the baseline's time / saylau's, same ballots; ~ = cost per ballot carried from"
        " the largest size timed",
        f"  read bandwidth, one core: {gbps:.1f} GB/s (best {bw['pass']} over"
        f" {bw['bytes'] / 2**20:.0f} MiB), i.e. {1 / gbps:.3f} ns per one-byte ballot",
        f"{'options':>7} {'ballots':>7} {'ns/ballot':>9} {'GB/s':>5} "
        + " ".join(f"{head.get(b, b):>9}" for b in shown),
    ]
    for c in results["cases"]:
        ns = c["ns"]["saylau"]
        cells = [_ratio(c["ratio"].get(b), c["timed_at"].get(b) != c["n_ballots"])
                 for b in shown]
        lines.append(f"{c['n_options']:>7} {c['n_ballots']:>7.0e} {ns:>9.4f} {1 / ns:>5.1f} "
                     + " ".join(f"{x:>9}" for x in cells))
    for p in results["skipped"]:
        lines.append(peers.skip_line(p, "its ballot tally"))
    tally_only = [c for c in results["cases"] if c["tally_only_ratio"]]
    if tally_only:
        lines.append("  the peers' tally alone, their profile of the ballots built untimed"
                     " (x saylau):")
        for c in tally_only:
            parts = ", ".join(f"{p} {_ratio(r, c['timed_at'][p] != c['n_ballots'])}"
                              for p, r in c["tally_only_ratio"].items())
            lines.append(f"    {c['n_options']:>2} options, {c['n_ballots']:.0e} ballots: {parts}")
    if results["streamed"]:
        lines.append("streamed from a file in chunks of one reused buffer (page cache warm):")
        lines.append(f"{'options':>7} {'ballots':>7} {'chunk':>6} {'saylau':>9} {'read only':>9}"
                     f" {'bincount':>9} {'pandas':>9}  {'x bincount':>10} {'x pandas':>8}")
        lines.append(f"{'':>7} {'':>7} {'MiB':>6} {'ns/ballot':>9}")
        for s in results["streamed"]:
            ns, ratio = s["ns"], s["ratio"]
            lines.append(
                f"{s['n_options']:>7} {s['n_ballots']:>7.0e} {s['chunk_bytes'] / 2**20:>6.0f}"
                f" {ns['saylau']:>9.4f} {ns['read_only']:>9.4f} {ns['bincount']:>9.4f}"
                f" {ns.get('pandas', float('nan')):>9.4f}  {_ratio(ratio['bincount']):>10}"
                f" {_ratio(ratio.get('pandas')):>8}")
    return "\n".join(lines)


def targets(results: Figures) -> list[Target]:
    """The issue's ballot targets against the figures: one record per target."""
    out: list[Target] = []
    cases = results["cases"]
    for name, goal in (("bincount", TARGET_BINCOUNT), ("VoteKit", TARGET_PEERS),
                       ("pref_voting", TARGET_PEERS)):
        rs = [(c["ratio"][name], c) for c in cases if name in c["ratio"]]
        if not rs:
            out.append({"target": f"ballot tally >= {goal:g}x {name}", "met": None,
                        "detail": "not measured (not installed)"})
            continue
        low, where = min(rs, key=lambda x: x[0])
        missed = sum(r < goal for r, _ in rs)
        out.append({"target": f"ballot tally >= {goal:g}x {name}", "met": missed == 0,
                    "detail": f"{len(rs) - missed} of {len(rs)} cases; lowest {_ratio(low)}"
                              f" at {where['n_ballots']:.0e} ballots, {where['n_options']}"
                              " options"})
    return out


def scaling_points(results: Figures) -> list[tuple[str, str, int, float]]:
    """(case, contender, size, seconds) of every size timed (none carried)."""
    points = []
    for c in results["cases"]:
        for name in FAST:
            if name in c["ns"]:
                n = c["n_ballots"]
                points.append((f"ballot tally, {c['n_options']} options", name, n,
                               c["ns"][name] * n * 1e-9))
    for k, sampled in results["sampled"].items():
        for name, row in sampled.items():
            points.extend((f"ballot tally, {k} options", name, n, s)
                          for n, s in zip(row["sizes"], row["seconds"], strict=True))
    gbps = results["bandwidth"]["gb_per_s"]  # one byte per ballot: the time to read them
    points.extend((f"ballot tally, {c['n_options']} options", "bandwidth (derived)",
                   c["n_ballots"], c["n_ballots"] / gbps * 1e-9) for c in results["cases"])
    return points
