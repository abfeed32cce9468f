"""`saylau report`'s page: Jinja2 templates (autoescaped) filled from the dicts the JSON outputs
print, written as one self-contained HTML file.

Everything is inline: the stylesheet, the one script (table sorting) and the charts (SVG). The
page's Content-Security-Policy names the SHA-256 of that stylesheet and that script, and allows
nothing else: no other script, style, image, font or connection, so a name in a scenario can
never become code. Numbers are formatted as in the table output (counts with thousands
separators, percentages with two decimals); each number's cell carries the exact JSON value in
``data-value``, which the sort uses and the tests compare with the JSON output.
"""

from __future__ import annotations

import base64
import hashlib
import json
import math
from importlib import metadata, resources
from typing import Any

import jinja2
from markupsafe import Markup, escape

from cli.report_charts import bar, range_bar

__all__ = ["Cell", "cell", "count", "count_cell", "csp", "pct", "pct_cell", "prob",
           "prob_cell", "records", "render", "span_cell", "td"]

Cell = dict[str, Any]  # {"v": the JSON value (data-value), "t": its text, "lo"/"hi": an interval}


# -- numbers as the table output writes them -------------------------------------------------
def count(x: int | None) -> str:
    """A count: ``1,234``; ``?`` where the source did not publish it."""
    return "?" if x is None else f"{x:,}"


def pct(x: float | None, digits: int = 2) -> str:
    """A percentage (already in percent): ``53.70``."""
    return "?" if x is None else f"{x:.{digits}f}"


def prob(p: float | None) -> str:
    """A probability as a percentage: ``12.50%``."""
    return "-" if p is None else f"{100 * p:.2f}%"


def _value(x: Any) -> str:
    """A JSON number as ``data-value`` holds it (JSON's own spelling); "" for no value."""
    if x is None:
        return ""
    kind = type(x)
    if kind is int or (kind is float and math.isfinite(x)):
        return repr(x)  # json.dumps spells finite numbers as repr does, much slower
    return json.dumps(x)


def cell(value: Any, text: str) -> Cell:
    return {"v": _value(value), "t": text}


def count_cell(x: int | None, span: tuple[int, int] | None = None) -> Cell:
    """A count, or the interval the replay inferred where the source did not publish it."""
    if x is None and span is not None:
        return span_cell(None, span, count)
    return cell(x, count(x))


def pct_cell(x: float | None) -> Cell:
    return cell(x, pct(x))


def prob_cell(p: float | None) -> Cell:
    return cell(p, prob(p))


def td(c: Cell) -> Markup:
    """A number's table cell: its text, the JSON value in ``data-value``, an inferred
    interval in ``data-low`` / ``data-high`` (sorted by its low end)."""
    text, value = escape(c["t"]), escape(c["v"])
    if "lo" not in c:
        return Markup(f'<td data-value="{value}">{text}</td>')
    lo, hi = escape(c["lo"]), escape(c["hi"])
    return Markup(f'<td data-value="{value}" class="inferred" data-sort="{lo}" '
                  f'data-low="{lo}" data-high="{hi}">{text}</td>')


def span_cell(value: Any, span: tuple[float, float], fmt: Any) -> Cell:
    """An interval ``lo–hi*`` (one value when both ends read the same); sorted by its low end."""
    lo, hi = span
    a, b = fmt(lo), fmt(hi)
    return {"v": _value(value), "t": (a if a == b else f"{a}–{b}") + "*",
            "lo": _value(lo), "hi": _value(hi), "inferred": True}


def records(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Any list of records as a table: one column per key (in order of appearance), numbers as
    number cells, a list of named records (candidates) as one column per name and field."""
    columns: list[str] = []
    flat_rows = []
    for row in rows:
        flat: dict[str, Any] = {}
        for k, v in (row.items() if isinstance(row, dict) else [("value", row)]):
            if isinstance(v, list) and v and all(isinstance(x, dict) and "name" in x for x in v):
                for x in v:
                    flat |= {f"{x['name']}: {f}": y for f, y in x.items() if f != "name"}
            elif isinstance(v, dict):
                flat |= {f"{k}: {f}": y for f, y in v.items()}
            else:
                flat[str(k)] = v
        columns += [k for k in flat if k not in columns]
        flat_rows.append(flat)
    return {"columns": [c.replace("_", " ") for c in columns],
            "rows": [[_any_cell(r.get(c)) for c in columns] for r in flat_rows]}


def _any_cell(x: Any) -> Cell:
    if isinstance(x, bool) or x is None:
        return {"t": "" if x is None else ("yes" if x else "no")}
    if isinstance(x, int):
        return cell(x, count(x))
    if isinstance(x, float):
        return cell(x, f"{x:,.4g}" if abs(x) < 1e4 else f"{x:,.0f}")
    if isinstance(x, list | tuple):
        return {"t": ", ".join(" / ".join(map(str, y)) if isinstance(y, list | tuple)
                               else _record_text(y) if isinstance(y, dict) else str(y)
                               for y in x)}
    if isinstance(x, dict):
        return {"t": _record_text(x)}
    return {"t": str(x)}


def _record_text(x: dict[str, Any]) -> str:
    """A record inside a cell (a worst station, say): ``precinct 12 · excess 3``."""
    return "(" + " · ".join(f"{k.replace('_', ' ')} {_any_cell(v)['t']}"
                            for k, v in x.items()) + ")"


# -- the page --------------------------------------------------------------------------------
def _asset(name: str) -> str:
    return resources.files("cli").joinpath("templates", name).read_text(encoding="utf-8")


def _sha256(text: str) -> str:
    digest = hashlib.sha256(text.encode("utf-8")).digest()
    return f"'sha256-{base64.b64encode(digest).decode('ascii')}'"


def csp(script: str, style: str) -> str:
    """The page's policy: its own script and stylesheet by hash, nothing else at all."""
    return (f"default-src 'none'; script-src {_sha256(script)}; style-src {_sha256(style)}; "
            "img-src 'none'; font-src 'none'; connect-src 'none'; base-uri 'none'; "
            "form-action 'none'")


def _version() -> str:
    try:
        return metadata.version("saylau")
    except metadata.PackageNotFoundError:  # a checkout used without installing
        return "unknown"


def _environment() -> jinja2.Environment:
    env = jinja2.Environment(loader=jinja2.PackageLoader("cli", "templates"),
                             autoescape=True, trim_blocks=True, lstrip_blocks=True,
                             undefined=jinja2.StrictUndefined, keep_trailing_newline=True)
    env.filters.update(count=count, pct=pct, prob=prob, jv=_value, td=td)
    env.globals.update(bar=bar, range_bar=range_bar)
    return env


def render(template: str, **context: Any) -> str:
    """The page ``template`` filled with ``context``, its stylesheet and script inline."""
    script, style = _asset("page.js"), _asset("page.css")
    page = _environment().get_template(template)
    return page.render(script=Markup(script), style=Markup(style), csp=csp(script, style),
                       version=_version(), **context)
