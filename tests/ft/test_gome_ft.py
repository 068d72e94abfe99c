"""Gome on a fine-tuning task through the same FT skills as FT-Agent: its draft recipe rendered to
a TRL script, trained fail-fast then in full on a tiny random model in the sandbox, one diagnosed
improvement, the best model submitted as a directory and graded on the held-out split.

Slow: five Python processes that import torch and TRL (two checks, two trainings, the grading)
take minutes on a busy machine."""

from __future__ import annotations

import json

import pytest

from ascent.agents.core import Journal
from ascent.record.recorder import read_events
from tests.ft.conftest import TOY


@pytest.mark.slow
def test_gome_fine_tunes_diagnoses_submits_and_is_graded(cli, home):
    result = cli(
        "--task-dir",
        TOY,
        "run",
        "--task",
        "toy-ft",
        "--agent",
        "gome",
        "--traces",
        "1",
        "--max-steps",
        "1",
        "--budget",
        "15m",
        "--json",
    )
    assert result.exit_code == 0, result.stderr
    state = json.loads(result.stdout)
    assert state["status"] == "finished" and state["final"]["valid"], state["final"]
    assert 0.0 <= state["final"]["score"] <= 1.0
    run_dir = home.runs / state["run_id"]
    events = read_events(run_dir / "events.jsonl")
    journal = Journal.model_validate_json((run_dir / "agent_journal.json").read_text())
    draft, improved = journal.nodes
    # The FT skills' plan and training script, not another family's.
    assert draft.solution.plan["method"] == "lora" and "SFTTrainer" in draft.solution.code
    assert draft.ok and draft.outcome.extra["steps"] >= 1 and draft.outcome.extra["examples"] > 0
    assert improved.action == "improve" and improved.parent == draft.id
    [diagnosed] = [e for e in events if e.kind == "agent_step" and e.action == "diagnose"]
    assert diagnosed.detail["diagnosis"]["direction"] and diagnosed.detail["chosen"]
    # The change chosen from the diagnosis is applied to the recipe, so the script differs.
    assert improved.solution.plan != draft.solution.plan
    commands = [e for e in events if e.kind == "command"]
    assert any("--quick" in c.argv for c in commands) and any(
        "--quick" not in c.argv for c in commands
    )
    submissions = [e for e in events if e.kind == "submission"]
    assert submissions and all(s.valid for s in submissions)
    entry = json.loads((run_dir / "submissions" / "s0001.json").read_text())
    assert entry["details"]["model_kind"] == "adapter" and entry["details"]["categories"]
