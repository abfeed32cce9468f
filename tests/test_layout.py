"""The engine's rooms: imports point one way, no module imports another that imports it back,
nothing in ``engine`` imports ``cli``, and no module grows past one job's size."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from tests.paths import ROOT

ENGINE = ROOT / "engine"

# What each room may import (besides itself); DESIGN.md section 2, ARCHITECTURE.md.
BASE = {"errors", "records", "limits"}
ALLOWED = {
    "errors": set(),
    "records": {"errors"},
    "limits": {"errors"},
    "law": BASE,
    "tally": BASE | {"law"},
    "replay": BASE | {"law", "tally"},
    "formats": BASE | {"law", "tally", "replay"},
    "simulation": BASE | {"law", "tally", "replay", "formats"},
    "analysis": BASE | {"law", "tally", "replay", "formats", "simulation"},
    "__init__": {"errors", "records", "limits", "law", "tally", "replay", "formats", "simulation",
                 "analysis"},
}
MAX_LINES = 420  # "about 400" (DESIGN.md section 2)


def _module(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _modules() -> dict[str, Path]:
    return {_module(p): p for p in sorted(ENGINE.rglob("*.py"))}


def _type_checking(node: ast.If) -> bool:
    t = node.test
    return (isinstance(t, ast.Name) and t.id == "TYPE_CHECKING") or (
        isinstance(t, ast.Attribute) and t.attr == "TYPE_CHECKING")


def _imports(path: Path, known: dict[str, Path]) -> list[tuple[str, bool, int]]:
    """(module imported, deferred?, line) for every import of engine or cli code, type-checking
    imports left out."""
    tree = ast.parse(path.read_text())
    found = []

    def visit(node: ast.AST, deferred: bool) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and _type_checking(child):
                continue
            inner = deferred or isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef))
            if isinstance(child, ast.ImportFrom) and child.level == 0 and child.module:
                for alias in child.names:
                    sub = f"{child.module}.{alias.name}"
                    target = sub if sub in known else child.module
                    if target.split(".")[0] in ("engine", "cli"):
                        found.append((target, deferred, child.lineno))
            elif isinstance(child, ast.Import):
                found.extend((a.name, deferred, child.lineno) for a in child.names
                             if a.name.split(".")[0] in ("engine", "cli"))
            visit(child, inner)

    visit(tree, False)
    return found


def _room(module: str) -> str:
    parts = module.split(".")
    return "__init__" if len(parts) == 1 else parts[1]


def _graph() -> dict[str, set[str]]:
    known = _modules()
    graph: dict[str, set[str]] = {}
    for name, path in known.items():
        graph[name] = {t for t, _, _ in _imports(path, known) if t in known and t != name}
    return graph


def test_nothing_in_engine_imports_cli():
    """The engine prints nothing and knows no command line: it never imports ``cli``."""
    known = _modules()
    bad = [f"{n}:{line} imports {t}" for n, p in known.items()
           for t, _, line in _imports(p, known) if t.split(".")[0] == "cli"]
    assert bad == []


def test_every_room_imports_only_the_rooms_beneath_it():
    """records <- law <- tally <- replay <- formats <- simulation <- analysis, as ALLOWED says."""
    known = _modules()
    bad = []
    for name, path in known.items():
        room = _room(name)
        for target, _, line in _imports(path, known):
            other = _room(target)
            if other != room and other not in ALLOWED[room]:
                bad.append(f"{name}:{line} ({room}) imports {target} ({other})")
    assert bad == []


def test_there_is_no_import_cycle():
    """No module imports, even from inside a function, a module that imports it back."""
    graph = _graph()
    state: dict[str, int] = {}
    stack: list[str] = []
    cycles: list[list[str]] = []

    def walk(node: str) -> None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                cycles.append([*stack[stack.index(nxt):], nxt])
            elif nxt not in state:
                walk(nxt)
        stack.pop()
        state[node] = 2

    for node in sorted(graph):
        if node not in state:
            walk(node)
    assert cycles == []


def test_a_deferred_import_says_why():
    """An engine import inside a function is there for start-up time, and a comment says so."""
    known = _modules()
    bad = []
    for name, path in known.items():
        lines = path.read_text().splitlines()
        for target, deferred, line in _imports(path, known):
            if not deferred or not target.startswith("engine"):
                continue
            near = " ".join(lines[max(0, line - 3):line]).lower()
            if "start-up" not in near and "startup" not in near:
                bad.append(f"{name}:{line} imports {target}")
    assert bad == []


@pytest.mark.parametrize("path", sorted(ENGINE.rglob("*.py")), ids=lambda p: _module(p))
def test_no_engine_module_grows_past_one_job(path):
    """A module past about 400 lines holds a second job: split it (DESIGN.md section 2)."""
    assert len(path.read_text().splitlines()) <= MAX_LINES
