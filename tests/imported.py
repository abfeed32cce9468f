"""What a fresh interpreter imports: the start-up tests of several test modules ask it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

__all__ = ["imported_by"]


def imported_by(code: str, where: Path) -> list[str]:
    """The top-level packages a fresh interpreter has imported after running ``code``, started
    in ``where`` (a neutral folder: the installed saylau is imported, not a checkout's sources,
    which lack the compiled kernels after a plain ``pip install .``)."""
    probe = (f"{code}\nimport sys\n"
             "print(' '.join(sorted({m.split('.')[0] for m in sys.modules})))")
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                         check=True, cwd=where)
    return out.stdout.split()
