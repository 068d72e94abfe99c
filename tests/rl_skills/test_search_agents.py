"""Gome and greedy with the heuristic driver on RL tasks, through the dojo, with a tiny random
model: drafts rendered by the RL skills, diagnosis and proposals by the RL rules, a fail-fast
`--debug` run before every full run, the model directory submitted and graded on held-out
prompts; the report names the route of the final submission.

The default test uses a fixture task of 16 training and 8 held-out prompts, so that each
training script and each grading takes seconds; runs on the bundled tasks are slow."""

from __future__ import annotations

import json

import pytest

from ascent.agents.core import Journal
from ascent.analysis.routes import route_name
from ascent.record.recorder import read_events
from tests.conftest import FIXTURES

TOY_RL = FIXTURES / "tasks" / "toy-rl"
# A small run of every route: a few steps, short completions, few prompts.
RECIPE = {
    "max_completion_length": 8,
    "samples": 2,
    "steps": 2,
    "sft_steps": 2,
    "batch_size": 4,
    "max_length": 96,
    "eval_limit": 4,
    "max_prompts": 16,
    "max_turns": 3,
}
# The stages and rejection sampling each route of the RL skills runs.
ROUTES = {
    "sft": (["sft"], False),
    "sft_rejection": (["sft"], True),
    "grpo": (["grpo"], False),
    "dpo": (["dpo"], False),
    "sft_then_grpo": (["sft", "grpo"], False),
}


def run(cli, home, task: list[str], *args: str, recipe: dict | None = None):
    result = cli(
        *task[:-1],
        "run",
        "--task",
        task[-1],
        "--base-model",
        "tiny-random-llama",
        "--option",
        f"recipe={json.dumps(recipe or RECIPE)}",
        "--json",
        *args,
    )
    assert result.exit_code == 0, result.stderr
    state = json.loads(result.stdout)
    assert state["status"] == "finished" and state["final"]["valid"], state["final"]
    run_dir = home.runs / state["run_id"]
    journal = Journal.model_validate_json((run_dir / "agent_journal.json").read_text())
    return state, run_dir, read_events(run_dir / "events.jsonl"), journal


def steps(events, action: str) -> list[dict]:
    return [e.detail for e in events if e.kind == "agent_step" and e.action == action]


def check_runs_and_route(state, run_dir, events, journal) -> None:
    """Each node ran --debug first, then in full; the report names the final node's route."""
    commands = [e for e in events if e.kind == "command" and "train.py" in " ".join(e.argv)]
    for node in journal.nodes:
        if not node.ok:
            continue
        assert node.solution.plan["max_prompts"] == RECIPE["max_prompts"]  # the recipe held
        assert node.outcome.extra["route"] == node.solution.plan["route"]
        runs = [c.argv for c in commands if f"node_{node.id:04d}/" in c.argv[1]]
        assert runs[0][-1] == "--debug" and "--debug" not in runs[-1], runs
    [final] = steps(events, "final")
    chosen = journal.get(final["node"])
    assert final["submission"] == state["final"]["submission_id"]
    report = json.loads((run_dir / "report.json").read_text())
    stages, rejection = ROUTES[chosen.solution.plan["route"]]
    expected = route_name(stages, chosen.solution.plan["method"], rejection)
    assert report["routes"]["final_route"]["name"] == expected


def test_gome_post_trains_a_level_one_task(cli, home):
    state, run_dir, events, journal = run(
        cli, home, ["--task-dir", str(TOY_RL), "toy-rl"], "--agent", "gome", "--traces", "1",
        "--max-steps", "1",
    )  # fmt: skip
    draft, improved = journal.nodes
    assert draft.solution.plan["route"] == "sft_rejection" and draft.ok  # level 1: first route
    [diagnosis] = steps(events, "diagnose")
    assert diagnosis["diagnosis"]["direction"] in ("rl", "warmup")
    assert diagnosis["chosen"] == improved.hypothesis.change
    assert improved.solution.plan["route"] == improved.hypothesis.edit["route"] != "sft_rejection"
    [feedback] = steps(events, "feedback")
    assert feedback["node"] == improved.id and "accepted" in feedback
    submissions = [e for e in events if e.kind == "submission"]
    assert submissions and all(s.valid for s in submissions)
    check_runs_and_route(state, run_dir, events, journal)


@pytest.mark.slow
@pytest.mark.timeout(2400)
def test_greedy_post_trains_a_level_one_task(cli, home):
    state, run_dir, events, journal = run(
        cli, home, ["--task-dir", str(TOY_RL), "toy-rl"], "--agent", "greedy", "--max-steps", "1",
        "--option", "drafts=2",
    )  # fmt: skip
    drafts = [n for n in journal.nodes if n.action == "draft"]
    assert [n.solution.plan["route"] for n in drafts] == ["sft_rejection", "sft"]
    assert len(journal.nodes) == 3 and journal.nodes[2].action in ("improve", "debug")
    check_runs_and_route(state, run_dir, events, journal)


# The tiny model reads characters: a household observation with its actions is ~1000 tokens.
@pytest.mark.slow  # the household's held-out episodes are played at each grading
@pytest.mark.timeout(3600)
def test_gome_post_trains_the_household_online(cli, home):
    state, run_dir, events, journal = run(
        cli, home, ["household"], "--agent", "gome", "--traces", "1", "--max-steps", "0",
        "--budget", "30m", recipe={**RECIPE, "max_length": 1024},
    )  # fmt: skip
    [draft] = journal.nodes
    assert (
        draft.solution.plan["route"] == "sft_then_grpo" and draft.solution.plan["reward"] == "env"
    )
    assert draft.outcome.extra["route"] == "sft_then_grpo"
    episodes = [e for e in events if e.kind == "env_episode"]
    assert episodes  # rollouts and replayed rewards went through the environment API
    check_runs_and_route(state, run_dir, events, journal)
