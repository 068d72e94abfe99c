"""Level-2 tasks: their files, and the judge each trains at prepare time and keeps private."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ascent.tasks.rl import judge

L2_TASKS = ["instruction-following", "concise-summaries"]


def _rows(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


@pytest.mark.parametrize("task_id", L2_TASKS)
def test_files_judge_and_length_control(rl_prepared, task_id):
    prepared = rl_prepared(task_id)
    assert (prepared.private / judge.JUDGE_FILE).is_file()
    assert not list(prepared.public.rglob("judge*"))
    train, test = _rows(prepared.public / "train.jsonl"), _rows(prepared.private / "test.jsonl")
    assert all(r["reference"] and r["prompt"] for r in train + test)
    assert not {r["prompt"] for r in train} & {r["prompt"] for r in test}
    assert {r["category"] for r in test} == set(prepared.task.ft_spec().categories)
    scored = judge.load(prepared.private)
    rows = [(r["prompt"], r["reference"], r["reference"]) for r in test]
    assert scored.win_rate(rows) == 0.5
    padded = [(p, ref + " " + " ".join(judge.FILLER[:3]), ref) for p, _, ref in rows]
    assert scored.win_rate(padded) < 0.5  # padding gains nothing under length control
    assert scored.win_rate([(p, "", ref) for p, _, ref in rows]) < 0.2


def test_the_grade_module_scores_with_the_private_judge(rl_prepared):
    prepared = rl_prepared("concise-summaries")
    module = prepared.task._module("grade.py")
    score = module.scorer(prepared.private)
    [row] = _rows(prepared.private / "test.jsonl")[:1]
    assert score(row["reference"], row) == 0.5
    assert score(None, row) < 0.2
    with pytest.raises(RuntimeError, match="judge"):
        module.score("x", row)
