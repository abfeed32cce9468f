"""Shared fixtures and the hypothesis profiles (``ci`` is derandomised, chosen when CI is set;
``fuzz`` runs the hostile-input test at length)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, settings

from tests.dask_needed import require_distributed
from tests.paths import SCENARIOS, SHARED

settings.register_profile("ci", derandomize=True, max_examples=60, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("dev", max_examples=150, deadline=None)
# the hostile-input fuzz test at length: pytest tests/cli/test_fuzz.py --hypothesis-profile=fuzz
settings.register_profile("fuzz", max_examples=10_000, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("fuzz-short", max_examples=500, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("ci" if os.environ.get("CI") else "dev")


@pytest.fixture
def runner() -> CliRunner:
    """A click runner; stderr is kept apart from stdout."""
    return CliRunner()


@pytest.fixture
def scenarios() -> Path:
    """The shipped scenarios folder."""
    return SCENARIOS


@pytest.fixture
def shared() -> Path:
    """The project's shared folder (seeds, samples, standards), or skip when it is absent."""
    if not SHARED.is_dir():
        pytest.skip(f"the shared folder is not beside the checkout ({SHARED})")
    return SHARED


@pytest.fixture(scope="session")
def local_cluster():
    """A Dask LocalCluster of 2 worker processes (1 thread each), shared by the session's
    tests of --scheduler beyond tests/simulation/test_cluster.py; skipped without dask (never
    on CI, which installs it)."""
    require_distributed()
    from engine.simulation.cluster import connect

    with connect("local:2") as backend:
        yield backend
