"""Each RL task of levels 1 and 2 end to end through the dojo with a tiny random model: prepared,
post-trained a few policy-gradient steps by the rl-tiny test agent in the sandbox (level 2:
rewarded by judge verdicts asked through the grading API), submitted as a model directory,
graded on held-out prompts. Slow: each run imports torch inside the sandbox and generates
replies for the held-out prompts."""

from __future__ import annotations

import json

import pytest

from ascent.record.recorder import read_events
from ascent.tasks.registry import Registry
from tests.rl.conftest import AGENTS

OFFLINE = [
    t.id
    for t in Registry(plugins=False).all("rl")
    if t.spec.level in (1, 2) and "needs-data" not in t.spec.tags
]


def test_the_offline_tasks_are_listed(cli, home):
    result = cli("tasks", "list", "--family", "rl", "--json")
    assert result.exit_code == 0, result.stderr
    listed = {row["id"]: row for row in json.loads(result.stdout)}
    for task_id in ("arithmetic-rl", "code-synthesis", "instruction-following"):
        assert task_id in listed and task_id in OFFLINE
    shown = cli("tasks", "show", "instruction-following")
    assert shown.exit_code == 0 and "judge" in shown.stdout.lower()


@pytest.mark.slow
@pytest.mark.timeout(3600)  # two gradings of ~100 prompts: 40+ minutes on a loaded box
@pytest.mark.parametrize("task_id", OFFLINE)
def test_task_trains_submits_and_grades_through_the_dojo(cli, home, task_id):
    result = cli(
        "run",
        "--task",
        task_id,
        "--agent",
        "rl-tiny",
        "--agent-dir",
        str(AGENTS),
        "--base-model",
        "tiny-random-llama",
        "--budget",
        "15m",
        "--json",
    )
    assert result.exit_code == 0, result.stderr
    state = json.loads(result.stdout)
    assert state["status"] == "finished" and state["final"]["valid"], state["final"]
    run_dir = home.runs / state["run_id"]
    events = read_events(run_dir / "events.jsonl")
    [submission] = [e for e in events if e.kind == "submission"]
    assert submission.valid and 0.0 <= submission.score <= 1.0
    entry = json.loads((run_dir / "submissions" / "s0001.json").read_text())
    assert entry["details"]["model_kind"] == "full" and entry["details"]["categories"]
    assert "copy_model" not in entry.get("flags", [])
    judged = [e for e in events if e.kind == "agent_step" and e.action == "judge"]
    if Registry(plugins=False).get(task_id).spec.level == 2:
        assert judged and judged[-1].detail["used"] == 8 * len(judged)
    else:
        assert not judged
