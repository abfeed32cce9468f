"""A pytest plugin for `.ci/sanitize`: the session stops at once unless the compiled kernels it
imports are the sanitized build (first on PYTHONPATH), so the step never passes on the
ordinary build by mistake."""

from __future__ import annotations

import os

import pytest


def pytest_sessionstart(session: pytest.Session) -> None:
    """Refuse to run against any build but the one in PYTHONPATH."""
    from engine.tally.kernel import compiled

    where = os.environ.get("PYTHONPATH", "").split(os.pathsep)[0]
    if compiled is None or not where or not compiled.__file__.startswith(where):
        found = None if compiled is None else compiled.__file__
        pytest.exit(f"the sanitized kernels are not the ones imported ({found})", returncode=3)
