"""A report page's tables, read the same way by Python's HTML parser (tests without a browser)
and from the DOM (tests in Chromium), and compared with the JSON output they were built from:
every number cell's ``data-value`` is the JSON value, its text the value as the table output
writes it."""

from __future__ import annotations

from html.parser import HTMLParser
from typing import Any

__all__ = ["DOM_TABLES", "TableReader", "check_forensics", "check_replay", "check_simulation",
           "tables_of"]

Table = dict[str, Any]  # {"caption", "headers": [str], "rows": [{"attrs": {}, "cells": [...]}]}

# The same structure from the DOM: every table with an id, its first header row's texts, and
# each body row's data-* attributes and cells (text, data-value, data-low, data-high).
DOM_TABLES = """() => {
  const out = {};
  for (const t of document.querySelectorAll("table[id]")) {
    const head = t.tHead ? Array.from(t.tHead.rows[0].cells, c => c.textContent.trim()) : [];
    const rows = Array.from(t.tBodies[0].rows, r => ({
      attrs: Object.fromEntries(Object.entries(r.dataset)),
      cells: Array.from(r.cells, c => ({
        text: c.textContent.trim(), value: c.getAttribute("data-value"),
        low: c.getAttribute("data-low"), high: c.getAttribute("data-high")}))}));
    out[t.id] = {caption: t.caption ? t.caption.textContent.trim() : "", headers: head, rows};
  }
  return out;
}"""


class TableReader(HTMLParser):
    """Every table with an id, as :data:`DOM_TABLES` reads it from the DOM."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tables: dict[str, Table] = {}
        self._table: Table | None = None
        self._part = ""
        self._cell: dict[str, Any] | None = None
        self._text: list[str] = []
        self._depth = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "table":
            self._depth += 1
            if self._depth == 1 and a.get("id"):
                self._table = {"caption": "", "headers": [], "rows": [], "id": a["id"]}
        if self._table is None or self._depth != 1:
            return
        if tag in ("thead", "tbody", "caption"):
            self._part = tag
            if tag == "caption":
                self._text = []
        elif tag == "tr" and self._part == "tbody":
            self._table["rows"].append({"attrs": {_camel(k[5:]): v for k, v in a.items()
                                                  if k.startswith("data-")}, "cells": []})
        elif tag in ("td", "th"):
            self._cell = {"value": a.get("data-value"), "low": a.get("data-low"),
                          "high": a.get("data-high")}
            self._text = []

    def handle_endtag(self, tag: str) -> None:
        if tag == "table":
            if self._depth == 1 and self._table is not None:
                self.tables[self._table.pop("id")] = self._table
                self._table = None
            self._depth -= 1
            return
        if self._table is None or self._depth != 1:
            return
        text = " ".join("".join(self._text).split())
        if tag == "caption":
            self._table["caption"] = text
            self._part = ""
        elif tag in ("td", "th") and self._cell is not None:
            if self._part == "thead" and not self._table["rows"]:
                if len(self._table["headers"]) < 100 and not self._table.get("_head_done"):
                    self._table["headers"].append(text)
            elif self._part == "tbody":
                self._table["rows"][-1]["cells"].append({"text": text, **self._cell})
            self._cell = None
        elif tag == "tr" and self._part == "thead":
            self._table["_head_done"] = True

    def handle_data(self, data: str) -> None:
        self._text.append(data)


def _camel(name: str) -> str:
    head, *rest = name.split("-")
    return head + "".join(x.capitalize() for x in rest)


def tables_of(html: str) -> dict[str, Table]:
    """The tables of a page's HTML, read without a browser."""
    reader = TableReader()
    reader.feed(html)
    for t in reader.tables.values():
        t.pop("_head_done", None)
    return reader.tables


