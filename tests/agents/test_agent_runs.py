"""Built-in agents through the whole dojo: gome, its ablations, the baselines, a weak driver."""

from __future__ import annotations

import json

import pytest

from ascent.agents.core import Journal
from ascent.record.recorder import read_events


def run(cli, home, *args: str) -> tuple[dict, list, Journal]:
    result = cli("run", "--task", "penguin-species", "--budget", "4m", "--json", *args)
    assert result.exit_code == 0, result.stderr
    state = json.loads(result.stdout)
    run_dir = home.runs / state["run_id"]
    journal = Journal.model_validate_json((run_dir / "agent_journal.json").read_text())
    return state, read_events(run_dir / "events.jsonl"), journal


def steps(events, action: str) -> list[dict]:
    return [e.detail for e in events if e.kind == "agent_step" and e.action == action]


def trajectory(journal: Journal) -> list[tuple]:
    return [
        (
            n.trace,
            n.parent,
            n.action,
            n.hypothesis.change if n.hypothesis else None,
            round(n.outcome.valid_score, 10) if n.ok else None,
        )
        for n in journal.nodes
    ]


def test_gome_runs_diverse_traces_diagnoses_and_is_deterministic(cli, home):
    args = ("--agent", "gome", "--traces", "2", "--max-steps", "2", "--seed", "5")
    state, events, journal = run(cli, home, *args)
    assert state["status"] == "finished" and state["final"]["valid"]
    drafts = [n for n in journal.nodes if n.action == "draft"]
    assert {n.trace for n in drafts} == {0, 1}
    assert len({n.solution.plan["model"] for n in drafts}) == 2  # forced diversity
    diagnoses = steps(events, "diagnose")
    assert diagnoses and all(d["diagnosis"]["direction"] for d in diagnoses)
    feedback = steps(events, "feedback")
    assert len(feedback) == 2 and all("accepted" in f and f["reason"] for f in feedback)
    assert steps(events, "final")[0]["submission"] == state["final"]["submission_id"]
    assert any(e.kind == "command" for e in events)
    _, _, again = run(cli, home, *args)
    assert trajectory(again) == trajectory(journal)


def test_gome_ablations_switch_components_off(cli, home):
    state, events, journal = run(
        cli,
        home,
        "--agent",
        "gome",
        "--traces",
        "1",
        "--max-steps",
        "1",
        "--no-diagnosis",
        "--no-memory",
    )
    assert state["final"]["valid"]
    assert {n.trace for n in journal.nodes} == {0}
    assert all(d["diagnosis"] is None for d in steps(events, "diagnose"))
    start = next(e for e in events if e.kind == "agent_step" and e.action == "agent_start")
    assert start.detail["options"] == {
        "traces": 1,
        "diagnosis": False,
        "memory": False,
        "max_steps": 1,
    }


@pytest.mark.parametrize("agent", ["greedy", "mcts", "random"])
def test_baselines_finish_with_a_valid_final_submission(cli, home, agent):
    state, events, journal = run(cli, home, "--agent", agent, "--max-steps", "2")
    assert state["status"] == "finished" and state["final"]["valid"]
    assert len(journal.nodes) >= 2
    assert steps(events, "final")


def test_a_weak_driver_writes_bugs_the_agent_survives(cli, home):
    state, events, journal = run(
        cli, home, "--agent", "greedy", "--quality", "0", "--max-steps", "2"
    )
    assert state["status"] == "finished"
    failed = steps(events, "run_failed")
    assert failed and any("Error" in f["error"] for f in failed)
    assert steps(events, "debug")
    assert any(not n.ok for n in journal.nodes)
