"""RL tasks of levels 1 and 2, prepared once per session with the tiny random base model."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ascent.config import Paths
from ascent.tasks.ft.models import TINY
from ascent.tasks.prepare import PreparedTask, prepare_task
from ascent.tasks.registry import Registry
from tests.conftest import FIXTURES

AGENTS = FIXTURES / "agents"


@pytest.fixture(scope="session")
def rl_home(tmp_path_factory) -> Paths:
    return Paths(tmp_path_factory.mktemp("rl-home")).ensure()


@pytest.fixture(scope="session")
def rl_prepared(rl_home):
    cache: dict[str, PreparedTask] = {}

    def get(task_id: str) -> PreparedTask:
        if task_id not in cache:
            with pytest.MonkeyPatch.context() as mp:
                mp.setenv("ASCENT_HOME", str(rl_home.home))
                task = Registry(plugins=False).get(task_id).with_base_model(TINY)
                cache[task_id] = prepare_task(task, rl_home)
        return cache[task_id]

    return get


def unable_to_generate(model: Path) -> Path:
    """Break a model directory so that it loads but cannot generate: its chat template raises."""
    bad = "{{ raise_exception('this chat template cannot render a conversation') }}"
    config = model / "tokenizer_config.json"
    data = json.loads(config.read_text())
    data["chat_template"] = bad
    config.write_text(json.dumps(data))
    for path in model.glob("chat_template.*"):
        path.write_text(bad)
    return model
