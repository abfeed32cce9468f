"""Hostile input through the command line, in process: hypothesis mutates the shipped scenarios
and a precinct file as a hostile user would (keys dropped, renamed or added, values of the wrong
type, numbers at the edges of int64, names with control characters, dates at the ends of the
calendar, arrays grown and emptied, raw bytes) and runs a command on each.

Every run must end with exit 0, 1 or 2, never a traceback; an error is one ``error:`` line on
stderr; what a run prints on exit 0 adds up (the nation's counts are the sums of its races').
The ``ci`` profile runs 60 examples; ``pytest tests/cli/test_fuzz.py --hypothesis-profile=fuzz``
runs 10,000 (README, "Hostile input").
"""

from __future__ import annotations

import datetime as dt
import json
import math
import tomllib
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from cli.main import main
from tests.paths import HISTORICAL, SIMULATIONS

# The shipped scenarios mutated (the national one reads the shared folder: the precinct file
# below stands in for it), each parsed once.
_FILES = [*sorted(HISTORICAL.glob("*.toml")), *sorted(SIMULATIONS.glob("*.toml"))]
BASES = {f.name: tomllib.loads(f.read_text(encoding="utf-8")) for f in _FILES}

PRECINCT_CSV = ("region,station,voters,cast,invalid,against,A,B\n"
                "North,1,1000,600,10,40,300,250\n"
                "North,2,800,500,5,20,275,200\n"
                "South,1,1200,700,12,30,358,300\n"
                "South,2,900,450,9,11,230,200\n")
PRECINCT_SCENARIO = {
    "election": {"name": "precinct file", "date": dt.date(2021, 7, 25), "rules": "kz-2021-rural"},
    "race": [{"id": "a", "name": "A town", "candidate": [{"name": "A"}, {"name": "B"}],
              "published": {"turnout": "59.1"}}],
    "precincts": {"file": "rows.csv",
                  "columns": {"precinct": ["region", "station"], "area": ["region"],
                              "registered": "voters", "cast": "cast", "invalid": "invalid",
                              "against_all": "against", "candidates": ["A", "B"]}},
}
BASES["precincts.toml"] = PRECINCT_SCENARIO

# Values at the edges: of int64 and the count limit, of the calendar, of text.
EDGE_INTS = [-1, 0, 1, 2**31, 2**53 + 1, 2**62 - 1, 2**62, 2**63 - 1, 2**63, 2**64, -(2**63),
             10**40]
EDGE_TEXT = ["", " ", "a\nb", "x\x1b[31m", "\u2028", "\u00a0100", "٥٠", "53.70", "100.5",
             "1,000", "0x10", "1e3", "-5", "+5", "NaN", "inf", "9" * 30, "9" * 5000,
             "53." + "7" * 40, "é" * 300, "..", "/etc/passwd", "nul\x00l", "\t"]
EDGE_DATES = [dt.date(1, 1, 1), dt.date(1799, 12, 31), dt.date(2999, 12, 31),
              dt.date(3000, 1, 1), dt.date(9999, 12, 31), dt.date(2024, 2, 29)]
EDGE_FLOATS = [0.0, -0.0, 1.0, 1e-320, 1e300, math.inf, -math.inf, math.nan, 0.5, 1.5]
EDGE_CELLS = ["", " ", "\u00a0600", "-1", "+1", "1.0", "1,000", "٣", "0x10", "9" * 19,
              "9" * 5000, "4611686018427387903", "4611686018427387904", "a\nb", '"', "NA"]
KEYS = ["id", "name", "votes", "registered", "cast", "invalid", "valid", "published", "share",
        "turnout", "area", "date", "rules", "file", "columns", "precincts", "from", "runs",
        "seed", "races", "candidates", "against_all", "preset", "relations", "lines",
        "turnout_concentration", "swing_sd", "term_years", "min_candidates", "nonsense\n"]


def _value(draw: st.DrawFn) -> Any:
    """A value of any type TOML holds, at an edge."""
    kind = draw(st.sampled_from(["int", "text", "date", "float", "bool", "list", "table"]))
    if kind == "int":
        return draw(st.sampled_from(EDGE_INTS) | st.integers(-5, 10**6))
    if kind == "text":
        return draw(st.sampled_from(EDGE_TEXT)
                    | st.text(st.characters(exclude_categories=("Cs",)), max_size=12))
    if kind == "date":
        return draw(st.sampled_from(EDGE_DATES))
    if kind == "float":
        return draw(st.sampled_from(EDGE_FLOATS))
    if kind == "bool":
        return draw(st.booleans())
    if kind == "list":
        return draw(st.sampled_from([[], [1, 2], ["a", "a"], [[[]]], [{}]]))
    return draw(st.sampled_from([{}, {"votes": 1}, {"share": "50"}]))


def _nodes(data: Any, path: tuple = ()) -> list[tuple]:
    """Every (path to a container, key or index) of parsed TOML."""
    out = []
    if isinstance(data, dict):
        for k, v in data.items():
            out.append((path, k))
            out.extend(_nodes(v, (*path, k)))
    elif isinstance(data, list):
        for i, v in enumerate(data):
            out.append((path, i))
            out.extend(_nodes(v, (*path, i)))
    return out


