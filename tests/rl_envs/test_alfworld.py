"""The ALFWorld adapter on a TextWorld game with a quest, generated here and laid out like
ALFWorld's data (its own games cannot be downloaded here), through the real `alfworld` task."""

from __future__ import annotations

import shutil

import pytest

from ascent.config import Paths
from ascent.errors import TaskPrepareError
from ascent.tasks.prepare import prepare_task
from ascent.tasks.registry import Registry
from ascent.tasks.rl.envs import open_environment
from ascent.tasks.rl.envs.rollout import expert_policy_rollout

TRIAL = "pick_and_place_simple-Mug-None-Cabinet-10/trial_T0001"


def quest_game(path):
    import textworld

    maker = textworld.GameMaker()
    kitchen, hall = maker.new_room("kitchen"), maker.new_room("hallway")
    maker.connect(kitchen.east, hall.west)
    maker.set_player(kitchen)
    table = maker.new(type="s", name="countertop")
    mug = maker.new(type="o", name="mug")
    kitchen.add(table)
    table.add(mug)
    cabinet = maker.new(type="c", name="cabinet")
    cabinet.add_property("closed")
    hall.add(cabinet)
    maker.quests = [
        maker.new_quest_using_commands(
            ["take mug from countertop", "go east", "open cabinet", "insert mug into cabinet"]
        )
    ]
    path.parent.mkdir(parents=True)
    maker.compile(str(path))


@pytest.fixture(scope="module")
def alfworld_data(tmp_path_factory):
    root = tmp_path_factory.mktemp("alfworld-data")
    game = root / "json_2.1.1" / "train" / TRIAL / "game.z8"
    quest_game(game)
    unseen = root / "json_2.1.1" / "valid_unseen" / TRIAL
    shutil.copytree(game.parent, unseen)
    return root


@pytest.mark.slow  # importing alfworld takes the better part of a minute on a loaded machine
def test_the_real_alfworld_wrappers_import():
    from alfworld.agents.environment.alfred_tw_env import AlfredDemangler, AlfredInfos

    assert AlfredDemangler and AlfredInfos


def test_prepare_without_the_data_says_what_to_download(tmp_path, monkeypatch):
    monkeypatch.setenv("ALFWORLD_DATA", str(tmp_path / "nothing"))
    monkeypatch.delenv("ASCENT_RL_DATA", raising=False)
    task = Registry(plugins=False).get("alfworld")
    assert "needs-data" in task.spec.tags and task.spec.level == 3
    with pytest.raises(TaskPrepareError, match="ALFWorld games are not on this machine") as err:
        prepare_task(task, Paths(tmp_path / "home").ensure())
    assert "alfworld-download" in str(err.value)


@pytest.mark.slow  # TextWorld compiles the game and records its quest: minutes when loaded
@pytest.mark.timeout(1200)
def test_alfworld_task_prepares_and_plays_games(alfworld_data, tmp_path, monkeypatch):
    monkeypatch.setenv("ALFWORLD_DATA", str(alfworld_data))
    prepared = prepare_task(Registry(plugins=False).get("alfworld"), Paths(tmp_path / "h").ensure())
    env = open_environment(prepared.private)
    assert env.config.train_seeds == [0] and env.config.test_seeds == [100_000]
    for seed in (0, 100_000):
        trajectory = expert_policy_rollout(env, seed)
        assert trajectory.success and trajectory.done_reason == "success"
        assert [s.action for s in trajectory.steps][-1] == "insert mug into cabinet"
    episode = env.episode()
    first = episode.reset(0)
    assert "mug" in first.goal and "take mug from countertop" in first.admissible_actions
    assert episode.step("").error and not episode.done
    episode.close()
    demos = (prepared.public / "demonstrations.jsonl").read_text().splitlines()
    assert len(demos) == 1
