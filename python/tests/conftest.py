"""Shared fixtures: the probe program every end-to-end test runs, a policy
that lets it run, and the check that every test leaves the handler registry
empty — so each test also proves that its runs cleaned up after themselves."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

import sandlock
from sandlock._registry import REGISTRY

HERE = Path(__file__).resolve().parent


@pytest.fixture(scope="session")
def probe(tmp_path_factory: pytest.TempPathFactory) -> str:
    """The compiled tests/probe.c."""
    out = tmp_path_factory.mktemp("probe") / "probe"
    subprocess.run(["cc", "-O2", "-Wall", "-Wextra", "-o", str(out), str(HERE / "probe.c")], check=True)
    return str(out)


@pytest.fixture(scope="session")
def policy(probe: str) -> sandlock.Policy:
    """Enough to run the probe: the system's libraries and the probe itself."""
    read = [d for d in ("/usr", "/lib", "/lib64", "/bin") if os.path.exists(d)]
    return sandlock.Policy(fs_read=[*read, os.path.dirname(probe)], timeout=20)


@pytest.fixture(autouse=True)
def registry_left_empty():
    """Every test must leave no handler registered."""
    assert len(REGISTRY) == 0, "a previous test leaked registry entries"
    yield
    assert len(REGISTRY) == 0, "this test left handlers in the registry"
