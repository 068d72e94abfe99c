"""Briefs of real prepared tasks, as agents see them."""

from __future__ import annotations

import pytest

from ascent.harness.builtin_runner import instruction_facts
from ascent.harness.sandbox import Limits
from ascent.harness.workspace import WorkspaceFacts, lay_out
from ascent.tasks.mle.skills import MleSkills


@pytest.fixture(scope="session")
def brief_of(prepared, tmp_path_factory):
    cache = {}

    def make(task_id: str):
        if task_id not in cache:
            p = prepared(task_id)
            run_dir = tmp_path_factory.mktemp(f"ws-{task_id}")
            workspace = lay_out(
                run_dir,
                p,
                WorkspaceFacts(
                    workspace=str(run_dir / "workspace"),
                    budget_seconds=600,
                    max_submissions=20,
                    limits=Limits(),
                    network="none",
                ),
            )
            facts = instruction_facts(workspace)
            cache[task_id] = (MleSkills().brief(workspace, facts, p.task.description()), workspace)
        return cache[task_id]

    return make
