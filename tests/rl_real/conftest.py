"""Real-scale RL task definitions, prepared from the small fixtures in tests/fixtures/rl_real/
(records written for these tests in the official formats), in a private ascent home, with the
Hugging Face cache pointed at an empty folder so that nothing on this machine is read."""

from __future__ import annotations

from pathlib import Path

import pytest

from ascent.config import Paths
from ascent.errors import TaskPrepareError
from ascent.tasks.ft.models import TINY, ensure_base_model
from ascent.tasks.prepare import PreparedTask, prepare_task
from ascent.tasks.registry import Registry
from ascent.tasks.task import Task
from tests.conftest import FIXTURES

DATA = FIXTURES / "rl_real"
ENV = {
    "gsm8k": ("ASCENT_GSM8K_DIR", DATA / "gsm8k"),
    "humaneval": ("ASCENT_HUMANEVAL_DIR", DATA / "humaneval"),
    "alpaca-eval": ("ASCENT_ALPACA_EVAL_DIR", DATA / "alpaca_eval"),
    "webshop": ("ASCENT_WEBSHOP_DIR", DATA / "webshop"),
    "deepsearchqa": ("ASCENT_DEEPSEARCHQA_DIR", DATA / "deepsearchqa"),
}
DATA_VARS = ("ASCENT_RL_DATA", "ASCENT_DEEPSEARCHQA_CORPUS", *(var for var, _ in ENV.values()))


@pytest.fixture(scope="session")
def rl_home(tmp_path_factory) -> Paths:
    return Paths(tmp_path_factory.mktemp("rl-real-home")).ensure()


@pytest.fixture(scope="session")
def data_env(rl_home, tmp_path_factory):
    """ASCENT_HOME in a temporary folder, no benchmark data anywhere but the fixtures."""
    empty_hf = tmp_path_factory.mktemp("empty-hf")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("ASCENT_HOME", str(rl_home.home))
        for var in ("HF_HOME", "HF_HUB_CACHE", "HF_DATASETS_CACHE"):
            mp.setenv(var, str(empty_hf))
        for var in DATA_VARS:
            mp.delenv(var, raising=False)
        for var, folder in ENV.values():
            mp.setenv(var, str(folder))
        yield mp


@pytest.fixture(scope="session")
def real_task(data_env):
    registry = Registry(plugins=False)

    def get(task_id: str) -> Task:
        return registry.get(task_id).with_base_model(TINY)

    return get


@pytest.fixture(scope="session")
def prepared_real(real_task, rl_home):
    cache: dict[str, PreparedTask] = {}

    def get(task_id: str) -> PreparedTask:
        if task_id not in cache:
            cache[task_id] = prepare_task(real_task(task_id), rl_home)
        return cache[task_id]

    return get


@pytest.fixture(scope="session")
def tiny_base(data_env, rl_home) -> Path:
    return ensure_base_model(TINY, rl_home)


def prepare_error(real_task, data_env, tmp_path, task_id: str) -> TaskPrepareError:
    """The error preparing `task_id` gives when its data variable is unset (restored after)."""
    var, folder = ENV[task_id]
    data_env.delenv(var)
    try:
        with pytest.raises(TaskPrepareError) as caught:
            prepare_task(real_task(task_id), Paths(tmp_path / "home").ensure())
    finally:
        data_env.setenv(var, str(folder))
    return caught.value


def play(env, seed: int, actions: list[str]):
    """Play `actions` from `seed`'s start; the result of the last step taken (the episode may
    have ended before the last action)."""
    episode = env.episode()
    episode.reset(seed)
    for action in actions:
        result = episode.step(action)
        if result.done:
            break
    return result
