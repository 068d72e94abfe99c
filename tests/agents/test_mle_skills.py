"""MLE skills: plans render to runnable code, and runs come back as outcomes."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from ascent.tasks.grading import grade
from ascent.tasks.mle.skills import MleSkills, plan_of
from ascent.tasks.mle.skills.plan import MlePlan, apply_edit, draft_models

SKILLS = MleSkills()


def run_solution(code, workspace, tmp_path, quick):
    path = tmp_path / "solution.py"
    path.write_text(code)
    out = tmp_path / "submission.csv"
    proc = subprocess.run(
        [sys.executable, str(path), "--out", str(out), *(["--quick"] if quick else [])],
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "DATA_PATH": str(workspace / "public")},
    )
    return SKILLS.outcome(proc.returncode, proc.stdout + proc.stderr, 1.0, quick), out


@pytest.mark.parametrize(
    "task_id",
    [
        "penguin-species",
        "marriage-affairs",
        "diamond-cut",
        "star-class-scores",
        "co2-forecast",
        "ketchup-brand",
        "digits-8x8",
    ],
)
def test_every_kind_of_draft_passes_the_fail_fast_run(brief_of, tmp_path, task_id):
    brief, workspace = brief_of(task_id)
    solution = SKILLS.draft(brief, 0, seed=0)
    assert plan_of(solution.code) == solution.plan
    quick, out = run_solution(solution.code, workspace, tmp_path, quick=True)
    assert quick.ok, quick.error
    assert out.is_file()


@pytest.mark.parametrize(("task_id", "index"), [("penguin-species", 1), ("co2-forecast", 0)])
def test_full_run_gives_a_valid_submission(brief_of, prepared, tmp_path, task_id, index):
    brief, workspace = brief_of(task_id)
    solution = SKILLS.draft(brief, index, seed=0)
    outcome, out = run_solution(solution.code, workspace, tmp_path, quick=False)
    assert outcome.ok and outcome.valid_std is not None and outcome.train_score is not None
    result = grade(prepared(task_id), out, "public")
    assert result.valid, result.error


def test_drafts_differ_in_model_family(brief_of):
    brief, _ = brief_of("penguin-species")
    models = [SKILLS.plan(SKILLS.draft(brief, i, 0)).model for i in range(4)]
    assert len(set(models)) == 4
    assert models == draft_models("multiclass", "probability")[:4]


def test_edits_and_ensembles(brief_of):
    brief, _ = brief_of("diabetes-progression")
    base = SKILLS.draft(brief, 0, 0)
    edited = SKILLS.apply(base, {"scale_params": {"max_iter": 2}, "log_target": True}, brief)
    plan = SKILLS.plan(edited)
    assert plan.params["max_iter"] == 400 and plan.log_target
    swapped = apply_edit(plan, {"set_model": "ridge"})
    assert swapped.model == "ridge" and swapped.params == {"alpha": 1.0}
    merged = SKILLS.ensemble([base, SKILLS.draft(brief, 1, 0)], brief)
    assert merged is not None and [m.model for m in SKILLS.plan(merged).members] == [
        "hist_gb",
        "ridge",
    ]
    assert SKILLS.ensemble([base], brief) is None
    with pytest.raises(ValueError):
        MlePlan.model_validate({"model": "transformer"})


def test_failures_come_back_as_outcomes_with_the_traceback(brief_of, tmp_path):
    brief, workspace = brief_of("penguin-species")
    broken = SKILLS.draft(brief, 0, 0).code.replace('TASK["id_column"]: str', 'TASK["oops"]: str')
    outcome, _ = run_solution(broken, workspace, tmp_path, quick=True)
    assert not outcome.ok and "KeyError: 'oops'" in outcome.error
    silent = SKILLS.outcome(0, "no result line here", 1.0, False)
    assert not silent.ok and "without an ASCENT_RESULT line" in silent.error
    assert SKILLS.outcome(None, "", 9.0, False, timed_out=True).error == "timed out"
