"""Fixtures for dojo tests: sandboxes of every backend that works here."""

from __future__ import annotations

import sys

import pytest

from ascent.harness.sandbox import Limits, SandboxSpec, make_sandbox
from ascent.harness.sandbox.bwrap import bwrap_path
from ascent.harness.sandbox.cgroups import available as cgroups_available

BACKENDS = ["bwrap", "process"]
PY = sys.executable


def require_backend(kind: str) -> None:
    if kind == "bwrap" and bwrap_path() is None:
        pytest.skip("bubblewrap is not installed or cannot create namespaces here")


def require_isolation(kind: str) -> None:
    require_backend(kind)
    if kind == "process":
        pytest.skip("the process sandbox is not isolated: this attack is not defended there")


def require_cgroups() -> None:
    if not cgroups_available():
        pytest.skip("cgroups are not writable here: limits fall back to rlimits")


@pytest.fixture(params=BACKENDS)
def backend(request):
    require_backend(request.param)
    return request.param


@pytest.fixture
def make(tmp_path, backend):
    made = []

    def build(**limits):
        workspace = tmp_path / "workspace"
        workspace.mkdir(exist_ok=True)
        spec = SandboxSpec(
            name=f"test-{tmp_path.name}-{len(made)}",
            workspace=workspace,
            env={"PATH": "/usr/bin:/bin", "HOME": "/tmp", "LANG": "C.UTF-8"},
            limits=Limits(**limits),
        )
        sandbox = make_sandbox(backend, spec)
        made.append(sandbox)
        return sandbox

    yield build
    for sandbox in made:
        sandbox.close()
