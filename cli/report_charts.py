"""The report page's charts as inline SVG, drawn here: no library, no image file, no script.

Each chart is readable without colour (lengths, positions, marker shapes, dash patterns and
written labels carry the meaning; the heat map's shades run from light to dark) and stands
beside a table of its data, which is its text alternative. Small in-cell bars repeat the numbers
of their row and are hidden from screen readers; whole charts are images labelled by their
caption. Nothing is drawn per precinct: the fingerprint is the forensics' 100 x 100 histogram,
with runs of equal shade in a row merged into one rectangle.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
from markupsafe import Markup, escape

__all__ = ["SHADES", "bar", "heatmap", "histogram", "range_bar", "series", "shade_levels"]

# Light to dark: readable as greys (each step darker in luminance), colour-blind safe.
SHADES = ("#f7fbff", "#d6e6f4", "#abd0e6", "#6aaed6", "#3787c0", "#105ba4", "#08306b",
          "#041a3a")
MARKERS = ("circle", "square", "triangle", "diamond", "cross", "star")


def _n(x: float) -> str:
    """A coordinate, short: at most two decimals, no trailing zeros."""
    text = f"{x:.2f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def _clip(x: float) -> float:
    return min(max(x, 0.0), 100.0)


# -- in-cell bars ----------------------------------------------------------------------------
def bar(value: float | None, scale: float, *, low: float | None = None,
        high: float | None = None, span: bool = False) -> Markup:
    """A bar of ``value`` out of ``scale``; ``low``-``high`` drawn as a whisker (an interval
    around the value) or, with ``span``, as a hatched stretch (where an inferred count lies)."""
    if scale <= 0:
        return Markup("")
    parts = ['<svg class="bar" viewBox="0 0 100 10" preserveAspectRatio="none" '
             'aria-hidden="true" focusable="false"><rect class="whole" width="100" '
             'height="10"/>']
    if span and low is not None and high is not None:
        a, b = _clip(100 * low / scale), _clip(100 * high / scale)
        parts.append(f'<rect class="fill" y="1" width="{_n(a)}" height="8"/>'
                     f'<rect class="span" x="{_n(a)}" y="1" width="{_n(max(b - a, .4))}" '
                     'height="8"/>')
    elif value is not None:
        parts.append(f'<rect class="fill" y="1" width="{_n(_clip(100 * value / scale))}" '
                     'height="8"/>')
        if low is not None and high is not None:
            a, b = _clip(100 * low / scale), _clip(100 * high / scale)
            parts.append(f'<path d="M{_n(a)} 5H{_n(b)}M{_n(a)} 2V8M{_n(b)} 2V8"/>')
    parts.append("</svg>")
    return Markup("".join(parts))


def range_bar(p5: float, p50: float, p95: float, lo: float, hi: float) -> Markup:
    """The 5-95% range of runs as a line, the median as a ring, on the scale ``lo``-``hi``."""
    if not hi > lo:
        return Markup("")

    def x(v: float) -> str:
        return _n(_clip(100 * (v - lo) / (hi - lo)))

    return Markup('<svg class="bar" viewBox="0 0 100 10" preserveAspectRatio="none" '
                  'aria-hidden="true" focusable="false"><rect class="whole" width="100" '
                  f'height="10"/><path d="M{x(p5)} 5H{x(p95)}M{x(p5)} 2V8M{x(p95)} 2V8"/>'
                  f'<rect class="fill" x="{_n(max(float(x(p50)) - .8, 0))}" y="1" '
                  'width="1.6" height="8"/></svg>')


# -- axes ------------------------------------------------------------------------------------
def _ticks(top: float, n: int = 4) -> list[float]:
    """Round tick values from 0 to at least ``top``."""
    if top <= 0:
        return [0.0, 1.0]
    raw = top / n
    mag = 10 ** math.floor(math.log10(raw))
    step = next(m * mag for m in (1, 2, 2.5, 5, 10) if m * mag >= raw)
    return [i * step for i in range(math.ceil(top / step - 1e-9) + 1)]


def _axis(start: float, end: float, n: int = 5) -> list[float]:
    """Round values between ``start`` and ``end`` to label an axis with (whole numbers where
    the step allows)."""
    ticks = _ticks(end - start, n)
    step = ticks[1] - ticks[0] if len(ticks) > 1 else 1.0
    first = math.ceil(start / step - 1e-9) * step
    return [first + i * step for i in range(int((end - first) / step + 1e-9) + 1)]


def _label(v: float) -> str:
    return f"{v:,.0f}" if abs(v) >= 10 or v == int(v) else f"{v:g}"


def _short(v: float) -> str:
    """An axis label in at most about five characters: 2.5M, 250k, 1,200."""
    for size, unit in ((1e9, "G"), (1e6, "M"), (1e4, "k")):
        if abs(v) >= size:
            d = 1e3 if unit == "k" else size
            return f"{v / d:g}{unit}"
    return _label(v)


def _frame(width: int, height: int, label_id: str) -> list[str]:
    return [f'<svg class="plot" role="img" aria-labelledby="{escape(label_id)}" '
            f'viewBox="0 0 {width} {height}" width="{width}" height="{height}">']


# -- whole charts ----------------------------------------------------------------------------
def histogram(counts: Sequence[float], *, start: float, step: float, xlabel: str, ylabel: str,
              label_id: str, mark: float | None = None, mark_label: str = "") -> Markup:
    """Vertical bars of ``counts``: bar i covers [start + i step, start + (i + 1) step); a
    dashed line at ``mark`` (e.g. the overall turnout), labelled."""
    w, h, left, bottom, top, right = 640, 260, 64, 40, 14, 14
    pw, ph = w - left - right, h - top - bottom
    n = len(counts)
    ymax = max(counts) if n and max(counts) > 0 else 1
    ticks = _ticks(ymax)
    ytop = ticks[-1]
    out = _frame(w, h, label_id)
    for t in ticks:
        y = top + ph - ph * t / ytop
        out.append(f'<line class="grid" x1="{left}" x2="{left + pw}" y1="{_n(y)}" '
                   f'y2="{_n(y)}"/><text x="{left - 6}" y="{_n(y + 4)}" '
                   f'text-anchor="end">{_short(t)}</text>')
    bw = pw / max(n, 1)
    for i, c in enumerate(counts):
        if c > 0:
            bh = ph * c / ytop
            out.append(f'<rect class="col" x="{_n(left + i * bw)}" y="{_n(top + ph - bh)}" '
                       f'width="{_n(max(bw - .6, .6))}" height="{_n(bh)}"/>')
    end = start + n * step
    for t in _axis(start, end):
        x = left + pw * (t - start) / (end - start)
        out.append(f'<text x="{_n(x)}" y="{top + ph + 16}" text-anchor="middle">'
                   f'{_label(t)}</text>')
    if mark is not None and start <= mark <= end:
        x = left + pw * (mark - start) / (end - start)
        out.append(f'<line class="mark" x1="{_n(x)}" x2="{_n(x)}" y1="{top}" '
                   f'y2="{top + ph}"/><text x="{_n(x + 4)}" y="{top + 10}">'
                   f'{escape(mark_label)}</text>')
    out.append(f'<path class="axis" d="M{left} {top}V{top + ph}H{left + pw}"/>'
               f'<text x="{left + pw / 2}" y="{h - 4}" text-anchor="middle">{escape(xlabel)}'
               f'</text><text transform="translate(14 {top + ph / 2}) rotate(-90)" '
               f'text-anchor="middle">{escape(ylabel)}</text></svg>')
    return Markup("".join(out))


def shade_levels(values: np.ndarray) -> tuple[np.ndarray, list[tuple[int, int]]]:
    """Each value's shade (0 for none, 1-8 on a log scale of the positive values) and the
    range of values each shade stands for."""
    v = np.asarray(values, dtype=np.float64)
    positive = v[v > 0]
    if positive.size == 0:
        return np.zeros(v.shape, np.int64), []
    lo, hi = math.log(positive.min()), math.log(positive.max())
    width = (hi - lo) / len(SHADES) or 1.0
    level = np.where(v > 0, np.minimum(((np.log(np.maximum(v, 1e-300)) - lo) // width)
                                       .astype(np.int64) + 1, len(SHADES)), 0)
    edges = [math.exp(lo + i * width) for i in range(len(SHADES) + 1)]
    ranges = [(math.ceil(edges[i]) if i else int(positive.min()),
               math.floor(edges[i + 1]) if i + 1 < len(SHADES) else int(positive.max()))
              for i in range(len(SHADES))]
    return level, ranges


def heatmap(matrix: np.ndarray, *, xlabel: str, ylabel: str, label_id: str) -> Markup:
    """``matrix[i, j]`` shaded at column i (x) and row j (y) of a square plot, 0-100 on both
    axes; equal shades next to each other in a row are one rectangle."""
    m = np.asarray(matrix)
    bins = m.shape[0]
    size, left, bottom, top = 360, 56, 44, 10
    cell = size / bins
    level, ranges = shade_levels(m)
    out = _frame(left + size + 150, top + size + bottom, label_id)
    out.append(f'<rect x="{left}" y="{top}" width="{size}" height="{size}" fill="#fff"/>')
    for j in range(bins):  # y: leader's share
        row = level[:, j]
        i = 0
        while i < bins:
            s = int(row[i])
            k = i
            while k + 1 < bins and row[k + 1] == s:
                k += 1
            if s:
                out.append(f'<rect x="{_n(left + i * cell)}" y="{_n(top + size - (j + 1) * cell)}'
                           f'" width="{_n((k - i + 1) * cell)}" height="{_n(cell)}" '
                           f'fill="{SHADES[s - 1]}"/>')
            i = k + 1
    for t in range(0, 101, 20):
        x, y = left + size * t / 100, top + size - size * t / 100
        out.append(f'<text x="{_n(x)}" y="{top + size + 16}" text-anchor="middle">{t}</text>'
                   f'<text x="{left - 6}" y="{_n(y + 4)}" text-anchor="end">{t}</text>')
    out.append(f'<path class="axis" d="M{left} {top}V{top + size}H{left + size}"/>'
               f'<text x="{left + size / 2}" y="{top + size + 36}" text-anchor="middle">'
               f'{escape(xlabel)}</text><text transform="translate(14 {top + size / 2}) '
               f'rotate(-90)" text-anchor="middle">{escape(ylabel)}</text>')
    lx = left + size + 16
    out.append(f'<text x="{lx}" y="{top + 10}">registered voters</text>')
    for s, (a, b) in enumerate(ranges):
        y = top + 22 + 18 * s
        out.append(f'<rect x="{lx}" y="{y}" width="14" height="14" fill="{SHADES[s]}" '
                   f'stroke="#1a1a1a" stroke-width=".5"/><text x="{lx + 20}" y="{y + 11}">'
                   f'{a:,}{"" if a == b else f"–{b:,}"}</text>')
    out.append("</svg>")
    return Markup("".join(out))


def _marker(shape: str, x: float, y: float) -> str:
    r = 4.0
    if shape == "circle":
        return f'<circle class="marker" cx="{_n(x)}" cy="{_n(y)}" r="{r}"/>'
    if shape == "square":
        return (f'<rect class="marker" x="{_n(x - r)}" y="{_n(y - r)}" width="{2 * r}" '
                f'height="{2 * r}"/>')
    points = {"triangle": [(0, -r - 1), (r + 1, r), (-r - 1, r)],
              "diamond": [(0, -r - 1), (r + 1, 0), (0, r + 1), (-r - 1, 0)],
              "cross": [(-r, -r), (r, r), (0, 0), (r, -r), (-r, r), (0, 0)],
              "star": [(0, -r - 1), (1.2, -1.2), (r + 1, 0), (1.2, 1.2), (0, r + 1),
                       (-1.2, 1.2), (-r - 1, 0), (-1.2, -1.2)]}[shape]
    return ('<polygon class="marker" points="'
            + " ".join(f"{_n(x + dx)},{_n(y + dy)}" for dx, dy in points) + '"/>')


def series(x_labels: Sequence[str], lines: Sequence[tuple[str, Sequence[float | None]]], *,
           xlabel: str, ylabel: str, label_id: str) -> Markup:
    """Lines of shares (0-1) over ``x_labels``, each with its own marker and dash pattern and
    its name written at its last point; None leaves a gap."""
    w, h, left, bottom, top, right = 680, 300, 56, 44, 14, 190
    pw, ph = w - left - right, h - top - bottom
    n = len(x_labels)
    out = _frame(w, h, label_id)
    out[0] = out[0].replace('class="plot"', 'class="plot series"')
    for t in range(0, 101, 25):
        y = top + ph - ph * t / 100
        out.append(f'<line class="grid" x1="{left}" x2="{left + pw}" y1="{_n(y)}" '
                   f'y2="{_n(y)}"/><text x="{left - 6}" y="{_n(y + 4)}" '
                   f'text-anchor="end">{t}%</text>')

    def x(i: int) -> float:
        return left + (pw * i / (n - 1) if n > 1 else pw / 2)

    for i, lab in enumerate(x_labels):
        out.append(f'<text x="{_n(x(i))}" y="{top + ph + 16}" text-anchor="middle">'
                   f'{escape(lab)}</text>')
    ends: list[float] = []
    for s, (name, values) in enumerate(lines):
        shape = MARKERS[s % len(MARKERS)]
        points = [(x(i), top + ph - ph * v) for i, v in enumerate(values) if v is not None]
        out.append(f'<g class="s{s}">')
        if len(points) > 1:
            out.append('<path class="line" d="M' + "L".join(f"{_n(a)} {_n(b)}"
                                                           for a, b in points) + '"/>')
        out.extend(_marker(shape, a, b) for a, b in points)
        if points:
            y_end = points[-1][1]
            while any(abs(y_end - e) < 12 for e in ends):  # labels must not overlap
                y_end += 12
            ends.append(y_end)
            out.append(f'<text x="{_n(points[-1][0] + 10)}" y="{_n(y_end + 4)}">'
                       f'{escape(name)}</text>')
        out.append("</g>")
    out.append(f'<path class="axis" d="M{left} {top}V{top + ph}H{left + pw}"/>'
               f'<text x="{left + pw / 2}" y="{h - 6}" text-anchor="middle">{escape(xlabel)}'
               f'</text><text transform="translate(14 {top + ph / 2}) rotate(-90)" '
               f'text-anchor="middle">{escape(ylabel)}</text></svg>')
    return Markup("".join(out))


def legend_marker(s: int) -> Markup:
    """The marker and dash of line ``s`` of :func:`series`, for a legend or a table header."""
    return Markup(f'<svg class="key series" viewBox="0 0 22 12" aria-hidden="true" '
                  f'focusable="false"><g class="s{s}"><path class="line" d="M0 6H22"/>'
                  f'{_marker(MARKERS[s % len(MARKERS)], 11, 6)}</g></svg>')
