"""FT-Agent with the heuristic driver lifts SmolLM2-135M-Instruct above its untuned baseline on
the held-out (private) test split, task by task: a real LoRA fine-tune on CPU through the dojo
(sandbox, grading service, final grade). About a quarter of an hour a task on two idle cores,
much longer on a busy machine."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from ascent.config import Paths
from ascent.tasks.ft.models import SMOLLM2, ensure_base_model, model_dir
from ascent.tasks.registry import Registry

# Tasks where one short fine-tune of the 135M model beats the base model.
LIFT_TASKS = ["chem-element-counts", "patent-classification", "protocol-ordering"]
RECIPE = '{"max_examples": 320, "epochs": 1, "eval_limit": 20}'


@pytest.fixture(scope="session")
def smollm2(tmp_path_factory) -> Path:
    """SmolLM2 converted from its GGUF file once for the session (minutes on a busy machine)."""
    return ensure_base_model(SMOLLM2, Paths(tmp_path_factory.mktemp("smollm2")).ensure())


@pytest.mark.model
@pytest.mark.timeout(5400)
@pytest.mark.parametrize("task_id", LIFT_TASKS)
def test_ftagent_lifts_smollm2_above_the_untuned_baseline(cli, home, smollm2, task_id):
    # Each task's run gets a fresh home; hard links give it the converted model without a copy.
    shutil.copytree(smollm2, model_dir(SMOLLM2, home), copy_function=os.link)
    baseline = Registry(plugins=False).get(task_id).spec.baseline
    assert baseline is not None, f"{task_id} has no recorded baseline"
    result = cli(
        "run",
        "--task",
        task_id,
        "--agent",
        "ftagent",
        "--driver",
        "heuristic",
        "--max-steps",
        "0",
        "--budget",
        "60m",
        "--option",
        f"recipe={RECIPE}",
        "--json",
    )
    assert result.exit_code == 0, result.stderr
    state = json.loads(result.stdout)
    final = state["final"]
    assert state["status"] == "finished" and final["valid"], final
    # The figures, for `pytest -rP` (passed tests' output) or `-s`.
    print(f"{task_id}: baseline {baseline:.4f}, private {final['score']:.4f}")
    assert final["score"] > baseline, (task_id, baseline, final["score"])