def _at(data: Any, path: tuple) -> Any:
    for k in path:
        data = data[k]
    return data


def _alike(draw: st.DrawFn, old: Any) -> Any:
    """A value of the same type as ``old``, near it or at an edge (so the file stays readable
    often enough for the deeper paths to run)."""
    if isinstance(old, bool):
        return not old
    if isinstance(old, int):
        return draw(st.sampled_from([0, 1, old + 1, max(old - 1, 0), old * 2, old // 2,
                                     2**53 + 1, 2**62 - 1]))
    if isinstance(old, float):
        return draw(st.sampled_from([0.0, 1.0, old / 2, min(old * 2, 1.0), 1e-9]))
    if isinstance(old, str):
        if old.replace(".", "").isdigit():  # a published percentage
            return draw(st.sampled_from(["0", "100", "0.0001", "99.99", old + "1", "50"]))
        return draw(st.sampled_from([old + "\n2", old.upper(), old + " ", "Ä" + old, old * 3]))
    if isinstance(old, dt.date):
        try:
            return old + dt.timedelta(days=draw(st.sampled_from([-36500, -1, 1, 365 * 4])))
        except OverflowError:  # past year 1 or 9999
            return old
    return _value(draw)


def _mutate(draw: st.DrawFn, data: dict[str, Any]) -> dict[str, Any]:
    """Up to three structured mutations of parsed TOML (a deep copy is mutated)."""
    data = json.loads(json.dumps(data, default=_dates), object_hook=_undates)
    for _ in range(draw(st.integers(0, 3))):
        nodes = _nodes(data)
        if not nodes:
            break
        path, key = draw(st.sampled_from(nodes))
        parent = _at(data, path)
        op = draw(st.sampled_from(["alike", "alike", "alike", "set", "set", "drop", "add",
                                   "rename", "grow", "empty"]))
        if op == "alike":
            parent[key] = _alike(draw, parent[key])
        elif op == "set":
            parent[key] = _value(draw)
        elif op == "drop":
            del parent[key]
        elif op == "add" and isinstance(parent, dict):
            parent[draw(st.sampled_from(KEYS))] = _value(draw)
        elif op == "rename" and isinstance(parent, dict):
            parent[draw(st.sampled_from(KEYS))] = parent.pop(key)
        elif op == "grow" and isinstance(parent[key], list) and parent[key]:
            parent[key] = parent[key] * draw(st.sampled_from([2, 3, 50]))
        elif op == "empty" and isinstance(parent[key], list | dict):
            parent[key] = type(parent[key])()
    return data


def _dates(value: Any) -> Any:
    if isinstance(value, dt.date):
        return {"\x00date": value.isoformat()}
    raise TypeError(value)


def _undates(obj: dict[str, Any]) -> Any:
    return dt.date.fromisoformat(obj["\x00date"]) if set(obj) == {"\x00date"} else obj


def toml_text(data: dict[str, Any]) -> str:
    """Parsed TOML written back (every top-level key as one inline value)."""
    return "".join(f"{_key(k)} = {_inline(v)}\n" for k, v in data.items())


def _key(k: str) -> str:
    return _string(str(k))


def _string(s: str) -> str:
    body = json.dumps(s, ensure_ascii=False)[1:-1].replace("\x7f", "\\u007f")
    return f'"{body}"'


