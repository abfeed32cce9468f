"""Integer intervals consistent with published counts, sums and rounded percentages.

A source that publishes rounded percentages but not every count still pins the missing counts
down: Semey 2025 printed the against-all share (3.7%) but not its count. Each unknown count is
an integer interval, narrowed by propagation over

    total = part_1 + ... + part_n           (sums)
    low <= 100 * num / den <= high          (a percentage as published, +- half its last digit)

until nothing moves, then each end is shaved (fix the count there, propagate, and step inward
while that is impossible). With one unknown this gives the exact set; with several, the tightest
bounds propagation can prove.
"""

from __future__ import annotations

from fractions import Fraction

import attrs

__all__ = ["Ratio", "Sum", "System", "percent_range", "solve"]

BIG = 10**15


def percent_range(published: str) -> tuple[Fraction, Fraction]:
    """The exact values a published percentage can stand for, as fractions of one."""
    p = Fraction(published)
    decimals = len(published.partition(".")[2])
    half = Fraction(1, 2 * 10**decimals)
    return max(p - half, Fraction(0)) / 100, min(p + half, Fraction(100)) / 100


@attrs.frozen
class Sum:
    total: str
    parts: tuple[str, ...]


@attrs.frozen
class Ratio:
    """``low <= num / den <= high``; ``tag`` names the published figure behind it."""

    num: str
    den: str
    low: Fraction
    high: Fraction
    tag: str = ""


@attrs.frozen
class System:
    bounds: dict[str, tuple[int, int]]
    sums: tuple[Sum, ...] = ()
    ratios: tuple[Ratio, ...] = ()


def _ceil(x: Fraction) -> int:
    return -((-x.numerator) // x.denominator)


def _floor(x: Fraction) -> int:
    return x.numerator // x.denominator


def _propagate(bounds: dict[str, list[int]], system: System) -> bool:
    """Narrow ``bounds`` in place; False when some interval becomes empty."""
    for _ in range(200):
        changed = False

        def narrow(name: str, lo: int, hi: int) -> None:
            nonlocal changed
            b = bounds[name]
            if lo > b[0]:
                b[0], changed = lo, True
            if hi < b[1]:
                b[1], changed = hi, True

        for s in system.sums:
            plo = sum(bounds[p][0] for p in s.parts)
            phi = sum(bounds[p][1] for p in s.parts)
            narrow(s.total, plo, phi)
            tlo, thi = bounds[s.total]
            for p in s.parts:
                narrow(p, tlo - (phi - bounds[p][1]), thi - (plo - bounds[p][0]))
        for r in system.ratios:
            nlo, nhi = bounds[r.num]
            dlo, dhi = bounds[r.den]
            narrow(r.num, _ceil(r.low * dlo), _floor(r.high * dhi))
            lo = _ceil(Fraction(nlo) / r.high) if r.high > 0 else 0
            hi = _floor(Fraction(nhi) / r.low) if r.low > 0 else BIG
            narrow(r.den, max(lo, 1 if r.high < 1 or nlo > 0 else 0), hi)
        if any(b[0] > b[1] for b in bounds.values()):
            return False
        if not changed:
            return True
    return True


def solve(system: System) -> dict[str, tuple[int, int]] | None:
    """The narrowest intervals found for every count, or None when the figures contradict."""
    bounds = {k: list(v) for k, v in system.bounds.items()}
    if not _propagate(bounds, system):
        return None
    for name in bounds:
        if bounds[name][0] == bounds[name][1]:
            continue
        for end, step in ((0, 1), (1, -1)):
            for _ in range(10_000):
                lo, hi = bounds[name]
                if lo > hi:
                    return None
                trial = {k: list(v) for k, v in bounds.items()}
                value = trial[name][end]
                trial[name] = [value, value]
                if _propagate(trial, system):
                    break
                bounds[name][end] += step
            if not _propagate(bounds, system):
                return None
    return {k: (v[0], v[1]) for k, v in bounds.items()}


def culprits(system: System) -> list[str]:
    """Tags of the ratios whose removal alone makes a contradictory system consistent."""
    out = []
    for i, r in enumerate(system.ratios):
        rest = attrs.evolve(system, ratios=system.ratios[:i] + system.ratios[i + 1:])
        if solve(rest) is not None:
            out.append(r.tag)
    return out
