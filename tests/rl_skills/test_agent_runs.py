"""FT-Agent with the heuristic driver on an RL task, through the dojo, with a tiny random model:
the RL skills draft a route, the micro-batch check and the full run train in the sandbox, the
model directory is submitted and graded on held-out prompts. Slow: torch is imported in the
sandbox twice and the grader generates replies for every held-out prompt."""

from __future__ import annotations

import json

import pytest

from ascent.agents.core import Journal
from ascent.record.recorder import read_events

# The tiny model reads characters: a word problem with its worked solution needs ~1000 tokens.
SMALL = {"route": "sft", "sft_steps": 2, "max_prompts": 16, "eval_limit": 4, "max_length": 1024}


@pytest.mark.slow
@pytest.mark.timeout(1800)  # grading 201 held-out prompts takes minutes on a loaded machine
def test_ftagent_post_trains_arithmetic_through_the_rl_skills(cli, home):
    result = cli(
        "run",
        "--task",
        "arithmetic-rl",
        "--agent",
        "ftagent",
        "--base-model",
        "tiny-random-llama",
        "--max-steps",
        "0",
        "--budget",
        "25m",
        "--option",
        f"recipe={json.dumps(SMALL)}",
        "--json",
    )
    assert result.exit_code == 0, result.stderr
    state = json.loads(result.stdout)
    assert state["status"] == "finished" and state["final"]["valid"], state["final"]
    run_dir = home.runs / state["run_id"]
    events = read_events(run_dir / "events.jsonl")
    [submission] = [e for e in events if e.kind == "submission"]
    assert submission.valid and 0.0 <= submission.score <= 1.0
    journal = Journal.model_validate_json((run_dir / "agent_journal.json").read_text())
    outcome = journal.nodes[0].outcome
    assert outcome.ok and outcome.extra["route"] == "sft" and outcome.extra["reward"] == "numeric"
    assert outcome.extra["sft_examples"] == 16 and outcome.extra["reward_errors"] == 0
    plans = [e for e in events if e.kind == "agent_step" and e.action == "plan"]
    assert plans and plans[0].detail["recipe"].startswith("SFT on demonstrations")