def _inline(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        return "nan" if math.isnan(v) else ("inf" if v > 0 else "-inf") if math.isinf(v) else (
            repr(v))
    if isinstance(v, dt.date):
        return v.isoformat()
    if isinstance(v, str):
        return _string(v)
    if isinstance(v, list):
        return "[" + ", ".join(_inline(x) for x in v) + "]"
    return "{" + ", ".join(f"{_key(k)} = {_inline(x)}" for k, x in v.items()) + "}"


def _raw(draw: st.DrawFn, text: str) -> bytes:
    """The file's bytes, now and then broken below the TOML: cut, a byte changed, a BOM, deep
    nesting, a line of bytes that are not UTF-8."""
    data = text.encode("utf-8")
    op = draw(st.sampled_from(["none"] * 8 + ["cut", "byte", "bom", "nest", "latin1"]))
    if op == "cut" and data:
        return data[:draw(st.integers(0, len(data) - 1))]
    if op == "byte" and data:
        i = draw(st.integers(0, len(data) - 1))
        return data[:i] + bytes([draw(st.integers(0, 255))]) + data[i + 1:]
    if op == "bom":
        return b"\xef\xbb\xbf" + data
    if op == "nest":
        return data + b"deep = " + b"[" * 5000 + b"]" * 5000 + b"\n"
    if op == "latin1":
        return data + b"# caf\xe9\n"
    return data


def _csv(draw: st.DrawFn) -> str:
    """The precinct file, its cells mutated: edge texts, a cell more or less, blank lines."""
    rows = [r.split(",") for r in PRECINCT_CSV.splitlines()]
    for _ in range(draw(st.integers(0, 3))):
        i = draw(st.integers(0, len(rows) - 1))
        j = draw(st.integers(0, max(len(rows[i]) - 1, 0)))
        op = draw(st.sampled_from(["cell", "cell", "drop", "add", "dup", "blank"]))
        if not rows[i] and op in ("cell", "drop"):
            op = "add"
        if op == "cell":
            rows[i][j] = draw(st.sampled_from(EDGE_CELLS))
        elif op == "drop":
            del rows[i][j]
        elif op == "add":
            rows[i].append("7")
        elif op == "dup":
            rows.append(list(rows[i]))
        else:
            rows.insert(i + 1, [])
    return "".join(",".join(_quoted(c) for c in r) + "\n" for r in rows)


def _quoted(cell: str) -> str:
    return f'"{cell}"' if "\n" in cell or "," in cell else cell


def _commands(name: str, data: Any) -> list[list[str]]:
    """What may be run on a file: every command that reads it, on small settings."""
    out = [["validate"], ["replay", "--format", "json"], ["replay"], ["replay", "--format", "csv"],
           ["replay", "--format", "openelections"], ["replay", "--format", "nist-json"],
           ["replay", "--strict", "--all-checks", "--area-level", "2"]]
    if name.startswith(("semey", "aksay", "kz-2023", "against", "precincts", "kz-2021-rerun")):
        out += [["simulate", "--runs", "64", "--format", "json"], ["simulate", "--runs", "70"],
                ["audit"], ["forensics", "--format", "json"], ["forensics"]]
    if name == "kz-2013-maslikhat.toml":
        out += [["simulate", "--runs", "64"]] * 3
    if name == "kz-rural-2021-2037.toml":
        out += [["simulate", "--runs", "64", "--cycles", "2"]] * 3
    return out


@st.composite
def _mutated(draw: st.DrawFn, name: str) -> dict[str, Any]:
    return _mutate(draw, BASES[name])


@st.composite
def _bytes(draw: st.DrawFn, text: str) -> bytes:
    return _raw(draw, text)


@st.composite
def _rows(draw: st.DrawFn) -> str:
    return _csv(draw)


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder holding the shipped historical files (the simulations' ``from``)."""
    root = tmp_path_factory.mktemp("fuzz")
    (root / "historical").mkdir()
    (root / "simulations").mkdir()
    for f in HISTORICAL.glob("*.toml"):
        (root / "historical" / f.name).write_bytes(f.read_bytes())
    return root


@settings(deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                HealthCheck.too_slow])
@given(data=st.data())
def test_hostile_input_ends_in_a_result_or_one_error_line(folder: Path, data: st.DataObject):
    """A mutated scenario (or precinct file) run through a command ends with exit 0, 1 or 2 and
    never a traceback; an error is exactly one line beginning 'error:'; a replay's nation adds
    up to its races."""
    name = data.draw(st.sampled_from(sorted(BASES)), label="base")
    mutated = data.draw(_mutated(name), label="mutated")
    path = folder / "simulations" / name
    path.write_bytes(data.draw(_bytes(toml_text(mutated)), label="bytes"))
    (folder / "simulations" / "rows.csv").write_text(data.draw(_rows(), label="csv"),
                                                   encoding="utf-8")
    args = data.draw(st.sampled_from(_commands(name, mutated)), label="command")
    result = CliRunner().invoke(main, [args[0], str(path), *args[1:]])
    assert result.exception is None or isinstance(result.exception, SystemExit), (
        f"{args}: {result.exception!r}\n{result.stderr[-2000:]}")
    assert result.exit_code in (0, 1, 2), (args, result.exit_code, result.stderr[-500:])
    event(f"exit {result.exit_code}")
    event(f"{args[0]}: exit {result.exit_code}")
    if args[0] == "simulate" and result.exit_code == 2:
        event(result.stderr.split(": ", 2)[-1][:50])
    errors = [line for line in result.stderr.splitlines() if not line.startswith("warning: ")]
    if result.exit_code == 2:
        assert len(errors) == 1, (args, result.stderr)
        assert errors[0].startswith("error: "), (args, result.stderr)
        assert len(errors[0]) <= 600
    elif result.exit_code == 0 and args[:3] == ["replay", "--format", "json"]:
        _adds_up(json.loads(result.stdout))


def _adds_up(d: dict[str, Any]) -> None:
    """The nation's counts are its races' sums; a race's valid votes its options' sum."""
    nation = next((a for a in d["areas"] if a["path"] == []), None)
    for key in ("registered", "cast", "invalid", "valid"):
        values = [r[key] for r in d["races"]]
        if nation is not None and nation[key] is not None and None not in values:
            assert nation[key] == sum(values), key
    for r in d["races"]:
        votes = [c["votes"] for c in r["candidates"]]
        against = r["against_all"]["votes"] if r["against_all"] else 0
        if r["valid"] is not None and None not in votes and against is not None:
            assert r["valid"] == sum(votes) + against, r["id"]
