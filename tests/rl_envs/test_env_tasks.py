"""The level-3 tasks end to end through the dojo with a tiny random model: a stdlib agent in the
sandbox plays training episodes through the environment API, is refused a seed that is not a
training one, submits a copy of the base model; grading plays it on held-out seeds."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ascent.config import Paths
from ascent.record.recorder import read_events
from ascent.tasks.registry import Registry

AGENT = Path(__file__).parent / "agent"


def test_level_three_tasks_are_registered():
    tasks = {t.id: t for t in Registry(plugins=False).all("rl")}
    for task_id in ("household", "shopping"):
        assert tasks[task_id].spec.level == 3 and tasks[task_id].spec.base_model


@pytest.mark.slow  # two gradings of 20 held-out episodes: minutes on a loaded 2-core box
@pytest.mark.timeout(1200)
@pytest.mark.parametrize("task_id", ["shopping", "household"])
def test_task_runs_through_the_dojo(cli, tmp_path, monkeypatch, task_id):
    home = Paths(tmp_path / "home").ensure()
    monkeypatch.setenv("ASCENT_HOME", str(home.home))
    result = cli(
        "run",
        "--task",
        task_id,
        "--agent",
        "env-player",
        "--agent-dir",
        str(AGENT),
        "--base-model",
        "tiny-random-llama",
        "--budget",
        "6m",
        "--json",
    )
    assert result.exit_code == 0, result.stderr
    state = json.loads(result.stdout)
    run_dir = home.runs / state["run_id"]
    log = json.loads((run_dir / "workspace" / "output" / "env_log.json").read_text())
    assert state["status"] == "finished" and state["final"]["valid"], (state, log)
    assert log["episodes"][0]["success"]  # the demonstration replays to success
    assert log["held_out"][0] == 403
    trajectories = [
        json.loads(x) for x in (run_dir / "trajectories.jsonl").read_text().splitlines()
    ]
    assert [t["episode_id"] for t in trajectories] == [e["id"] for e in log["episodes"]]
    assert [[s["action"] for s in t["steps"]] for t in trajectories] == [
        e["steps"] for e in log["episodes"]
    ]
    events = read_events(run_dir / "events.jsonl")
    assert len([e for e in events if e.kind == "env_episode"]) == 3
    assert any(e.kind == "refusal" and "training seed" in e.reason for e in events)
    entry = json.loads((run_dir / "submissions" / "s0001.json").read_text())
    assert "copy_model" in entry["flags"] and entry["status"] == "ok"
    assert entry["details"]["episodes"] >= 10 and 0.0 <= entry["score"] <= 1.0
    instructions = (run_dir / "workspace" / "INSTRUCTIONS.md").read_text()
    assert "## The environment API" in instructions and "/env/step" in instructions
