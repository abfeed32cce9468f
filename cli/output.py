"""Outputs written atomically and only where they may go; errors and warnings as one bounded line.

An output (``-o``, ``--plot``) is checked when the command line is read, before any work: ``-``
is stdout; anything else must be a regular file or a new one in a folder that exists, never a
symbolic link, a FIFO, a device or a directory (writing there would replace the link or block).
It is written through a temporary file in the same folder, created with the usual permissions
(``0666`` less the umask, as any tool's new file), then renamed over the target.

Every error is one line on stderr beginning ``error:`` (exit 2), every warning one line beginning
``warning:``: control characters in names (a newline in a race id) are escaped and a line is
cut at :data:`MAX_LINE` characters, so one problem is always one line.
"""

from __future__ import annotations

import errno
import functools
import os
import stat
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from engine.errors import ScenarioError

__all__ = ["EXIT_USER_ERROR", "MAX_LINE", "UserError", "check_folder", "check_output", "emit",
           "error_line", "one_line", "output_callback", "require_matplotlib", "user_errors",
           "warn", "write_atomic"]

EXIT_USER_ERROR = 2
MAX_LINE = 600  # characters of an error or warning line, its prefix included


class UserError(click.ClickException):
    """A user's mistake found by a command: one line on stderr, exit 2 (DESIGN section 9)."""

    exit_code = 2

    def show(self, file: Any = None) -> None:
        """The one ``error:`` line, however the command was invoked."""
        click.echo(error_line(self.format_message()), err=True)


def one_line(text: str, limit: int = MAX_LINE) -> str:
    """``text`` as one printable line: control characters (newlines, tabs, escapes, the Unicode
    line separators) written as Python writes them in a string, cut to ``limit`` characters."""
    out = []
    for ch in text:
        if ch.isprintable() or ch == " ":
            out.append(ch)
        else:
            out.append(repr(ch)[1:-1])
    line = "".join(out)
    return line if len(line) <= limit else line[:limit - 3] + "..."


def _special(path: str) -> str | None:
    """Why ``path`` may not be written as an output, or None."""
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        st = None
    except OSError as err:
        return f"cannot be checked: {err.strerror}"
    if st is not None:
        if stat.S_ISLNK(st.st_mode):
            return "is a symbolic link; saylau writes regular files only (name the file itself)"
        if not stat.S_ISREG(st.st_mode):
            kind = ("a directory" if stat.S_ISDIR(st.st_mode) else "a FIFO (named pipe)"
                    if stat.S_ISFIFO(st.st_mode) else "a device" if stat.S_ISCHR(st.st_mode)
                    or stat.S_ISBLK(st.st_mode) else "not a regular file")
            return f"is {kind}; saylau writes regular files only (use - for stdout)"
    parent = Path(path).parent
    if not parent.is_dir():
        return f"the folder {str(parent)!r} does not exist"
    if not os.access(parent, os.W_OK | os.X_OK):
        return f"the folder {str(parent)!r} is not writable"
    return None


def check_output(output: str | None, option: str = "") -> None:
    """Refuse, before any work, an output that cannot be written as a regular file."""
    if output is None or output == "-":
        return
    problem = _special(output)
    if problem is not None:
        msg = f"{option + ' ' if option else ''}{output}: {problem}"
        raise UserError(msg)


check_folder = check_output  # the name the commands used before outputs were checked whole


def output_callback(ctx: click.Context, param: click.Parameter, value: str | None
                    ) -> str | None:
    """A click callback: the output option checked as the command line is read."""
    check_output(value, "/".join(param.opts) if param.opts else "")
    return value


def emit(text: str | bytes, output: str | None) -> None:
    """Print ``text`` to stdout, or write it to ``output`` atomically (:func:`write_atomic`)."""
    if output is None or output == "-":
        click.echo(text, nl=False)
        return
    check_output(output)
    write_atomic(output, text.encode("utf-8") if isinstance(text, str) else text)


def write_atomic(output: str | Path, data: bytes) -> None:
    """Write ``data`` through a temporary file in the same folder, then rename it: a reader
    sees the old file or the whole new one, never a part. The file gets the permissions any
    new file gets (0666 less the umask); a link, FIFO or device at ``output`` is never
    replaced."""
    path = Path(output)
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0)
    for _ in range(100):
        tmp = path.parent / f".{path.name}.{os.urandom(6).hex()}.tmp"
        try:
            fd = os.open(tmp, flags, 0o666)  # the kernel applies the umask
            break
        except FileExistsError:
            continue
        except OSError as err:  # name the output, not the temporary file
            raise OSError(err.errno, err.strerror, str(output)) from None
    else:
        raise OSError(errno.EEXIST, "no free temporary name", str(output))
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        problem = _special(str(path))  # it may have changed while the work ran
        if problem is not None:
            msg = f"{output}: {problem}"
            raise UserError(msg)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def require_matplotlib(option: str = "--plot") -> None:
    """A drawing option needs the optional matplotlib: one line saying how to get it."""
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        msg = (f"{option} needs matplotlib: pip install 'saylau[plot]' (or pip install "
               "matplotlib)")
        raise UserError(msg) from None


def error_line(err: ScenarioError | OSError | str) -> str:
    """The one line of an error: ``error: <file>: <place>: <problem>``."""
    text = (f"{err.filename or ''}: {err.strerror or err}" if isinstance(err, OSError)
            else str(err))
    return one_line(f"error: {text}")


_OUT_OF_MEMORY = ("out of memory: give the command a smaller --memory or --chunk-runs, or the "
                  "machine more memory")


def user_errors(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Turn a user's mistake into one line on stderr and exit code 2, never a traceback."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except (ScenarioError, OSError) as err:
            click.echo(error_line(err), err=True)
            sys.exit(EXIT_USER_ERROR)
        except MemoryError:
            click.echo(error_line(_OUT_OF_MEMORY), err=True)
            sys.exit(EXIT_USER_ERROR)

    return wrapper


def warn(warnings: tuple[str, ...] | list[str]) -> None:
    """What loading mended in a scenario's files: one ``warning:`` line each on stderr."""
    for warning in warnings:
        click.echo(one_line(f"warning: {warning}"), err=True)
