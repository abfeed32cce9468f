"""Write outputs atomically, and the one error type of the commands' own checks."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import click

__all__ = ["UserError", "emit"]


class UserError(click.ClickException):
    """A user's mistake found by a command: one line on stderr, exit 2 (DESIGN section 9)."""

    exit_code = 2


def emit(text: str, output: str | None) -> None:
    """Print ``text`` to stdout, or write it to ``output`` through a temporary file and rename:
    a reader sees the old file or the whole new one, never a part."""
    if output is None or output == "-":
        click.echo(text, nl=False)
        return
    path = Path(output)
    if not path.parent.is_dir():
        msg = f"{output}: the folder {str(path.parent)!r} does not exist"
        raise UserError(msg)
    try:
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    except OSError as err:  # name the output, not the temporary file
        raise OSError(err.errno, err.strerror, output) from None
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(text.encode("utf-8"))
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
