"""Write outputs atomically, and the one error type of the commands' own checks."""

from __future__ import annotations

import functools
import os
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from engine.errors import ScenarioError

__all__ = ["EXIT_USER_ERROR", "UserError", "check_folder", "emit", "error_line",
           "require_matplotlib", "user_errors", "warn", "write_atomic"]

EXIT_USER_ERROR = 2


class UserError(click.ClickException):
    """A user's mistake found by a command: one line on stderr, exit 2 (DESIGN section 9)."""

    exit_code = 2


def emit(text: str | bytes, output: str | None) -> None:
    """Print ``text`` to stdout, or write it to ``output`` atomically (:func:`write_atomic`)."""
    if output is None or output == "-":
        click.echo(text, nl=False)
        return
    check_folder(output)
    write_atomic(output, text.encode("utf-8") if isinstance(text, str) else text)


def check_folder(output: str | None, option: str = "") -> None:
    """Refuse an output in a folder that does not exist, before any work is done."""
    if output is None or output == "-":
        return
    parent = Path(output).parent
    if not parent.is_dir():
        msg = f"{option + ' ' if option else ''}{output}: the folder {str(parent)!r} does not exist"
        raise UserError(msg)


def write_atomic(output: str | Path, data: bytes) -> None:
    """Write ``data`` through a temporary file in the same folder, then rename it: a reader
    sees the old file or the whole new one, never a part."""
    path = Path(output)
    try:
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    except OSError as err:  # name the output, not the temporary file
        raise OSError(err.errno, err.strerror, str(output)) from None
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def require_matplotlib(option: str = "--plot") -> None:
    """A drawing option needs the optional matplotlib: one line saying how to get it."""
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        msg = (f"{option} needs matplotlib: pip install 'saylau[plot]' (or pip install "
               "matplotlib)")
        raise UserError(msg) from None


def error_line(err: ScenarioError | OSError) -> str:
    if isinstance(err, OSError):
        return f"error: {err.filename or ''}: {err.strerror or err}"
    return f"error: {err}"


def user_errors(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Turn a user's mistake into one line on stderr and exit code 2, never a traceback."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except (ScenarioError, OSError) as err:
            click.echo(error_line(err), err=True)
            sys.exit(EXIT_USER_ERROR)

    return wrapper


def warn(warnings: tuple[str, ...] | list[str]) -> None:
    """What loading mended in a scenario's files: one ``warning:`` line each on stderr."""
    for warning in warnings:
        click.echo(f"warning: {warning}", err=True)
