"""Every fine-tuning task end to end through the dojo with a tiny random model: prepared,
trained a few steps by FT-Agent in the sandbox, submitted as a model directory, graded."""

from __future__ import annotations

import json

import pytest

from ascent.agents.core import Journal
from ascent.record.recorder import read_events
from ascent.tasks.registry import Registry

FT_TASKS = [t.id for t in Registry(plugins=False).all("ft")]
# The tiny model reads characters, not word pieces: long prompts need a longer max_length.
SMALL = '{"max_examples": 48, "epochs": 1, "eval_limit": 8, "batch_size": 8, "max_length": 1024}'


def test_at_least_six_fine_tuning_tasks():
    assert len(FT_TASKS) >= 6


@pytest.mark.parametrize("task_id", FT_TASKS)
def test_task_trains_submits_and_grades_through_the_dojo(cli, home, task_id):
    result = cli(
        "run",
        "--task",
        task_id,
        "--agent",
        "ftagent",
        "--base-model",
        "tiny-random-llama",
        "--max-steps",
        "0",
        "--budget",
        "8m",
        "--option",
        f"recipe={SMALL}",
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
    assert entry["details"]["model_kind"] == "adapter" and entry["details"]["categories"]
    assert (run_dir / "submissions" / "s0001" / "adapter_model.safetensors").is_file()
    journal = Journal.model_validate_json((run_dir / "agent_journal.json").read_text())
    outcome = journal.nodes[0].outcome
    assert outcome.ok and outcome.extra["examples"] == 48 and outcome.extra["steps"] >= 1
    plan_steps = [e for e in events if e.kind == "agent_step" and e.action == "plan"]
    assert plan_steps and "lora" in plan_steps[0].detail["recipe"]
