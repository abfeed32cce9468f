"""Files a scenario reads, checked before they are read: regular files only (a device, a FIFO or
a directory would be read forever, block, or fail late), no larger than their limit
(:mod:`engine.limits`: ``scenario_bytes``, ``table_bytes``).
"""

from __future__ import annotations

import os
import stat
from collections.abc import Callable
from pathlib import Path
from typing import NoReturn

from engine.errors import ScenarioError
from engine.limits import limit as limit_value
from engine.limits import over_limit

__all__ = ["check_file", "read_file", "refuse_special"]

_KINDS = ((stat.S_ISDIR, "a directory"), (stat.S_ISFIFO, "a FIFO (named pipe)"),
          (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"),
          (stat.S_ISSOCK, "a socket"))


def refuse_special(mode: int) -> str | None:
    """None for a regular file's ``st_mode``, else what the file is instead, as a problem."""
    if stat.S_ISREG(mode):
        return None
    kind = next((k for test, k in _KINDS if test(mode)), "not a regular file")
    return f"is {kind}, not a regular file"


def _no_file(name: str) -> Callable[[str], NoReturn]:
    def missing(problem: str) -> NoReturn:
        raise ScenarioError(name, "", problem)

    return missing


def check_file(path: Path, name: str, limit: str,
               missing: Callable[[str], NoReturn] | None = None) -> int:
    """The size of ``path`` once it is known to be a regular file within limit ``limit``;
    ``missing(problem)`` reports a file that does not exist (default: naming ``name``)."""
    try:
        st = os.stat(path)
    except FileNotFoundError:
        (missing or _no_file(name))(f"no such file {str(path)!r}")
    except OSError as err:
        raise ScenarioError(name, "", f"cannot be read: {err.strerror}") from None
    special = refuse_special(st.st_mode)
    if special is not None:  # the path as given: /dev/zero says more than zero
        raise ScenarioError(str(path), "", special)
    problem = over_limit(limit, st.st_size)
    if problem is not None:
        raise ScenarioError(name, "", problem)
    return st.st_size


def read_file(path: Path, name: str, limit: str) -> bytes:
    """The bytes of the regular file ``path``, at most limit ``limit``. Opened without blocking
    (a FIFO is refused, not waited on) and checked on the open file itself."""
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)
    try:
        fd = os.open(path, flags)
    except FileNotFoundError:
        raise ScenarioError(str(path), "", "no such file") from None
    except IsADirectoryError:
        raise ScenarioError(str(path), "", "is a directory, not a regular file") from None
    except OSError as err:
        raise ScenarioError(str(path), "", f"cannot be read: {err.strerror}") from None
    top = limit_value(limit)
    try:
        st = os.fstat(fd)
        special = refuse_special(st.st_mode)
        if special is not None:
            raise ScenarioError(str(path), "", special)
        problem = over_limit(limit, st.st_size)
        if problem is not None:
            raise ScenarioError(name, "", problem)
    except BaseException:
        os.close(fd)
        raise
    with os.fdopen(fd, "rb") as fh:
        data = fh.read(top + 1)  # at most one byte past the limit, should it grow meanwhile
    problem = over_limit(limit, len(data))
    if problem is not None:
        raise ScenarioError(name, "", problem)
    return data