# -- comparing ---------------------------------------------------------------------------------
def _cells(table: Table, row: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return dict(zip(table["headers"], row["cells"], strict=True))


def _value(cell: dict[str, Any]) -> Any:
    v = cell["value"]
    return None if v in ("", None) else (float(v) if "." in v or "e" in v else int(v))


def _count(cell: dict[str, Any], expected: int | None) -> None:
    """A count cell holds the JSON count, written with thousands separators."""
    assert _value(cell) == expected, (cell, expected)
    if expected is not None:
        assert cell["text"] == f"{expected:,}", (cell, expected)


def _percent(cell: dict[str, Any], expected: float | None) -> None:
    """A percentage cell holds the JSON value, written with two decimals."""
    assert _value(cell) == expected, (cell, expected)
    if expected is not None:
        assert cell["text"] == f"{expected:.2f}", (cell, expected)


def _rows_by(table: Table, key: str) -> dict[str, dict[str, Any]]:
    return {row["attrs"][key]: row for row in table["rows"]}


def check_replay(tables: dict[str, Table], d: dict[str, Any]) -> int:
    """Every number of the replay page against `saylau replay --format json`; the count of
    cells compared (so a caller sees that the comparison did compare)."""
    seen = 0
    checks = tables["figures-all"]["rows"] if d["checks"] else []
    assert [r["attrs"]["where"] for r in checks] == [c["where"] for c in d["checks"]]
    for row, c in zip(checks, d["checks"], strict=True):
        cells = _cells(tables["figures-all"], row)
        assert _value(cells["published"]) == c["published"]
        assert cells["status"]["text"] == c["status"]
        if c["recomputed"] is not None:
            assert _value(cells["recomputed"]) == c["recomputed"]
            assert _value(cells["difference"]) == c["difference"]
        elif c["low"] is not None:
            assert (float(cells["recomputed"]["low"]), float(cells["recomputed"]["high"])) == (
                c["low"], c["high"])
        seen += 3
    failing = [c["where"] for c in d["checks"]
               if c["status"] in ("truncated", "mismatch")]
    if failing:
        assert [r["attrs"]["where"] for r in tables["figures-failing"]["rows"]] == failing
    if d["inferred"]:
        rows = tables["inferred"]["rows"]
        assert [(r["attrs"]["where"], _value(r["cells"][1]), _value(r["cells"][2]))
                for r in rows] == [(i["where"], i["low"], i["high"]) for i in d["inferred"]]
        seen += 2 * len(rows)
    for depth in {len(a["path"]) for a in d["areas"]} if d["races"] else ():
        rows = _rows_by(tables[f"level-{depth}"], "area")
        for a in (a for a in d["areas"] if len(a["path"]) == depth):
            cells = _cells(tables[f"level-{depth}"], rows[" / ".join(a["path"])])
            for key, header in (("races", "races"), ("decided", "decided"),
                                ("registered", "registered"), ("cast", "cast"),
                                ("invalid", "invalid"), ("against_all", "against all")):
                _count(cells[header], a[key])
            _percent(cells["turnout %"], a["turnout"])
            for p in a["parties"]:
                _count(cells[p["party"]], p["seats"])
            seen += 7 + len(a["parties"])
    if d["races"]:
        nation = d["areas"][0]
        rows = _rows_by(tables["nation-parties"], "party")
        for p in nation["parties"]:
            cells = _cells(tables["nation-parties"], rows[p["party"]])
            _count(cells["races won"], p["seats"])
            _count(cells["votes"], p["votes"])
            seen += 2
    seen += _check_races(tables, d)
    seen += _check_within(tables, d)
    if d.get("protocol"):
        rows = tables["protocol-relations"]["rows"]
        assert [r["attrs"]["relation"] for r in rows] == [
            x["relation"] for x in d["protocol"]["relations"]]
        for row, x in zip(rows, d["protocol"]["relations"], strict=True):
            cells = _cells(tables["protocol-relations"], row)
            _count(cells["stations checked"], x["checked"])
            _count(cells["failing"], x["failed"])
            seen += 2
    return seen


def _check_within(tables: dict[str, Table], d: dict[str, Any]) -> int:
    """Each race's areas: turnout and every option's share as the JSON's precinct_areas."""
    seen = 0
    n_of = {r["id"]: n for n, r in enumerate(d["races"], 1)}
    for a in d.get("precinct_areas", []):
        t = tables[f"within-{n_of[a['race']]}-{a['level']}"]
        row = next(r for r in t["rows"] if r["attrs"]["area"] == " / ".join(a["path"]))
        cells = _cells(t, row)
        _count(cells["precincts"], a["precincts"])
        _count(cells["registered"], a["registered"])
        _percent(cells["turnout %"], a["turnout"])
        for c in a["candidates"]:
            _percent(cells[f"{c['name']} %"], c["share"])
        seen += 3 + len(a["candidates"])
    return seen


def _check_races(tables: dict[str, Table], d: dict[str, Any]) -> int:
    seen = 0
    inferred = {i["where"]: (i["low"], i["high"]) for i in d["inferred"]}
    summary = _rows_by(tables["races"], "race") if "races" in tables else {}
    options = {(r["attrs"]["race"], r["attrs"]["option"]): (tables["options-all"], r)
               for r in tables["options-all"]["rows"]} if "options-all" in tables else {}
    for n, r in enumerate(d["races"], 1):
        place = f"race[{r['id']}]"
        if f"race-{n}-options" in tables:
            t = tables[f"race-{n}-options"]
            options |= {(r["id"], row["attrs"]["option"]): (t, row) for row in t["rows"]}
        for j, c in enumerate(r["candidates"], 1):
            if (r["id"], f"candidate[{j}]") not in options:
                continue
            t, row = options[(r["id"], f"candidate[{j}]")]
            cells = _cells(t, row)
            assert cells["option"]["text"] == c["name"]
            if c["votes"] is None:
                lo, hi = inferred[f"{place}.candidate[{j}].votes"]
                assert (int(cells["votes"]["low"]), int(cells["votes"]["high"])) == (lo, hi)
            else:
                _count(cells["votes"], c["votes"])
            if c["share"] is not None:
                _percent(cells["share %"], c["share"])
            assert (cells["result"]["text"] == "elected") == (c["name"] == r["winner"])
            seen += 3
        if r["id"] in summary:
            cells = _cells(tables["races"], summary[r["id"]])
            for key in ("registered", "cast"):
                if r[key] is not None or f"{place}.{key}" not in inferred:
                    _count(cells[key], r[key])
                else:
                    assert (int(cells[key]["low"]), int(cells[key]["high"])) == inferred[
                        f"{place}.{key}"]
            if r["turnout"] is not None:
                _percent(cells["turnout %"], r["turnout"])
            _count(cells["margin"], r["margin_votes"])
            if r["margin_points"] is not None:
                _percent(cells["margin, points"], r["margin_points"])
            winner = next((c for c in r["candidates"] if c["name"] == r["winner"]), None)
            assert cells["winner or outcome"]["text"] == (
                r["winner"] if winner else r["outcome"].replace("_", " "))
            if winner is not None and winner["votes"] is not None:
                _count(cells["votes"], winner["votes"])
            seen += 6
    return seen


def check_simulation(tables: dict[str, Table], d: dict[str, Any]) -> int:
    """Every number of the simulation page against `saylau simulate --format json`."""
    seen = 0
    risks = _rows_by(tables["risks"], "race")
    quantiles = _rows_by(tables["quantiles"], "race")
    for n, r in enumerate(d["races"], 1):
        if f"wins-{n}" in tables:
            t = tables[f"wins-{n}"]
            for row, c in zip(t["rows"], r["candidates"], strict=False):
                cells = _cells(t, row)
                assert cells["candidate"]["text"] == c["name"]
                assert _value(cells["wins"]) == c["wins"]
                assert _value(cells["P(win)"]) == c["p_win"]
                assert cells["P(win)"]["text"] == f"{100 * c['p_win']:.2f}%"
                assert [float(cells["95% interval"]["low"]),
                        float(cells["95% interval"]["high"])] == c["p_win_95"]
                seen += 4
        cells = _cells(tables["risks"], risks[r["id"]])
        for key, header in (("p_failed", "failed"), ("p_tie", "tie"),
                            ("p_against_all_top", "against all above every candidate"),
                            ("p_margin_le_1", "margin ≤ 1 vote"),
                            ("p_margin_le_10", "≤ 10 votes"),
                            ("p_margin_le_1pct", "≤ 1% of valid")):
            assert _value(cells[header]) == r[key], (header, cells[header], r[key])
            seen += 1
        t = tables["quantiles"]
        values = [_value(c) for c in quantiles[r["id"]]["cells"] if c["value"] is not None]
        assert values == [*r["turnout_percent"].values(), *r["margin_votes"].values(),
                          *r["margin_points"].values()]
        seen += len(values)
    for n, a in enumerate(d["areas"], 1):
        if f"area-{n}" not in tables:
            continue
        t = tables[f"area-{n}"]
        for row, c in zip(t["rows"], a["counts"], strict=True):
            cells = _cells(t, row)
            assert cells["party"]["text"] == c["name"]
            assert [_value(cells[h]) for h in ("mean", "5%", "50%", "95%")] == [
                c["mean"], c["p5"], c["p50"], c["p95"]]
            seen += 4
    return seen


def check_forensics(tables: dict[str, Table], fd: dict[str, Any]) -> int:
    """The forensics section against `saylau forensics --format json`."""
    t = tables["forensics-tests"]
    assert [r["attrs"]["test"] for r in t["rows"]] == [x["name"] for x in fd["tests"]]
    for row, x in zip(t["rows"], fd["tests"], strict=True):
        cells = _cells(t, row)
        assert _value(cells["statistic"]) == x["statistic"]
        assert _value(cells["reference"]) == x["reference"]
        assert _value(cells["n"]) == x["n"]
        if x["p_value"] is not None:
            assert _value(cells["p / 95% interval"]) == x["p_value"]
        assert ("FLAGGED" in cells["verdict"]["text"]) == (x["verdict"] == "FLAGGED")
    voters = fd["fingerprint"]["registered_voters"]
    histogram = [_value(r["cells"][1]) for r in tables["turnout-histogram"]["rows"]]
    assert histogram == [sum(row) for row in voters]
    coarse = [[_value(c) for c in r["cells"][1:]] for r in tables["fingerprint-table"]["rows"]]
    step = len(voters) // len(coarse)
    assert coarse == [[sum(voters[i][j] for i in range(a * step, (a + 1) * step)
                           for j in range(b * step, (b + 1) * step))
                       for b in range(len(coarse))] for a in range(len(coarse))]
    return 4 * len(fd["tests"]) + len(histogram) + len(coarse) ** 2
