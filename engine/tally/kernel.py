"""Which kernels run: the compiled extension (``engine/tally/_kernels.c``), or the numpy and
scipy fallbacks when it was not built or when the environment asks for them.

``SAYLAU_KERNEL=numpy`` makes the engine ignore the extension: the whole test suite runs once so
in CI, and a user can compare the two. Both give the same tallies; random draws differ between
them (the same seed gives the same bytes on the same kernel), so every simulation and forensics
output names :data:`KERNEL`. This module imports nothing heavy: ``saylau --version`` asks it.
"""

from __future__ import annotations

import os
from types import ModuleType

__all__ = ["ENV", "KERNEL", "compiled", "describe"]

ENV = "SAYLAU_KERNEL"


def _load() -> ModuleType | None:
    if os.environ.get(ENV, "").strip().lower() == "numpy":
        return None
    try:  # imported here so that the environment is read first (start-up: no numpy needed)
        from engine.tally import _kernels
    except ImportError:  # installed without a C compiler
        return None
    return _kernels


compiled: ModuleType | None = _load()
KERNEL = "c" if compiled is not None else "numpy"


def describe() -> str:
    """The kernel in use, in words: for ``--version`` and the outputs that name it."""
    if compiled is not None:
        return "c (engine/tally/_kernels.c, compiled)"
    if os.environ.get(ENV, "").strip().lower() == "numpy":
        return f"numpy (the fallbacks, as {ENV}=numpy asks)"
    return "numpy (the fallbacks: the compiled kernels were not built, no C compiler at install)"
