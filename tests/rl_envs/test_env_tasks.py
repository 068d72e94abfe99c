"""The level-3 tasks end to end through the dojo with a tiny random model: a stdlib agent in the
sandbox plays training episodes through the environment API, is refused a seed that is not a
training one, submits a copy of the base model; grading plays it on held-out seeds."""

from __future__ import annotations

import pytest

from ascent.tasks.registry import Registry
from tests.rl_envs.conftest import play_through_dojo


def test_level_three_tasks_are_registered():
    tasks = {t.id: t for t in Registry(plugins=False).all("rl")}
    for task_id in ("household", "shopping"):
        assert tasks[task_id].spec.level == 3 and tasks[task_id].spec.base_model


@pytest.mark.slow  # two gradings of 20 held-out episodes: minutes on a loaded 2-core box
@pytest.mark.timeout(1200)
@pytest.mark.parametrize("task_id", ["shopping", "household"])
def test_task_runs_through_the_dojo(cli, tmp_path, monkeypatch, task_id):
    run = play_through_dojo(cli, tmp_path, monkeypatch, task_id)
    log, trajectories = run.log, run.trajectories
    assert log["episodes"][0]["success"]  # the demonstration replays to success
    assert log["held_out"][0] == 403
    assert [t["episode_id"] for t in trajectories] == [e["id"] for e in log["episodes"]]
    assert [[s["action"] for s in t["steps"]] for t in trajectories] == [
        e["steps"] for e in log["episodes"]
    ]
    assert len([e for e in run.events if e.kind == "env_episode"]) == 3
    assert any(e.kind == "refusal" and "training seed" in e.reason for e in run.events)
    entry = run.submission
    assert "copy_model" in entry["flags"] and entry["status"] == "ok"
    assert entry["details"]["episodes"] >= 10 and 0.0 <= entry["score"] <= 1.0
    instructions = (run.run_dir / "workspace" / "INSTRUCTIONS.md").read_text()
    assert "## The environment API" in instructions and "/env/step" in instructions
