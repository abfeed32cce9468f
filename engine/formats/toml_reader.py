"""A strict reader over parsed TOML: every key is taken on purpose, every leftover is an error.

Each value is read with its place (``race[semey].candidate[2].votes``) so any problem becomes a
:class:`ScenarioError` naming the file, the place and what is wrong.
"""

from __future__ import annotations

import builtins
import datetime as dt
import difflib
import math
import re
from collections.abc import Callable, Iterator
from typing import Any, Literal, NoReturn, overload

from engine.errors import ScenarioError
from engine.formats.counts import check_count, type_name
from engine.limits import MAX_DECIMALS, check_date

__all__ = ["Reader", "check_count", "check_percent", "type_name"]

# ASCII digits only ("\d" would take other scripts' digits): up to 3 before the point, at most
# MAX_DECIMALS after it
_PERCENT = re.compile(rf"[0-9]{{1,3}}(\.[0-9]{{1,{MAX_DECIMALS}}})?")
_MISSING = object()


class Reader:
    """One TOML table being read; ``close()`` rejects the keys nobody took."""

    def __init__(self, file: str, data: Any, place: str) -> None:
        self.file = file
        self.place = place
        if not isinstance(data, dict):
            self.fail(f"must be a table, got {type_name(data)}")
        self.data: dict[str, Any] = data
        self._taken: set[str] = set()

    # -- errors -----------------------------------------------------------------------------
    def at(self, key: str | int | None = None) -> str:
        if key is None:
            return self.place
        if isinstance(key, int):
            return f"{self.place}[{key}]"
        return f"{self.place}.{key}" if self.place else key

    def fail(self, problem: str, key: str | None = None) -> NoReturn:
        raise ScenarioError(self.file, self.at(key), problem)

    def child(self, key: str, data: Any, label: str | int) -> Reader:
        return Reader(self.file, data, f"{self.at(key)}[{label}]")

    # -- taking values ----------------------------------------------------------------------
    def has(self, key: str) -> bool:
        return key in self.data

    def _get(self, key: str, required: bool) -> Any:
        self._taken.add(key)
        if key not in self.data:
            if required:
                self.fail("is required but missing", key)
            return _MISSING
        return self.data[key]

    # Reader.str shadows the builtin inside the class: annotations below say builtins.str.
    @overload
    def str(self, key: builtins.str, *, required: Literal[True],
            default: builtins.str | None = None,
            choices: tuple[builtins.str, ...] | None = None) -> builtins.str: ...
    @overload
    def str(self, key: builtins.str, *, required: bool = False, default: builtins.str,
            choices: tuple[builtins.str, ...] | None = None) -> builtins.str: ...
    @overload
    def str(self, key: builtins.str, *, required: bool = False, default: None = None,
            choices: tuple[builtins.str, ...] | None = None) -> builtins.str | None: ...
    def str(self, key: builtins.str, *, required: bool = False,
            default: builtins.str | None = None,
            choices: tuple[builtins.str, ...] | None = None) -> builtins.str | None:
        value = self._get(key, required)
        if value is _MISSING:
            return default
        if not isinstance(value, str):
            self.fail(f"must be a string, got {type_name(value)}", key)
        if not value.strip():
            self.fail("must not be empty", key)
        if choices is not None and value not in choices:
            self.fail(f"must be one of {', '.join(map(repr, choices))}, got {value!r}", key)
        return value

    @overload
    def count(self, key: builtins.str, *, required: Literal[True]) -> int: ...
    @overload
    def count(self, key: builtins.str, *, required: bool = False) -> int | None: ...
    def count(self, key: builtins.str, *, required: bool = False) -> int | None:
        """A non-negative whole number of voters, ballots or votes."""
        value = self._get(key, required)
        if value is _MISSING:
            return None
        return check_count(value, lambda p: self.fail(p, key))

    def number(self, key: builtins.str, *, low: float = 0.0, high: float = 1.0,
               open_low: bool = False, infinite: bool = False) -> float | None:
        """A model parameter: a number in [low, high] ((low, high] with ``open_low``); with
        ``infinite``, also the string "inf" (no noise at that level)."""
        value = self._get(key, False)
        if value is _MISSING:
            return None
        if infinite and value == "inf":
            return math.inf
        if isinstance(value, bool) or not isinstance(value, int | float):
            also = ' or "inf"' if infinite else ""
            self.fail(f"must be a number{also}, got {type_name(value)} {value!r}", key)
        if not math.isfinite(value) or value < low or value > high or (open_low and value == low):
            lo = "(" if open_low else "["
            hi = "]" if math.isfinite(high) else ")"
            self.fail(f"must be in {lo}{low:g}, {high:g}{hi}, got {value!r}", key)
        return float(value)

    def allow(self, *keys: builtins.str) -> None:
        """Keys this table may hold though they were not read (named in unknown-key errors)."""
        self._taken.update(keys)

    @overload
    def date(self, key: builtins.str, *, required: Literal[True]) -> dt.date: ...
    @overload
    def date(self, key: builtins.str, *, required: bool = False) -> dt.date | None: ...
    def date(self, key: builtins.str, *, required: bool = False) -> dt.date | None:
        value = self._get(key, required)
        if value is _MISSING:
            return None
        if isinstance(value, dt.datetime) or not isinstance(value, dt.date):
            self.fail(f"must be a date like 2025-10-12 (no quotes), got {type_name(value)}", key)
        problem = check_date(value)
        if problem is not None:
            self.fail(problem, key)
        return value

    def percent(self, key: builtins.str) -> builtins.str | None:
        """A published percentage, kept as the string the source printed."""
        value = self._get(key, False)
        if value is _MISSING:
            return None
        return check_percent(value, lambda p: self.fail(p, key))

    def str_list(self, key: builtins.str, *, default: tuple[builtins.str, ...] = ()
                 ) -> tuple[builtins.str, ...]:
        value = self._get(key, False)
        if value is _MISSING:
            return default
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
            self.fail("must be an array of non-empty strings", key)
        return tuple(value)

    @overload
    def table(self, key: builtins.str, *, required: Literal[True]) -> Reader: ...
    @overload
    def table(self, key: builtins.str, *, required: bool = False) -> Reader | None: ...
    def table(self, key: builtins.str, *, required: bool = False) -> Reader | None:
        value = self._get(key, required)
        if value is _MISSING:
            return None
        return Reader(self.file, value, self.at(key))

    def raw(self, key: builtins.str) -> Any:
        value = self._get(key, False)
        return None if value is _MISSING else value

    def tables(self, key: builtins.str, *, label_key: builtins.str | None = "id"
               ) -> Iterator[tuple[int, Reader]]:
        """Each table of an array of tables, labelled by ``label_key`` or by position from 1."""
        value = self._get(key, False)
        if value is _MISSING:
            return
        if isinstance(value, dict):
            value = [value]
        if not isinstance(value, list):
            self.fail(f"must be an array of tables, got {type_name(value)}", key)
        for i, item in enumerate(value, start=1):
            label: builtins.str | int = i
            if label_key and isinstance(item, dict) and isinstance(item.get(label_key), str):
                label = item[label_key]
            yield i, self.child(key, item, label)

    def close(self) -> None:
        extra = [k for k in self.data if k not in self._taken]
        if extra:
            key = extra[0]
            hint = difflib.get_close_matches(key, sorted(self._taken), n=1)
            tip = f" (did you mean {hint[0]!r}?)" if hint else ""
            allowed = ", ".join(sorted(self._taken))
            self.fail(f"unknown key {key!r}{tip}; allowed here: {allowed}")


def check_percent(value: Any, fail: Callable[[str], NoReturn]) -> str:
    """A published percentage: a string of ASCII digits, at most 100, with at most
    :data:`MAX_DECIMALS` decimals."""
    if isinstance(value, bool | int | float):
        shown = repr(value)[:24]
        fail(f"write percentages as strings to keep their published precision, e.g. \"{shown}\"")
    if not isinstance(value, str) or not _PERCENT.fullmatch(value.strip()):
        shown = repr(value) if len(repr(value)) <= 40 else f"{repr(value)[:40]}..."
        more = (f" (at most {MAX_DECIMALS} decimals)" if isinstance(value, str)
                and re.fullmatch(r"[0-9]{1,3}\.[0-9]+", value.strip()) else "")
        fail(f"must be a percentage like \"53.70\"{more}, got {shown}")
    if float(value) > 100:
        fail(f"must be <= 100, got {value!r}")
    return value.strip()
