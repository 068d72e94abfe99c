"""Fine-tuning fixtures: the toy task prepared, and tiny models saved in several shapes."""

from __future__ import annotations

import shutil

import pytest

from ascent.config import Paths
from ascent.tasks.ft.models import TINY, build_tiny_model, ensure_base_model
from ascent.tasks.prepare import prepare_task
from ascent.tasks.registry import Registry
from tests.conftest import FIXTURES

TOY = FIXTURES / "tasks" / "toy-ft"


@pytest.fixture(scope="session")
def ft_home(tmp_path_factory) -> Paths:
    return Paths(tmp_path_factory.mktemp("ft-home")).ensure()


@pytest.fixture(scope="session")
def toy(ft_home, monkeypatch_session):
    monkeypatch_session.setenv("ASCENT_HOME", str(ft_home.home))
    task = Registry([TOY], bundled=False, plugins=False).get("toy-ft")
    return prepare_task(task, ft_home)


@pytest.fixture(scope="session")
def monkeypatch_session():
    with pytest.MonkeyPatch.context() as mp:
        yield mp


@pytest.fixture(scope="session")
def tiny_base(ft_home, monkeypatch_session):
    monkeypatch_session.setenv("ASCENT_HOME", str(ft_home.home))
    return ensure_base_model(TINY, ft_home)


@pytest.fixture
def copy_of(tmp_path):
    def make(source, name="model"):
        target = tmp_path / name
        shutil.copytree(source, target)
        return target

    return make


@pytest.fixture
def other_tiny(tmp_path):
    return build_tiny_model(tmp_path / "wider", hidden=64)
