"""Shared fixtures: throw-away ascent homes, prepared tasks, and an in-process CLI runner."""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from ascent.config import Paths
from ascent.tasks.prepare import PreparedTask, prepare_task
from ascent.tasks.registry import Registry

REPO = Path(__file__).resolve().parents[1]
FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Paths:
    """A fresh ASCENT_HOME for one test."""
    root = tmp_path / "home"
    monkeypatch.setenv("ASCENT_HOME", str(root))
    monkeypatch.delenv("ASCENT_TASK_PATH", raising=False)
    return Paths(root).ensure()


@pytest.fixture(scope="session")
def registry() -> Registry:
    return Registry()


@pytest.fixture(scope="session")
def shared_paths(tmp_path_factory: pytest.TempPathFactory) -> Paths:
    """One home for the whole session, so each bundled task is prepared once."""
    return Paths(tmp_path_factory.mktemp("shared-home")).ensure()


@pytest.fixture(scope="session")
def prepared(registry: Registry, shared_paths: Paths):
    cache: dict[str, PreparedTask] = {}

    def get(task_id: str) -> PreparedTask:
        if task_id not in cache:
            cache[task_id] = prepare_task(registry.get(task_id), shared_paths)
        return cache[task_id]

    return get


@dataclass
class CliResult:
    exit_code: int
    stdout: str
    stderr: str


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch):
    """Run `ascent ARGS...` in-process through the real entry point (exit codes included)."""
    from ascent.cli.main import run

    def invoke(*args: str) -> CliResult:
        monkeypatch.setattr(sys, "argv", ["ascent", *map(str, args)])
        capsys.readouterr()
        try:
            run()
            code = 0
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
        out = capsys.readouterr()
        return CliResult(code, out.out, out.err)

    return invoke
