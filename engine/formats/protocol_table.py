"""The ``[protocol]`` table of a scenario: a preset, or lines, derived lines and control
relations of the scenario's own (added to the preset's when both are given)."""

from __future__ import annotations

from engine.formats.toml_reader import Reader
from engine.law import protocol as _protocol
from engine.law.protocol import Protocol, Relation

__all__ = ["read_protocol"]


def _relations(t: Reader, key: str) -> tuple[Relation, ...]:
    out = []
    for i, text in enumerate(t.str_list(key), start=1):
        try:
            out.append(_protocol.parse(text))
        except ValueError as err:
            t.fail(f"{err}: {text!r}", f"{key}[{i}]")
    return tuple(out)


def read_protocol(top: Reader) -> Protocol | None:
    """The scenario's protocol, or None when it declares none (the basic one applies)."""
    t = top.table("protocol")
    if t is None:
        return None
    name = t.str("preset")
    try:
        base = _protocol.preset(name) if name is not None else None
    except KeyError as err:
        t.fail(str(err.args[0]), "preset")
    lines = t.str_list("lines")
    for i, line in enumerate(lines, start=1):
        if not _protocol.is_line_name(line):
            t.fail(f"{line!r} is not a line name (lower case letters, digits and _)",
                   f"lines[{i}]")
    derived = _relations(t, "derived")
    relations = _relations(t, "relations")
    turnout = t.str("turnout_basis", choices=_protocol.TURNOUT_BASES)
    share = t.str("share_basis", choices=_protocol.BASES)
    source = t.str("source")
    t.close()
    if base is None and not lines and not relations and not derived:
        t.fail("names no preset and no lines or relations")
    start = base or _protocol.BASIC
    try:
        return Protocol(
            name=(name or "own") if not (lines or derived or relations) or base is None
            else f"{name} + own",
            lines=(*start.lines, *lines),
            derived=(*start.derived, *derived),
            relations=(*start.relations, *relations),
            turnout_basis=turnout or start.turnout_basis,
            share_basis=share or start.share_basis,
            source=source or start.source)
    except ValueError as err:
        t.fail(str(err))
