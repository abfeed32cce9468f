"""Integer intervals consistent with published counts, sums and rounded percentages.

A source that publishes rounded percentages but not every count still pins the missing counts
down: Semey 2025 printed the against-all share (3.7%) but not its count. Each unknown count is
an integer interval in [0, :data:`CAP`] (a count is below 2**62, engine.limits), narrowed over

    total = part_1 + ... + part_n           (sums; also the box constraints: a part is at most
                                             its total, so valid <= cast <= registered)
    low <= 100 * num / den <= high          (a percentage as published, +- half its last digit)

Bounds come in closed form where they exist: a share whose count is part of its base
(``against_all / valid``, ``cast / registered``) is rewritten as a ratio of that count to the
rest of the base, ``num / rest`` in ``[low / (1 - low), high / (1 - high)]``, which bounds both
sides in one step where propagating ``num <= high * (num + rest)`` would creep towards its
fixed point round after round (20,015 rounds for one turnout with registered voters unknown).
What is left is propagated for at most :data:`ROUNDS` rounds, and each end is then shaved (fix
the count there; while that is impossible, step inward) for at most :data:`SHAVE` steps: every
interval is a true bound whatever the budget, the exact set when one count is unknown, and the
work is bounded (a few milliseconds a race at most). An upper end that only the count limit
sets means nothing published bounds it: :func:`solve` reports it as None (no upper bound).
"""

from __future__ import annotations

from fractions import Fraction

import attrs

from engine.limits import MAX_COUNT

__all__ = ["CAP", "ROUNDS", "SHAVE", "Ratio", "Sum", "System", "culprits", "percent_range",
           "solve"]

CAP = MAX_COUNT - 1  # the largest count a file may hold
ROUNDS = 60          # propagation rounds at most (each narrows or stops)
SHAVE = 64           # steps inward at most per end of each count


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
    """Counts with their known bounds (``(0, CAP)`` when nothing is known), sums, ratios."""

    bounds: dict[str, tuple[int, int]]
    sums: tuple[Sum, ...] = ()
    ratios: tuple[Ratio, ...] = ()


