"""The cluster tests need dask.distributed: skipped without it on a developer's machine, never
on CI (which installs '.[test]', holding dask)."""

from __future__ import annotations

import importlib.util
import os

import pytest

__all__ = ["require_distributed"]


def require_distributed() -> None:
    """Skip the calling test module (or fixture) when dask.distributed is missing; under CI it
    is an error instead, so the cluster tests cannot silently not run."""
    if importlib.util.find_spec("distributed") is not None:
        return
    if os.environ.get("CI"):
        msg = "dask.distributed is not installed, and CI must run the cluster tests"
        raise ImportError(msg)
    pytest.skip("dask.distributed is not installed: the cluster tests are skipped (pip install "
                "-e '.[test]' installs it)", allow_module_level=True)
