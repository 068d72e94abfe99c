"""Environment fixtures: one small TextWorld house and a shopping catalogue, built once; and
`play_through_dojo`, a level-3 task run end to end by the stdlib `env-player` agent."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from ascent.config import Paths
from ascent.record.recorder import read_events
from ascent.tasks.rl.envs import open_environment
from ascent.tasks.rl.envs.base import EnvConfig, write_config
from ascent.tasks.rl.envs.household import generate_games
from ascent.tasks.rl.envs.shopping import make_catalogue, write_catalogue

HOUSE_SEEDS = [7000 + k for k in range(6)]
SHOP_TRAIN, SHOP_TEST = list(range(100, 160)), list(range(9000, 9020))


@pytest.fixture(scope="session")
def household(tmp_path_factory):
    private = tmp_path_factory.mktemp("household")
    generate_games(private / "games", [70], len(HOUSE_SEEDS), lambda s, k: s * 100 + k)
    write_config(
        private, EnvConfig(env="household", max_steps=8, train_seeds=HOUSE_SEEDS, test_seeds=[])
    )
    return open_environment(private)


@pytest.fixture(scope="session")
def shopping(tmp_path_factory):
    private = tmp_path_factory.mktemp("shopping")
    write_catalogue(private, make_catalogue(3))
    config = EnvConfig(env="shopping", max_steps=12, train_seeds=SHOP_TRAIN, test_seeds=SHOP_TEST)
    write_config(private, config)
    return open_environment(private)


PLAYER = Path(__file__).parent / "agent"


@dataclass
class PlayedRun:
    """What a level-3 run by the `env-player` agent left: its folder and final state, the
    agent's own log of the episodes it played, the run's trajectories and events, its first
    submission."""

    run_dir: Path
    state: dict[str, Any]
    log: dict[str, Any]
    trajectories: list[dict[str, Any]]
    events: list[Any]
    submission: dict[str, Any]


def play_through_dojo(cli, tmp_path, monkeypatch, task_id: str) -> PlayedRun:
    home = Paths(tmp_path / "home").ensure()
    monkeypatch.setenv("ASCENT_HOME", str(home.home))
    result = cli(
        "run", "--task", task_id, "--agent", "env-player", "--agent-dir", str(PLAYER),
        "--base-model", "tiny-random-llama", "--budget", "6m", "--json",
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    state = json.loads(result.stdout)
    run_dir = home.runs / state["run_id"]
    log = json.loads((run_dir / "workspace" / "output" / "env_log.json").read_text())
    assert state["status"] == "finished" and state["final"]["valid"], (state, log)
    lines = (run_dir / "trajectories.jsonl").read_text().splitlines()
    return PlayedRun(
        run_dir=run_dir,
        state=state,
        log=log,
        trajectories=[json.loads(x) for x in lines],
        events=read_events(run_dir / "events.jsonl"),
        submission=json.loads((run_dir / "submissions" / "s0001.json").read_text()),
    )