def _ceil_div(a: int, b: int) -> int:
    return -((-a) // b)


# A compiled system: counts by index, sums as (total, parts), ratios as
# (num, den, low numerator, low denominator, high numerator, high denominator; 1, 0: no top),
# every bound an exact integer operation (no Fraction is built while propagating).
_Sums = list[tuple[int, tuple[int, ...]]]
_Ratios = list[tuple[int, int, int, int, int, int]]


def _leaves(name: str, sums: dict[str, tuple[str, ...]], depth: int = 0) -> frozenset[str]:
    """The counts ``name`` is a sum of (itself when it is no total)."""
    parts = sums.get(name)
    if parts is None or depth > 8:
        return frozenset((name,))
    return frozenset().union(*(_leaves(p, sums, depth + 1) for p in parts))


def _merged(ratios: tuple[Ratio, ...]) -> tuple[Ratio, ...]:
    """One ratio per count and base: every figure of the same share (5,000 sources printing it)
    bounds it to the intersection of their intervals, in closed form."""
    out: dict[tuple[str, str], Ratio] = {}
    for r in ratios:
        old = out.get((r.num, r.den))
        out[(r.num, r.den)] = r if old is None else attrs.evolve(
            old, low=max(old.low, r.low), high=min(old.high, r.high))
    return tuple(out.values())


def _compile(system: System, cap: int) -> tuple[list[str], list[list[int]], _Sums, _Ratios]:
    """Index the counts (each at most ``cap``); rewrite each ratio whose count is part of its
    base as a ratio to the rest of the base (a new count, the sum of the base's other parts)."""
    bounds = {k: (max(lo, 0), min(hi, cap)) for k, (lo, hi) in system.bounds.items()}
    for r in system.ratios:  # a published percentage has a base of at least one
        if r.den in bounds:
            bounds[r.den] = (max(bounds[r.den][0], 1), bounds[r.den][1])
    sums = list(system.sums)
    by_total = {s.total: s.parts for s in sums}
    ratios: list[tuple[str, str, Fraction, Fraction | None]] = []
    merged = _merged(system.ratios)
    if any(r.low > r.high for r in merged):  # two figures of one share that cannot both hold
        return [], [[1, 0]], [], []
    for i, r in enumerate(merged):
        num, den = _leaves(r.num, by_total), _leaves(r.den, by_total)
        if r.num != r.den and num < den and r.low < 1:
            rest = f"\x00rest{i}"  # the base less the count
            bounds[rest] = (0, cap)
            sums.append(Sum(rest, tuple(sorted(den - num))))
            sums.append(Sum(r.den, (r.num, rest)))
            # num / rest in [low / (1 - low), high / (1 - high)]; a share of 1 has no top
            high = r.high / (1 - r.high) if r.high < 1 else None
            ratios.append((r.num, rest, r.low / (1 - r.low), high))
        else:
            ratios.append((r.num, r.den, r.low, r.high))
    names = list(bounds)
    at = {n: i for i, n in enumerate(names)}
    for s in sums:
        for n in (s.total, *s.parts):
            if n not in at:
                at[n] = len(names)
                names.append(n)
                bounds[n] = (0, cap)
    b = [list(bounds[n]) for n in names]
    cs = [(at[s.total], tuple(at[p] for p in s.parts)) for s in sums]
    cr = [(at[n], at[d], lo.numerator, lo.denominator,
           *((1, 0) if hi is None else (hi.numerator, hi.denominator))) for n, d, lo, hi in ratios]
    return names, b, cs, cr


def _propagate(b: list[list[int]], sums: _Sums, ratios: _Ratios, cap: int) -> bool:
    """Narrow ``b`` in place for at most ROUNDS rounds; False when an interval empties."""
    for _ in range(ROUNDS):
        changed = False
        for t, parts in sums:
            plo = sum(b[p][0] for p in parts)
            raw = sum(b[p][1] for p in parts)  # Python ints: no bound wraps
            bt = b[t]
            if plo > bt[0]:
                bt[0], changed = plo, True
            if raw < bt[1]:
                bt[1], changed = raw, True
            tlo, thi = bt
            for p in parts:
                bp = b[p]
                lo, hi = tlo - (raw - bp[1]), thi - (plo - bp[0])
                if lo > bp[0]:
                    bp[0], changed = lo, True
                if hi < bp[1]:
                    bp[1], changed = hi, True
        for n, d, ln, ld, hn, hd in ratios:
            bn, bd = b[n], b[d]
            # ln/ld <= n / d <= hn/hd: ln d <= ld n and hd n <= hn d (hd == 0: no top)
            lo = _ceil_div(ln * bd[0], ld)
            hi = (hn * bd[1]) // hd if hd else cap
            if lo > bn[0]:
                bn[0], changed = lo, True
            if hi < bn[1]:
                bn[1], changed = hi, True
            lo = _ceil_div(hd * bn[0], hn) if hn else bd[0]
            hi = (ld * bn[1]) // ln if ln else cap
            if lo > bd[0]:
                bd[0], changed = lo, True
            if hi < bd[1]:
                bd[1], changed = hi, True
        if any(lo > hi for lo, hi in b):
            return False
        if not changed:
            return True
    return True


def solve(system: System) -> dict[str, tuple[int, int | None]] | None:
    """The narrowest intervals found for every count of ``system.bounds`` (an upper end of None:
    nothing published bounds it), or None when the figures contradict.

    An upper end that only the count limit sets (turnout published, registered voters not:
    ballots cast are then at most the turnout times any number of voters) is told apart by
    propagating again with half the limit: an end that moves with the limit is no bound, and
    is neither shaved nor reported."""
    _, b, sums, ratios = _compile(system, CAP)
    if not _propagate(b, sums, ratios, CAP):
        return None
    n = len(system.bounds)
    open_top = [False] * n
    if any(hi > CAP // 4 for _, hi in b[:n]):
        _, half, _, _ = _compile(system, CAP // 2)
        if _propagate(half, sums, ratios, CAP // 2):
            open_top = [half[i][1] != b[i][1] for i in range(n)]
    for i in range(n):
        for end, step in ((0, 1), (1, -1)):
            if b[i][0] == b[i][1] or (end == 1 and open_top[i]):
                continue
            for _ in range(SHAVE):  # fix the count at this end; step inward while impossible
                trial = [x[:] for x in b]
                trial[i][1 - end] = trial[i][end]
                if _propagate(trial, sums, ratios, CAP):
                    break
                b[i][end] += step
                if b[i][0] > b[i][1]:
                    return None
            if not _propagate(b, sums, ratios, CAP):
                return None
    names = list(system.bounds)
    return {m: (b[i][0], None if open_top[i] else b[i][1]) for i, m in enumerate(names)}


def culprits(system: System) -> list[str]:
    """Tags of the ratios whose removal alone makes a contradictory system consistent. Only a
    figure that alone sets its share's lowest top or highest bottom can change the merged
    system, so only those are tried (a few solves, however many sources printed a share)."""
    groups: dict[tuple[str, str], list[int]] = {}
    for i, r in enumerate(system.ratios):
        groups.setdefault((r.num, r.den), []).append(i)
    tried: set[int] = set()
    for members in groups.values():
        for key in (lambda i: system.ratios[i].low, lambda i: -system.ratios[i].high):
            best = max(key(i) for i in members)
            top = [i for i in members if key(i) == best]
            if len(top) == 1:
                tried.add(top[0])
    out = []
    for i in sorted(tried):
        rest = attrs.evolve(system, ratios=system.ratios[:i] + system.ratios[i + 1:])
        if solve(rest) is not None:
            out.append(system.ratios[i].tag)
    return out
