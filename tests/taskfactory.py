"""Writes small synthetic task folders for tests of the task contract."""

from __future__ import annotations

import textwrap
from pathlib import Path

import yaml

PREPARE = """
import numpy as np
import pandas as pd


def prepare(raw, public, private, seed=0):
    rng = np.random.default_rng(seed)
    n = 40
    x = rng.normal(size=n)
    frame = pd.DataFrame({"id": [f"r{i}" for i in rng.permutation(n)], "x": x,
                          "y": (x > 0).astype(int)})
    train, test = frame.iloc[:20], frame.iloc[20:]
    train.to_csv(public / "train.csv", index=False)
    test.drop(columns="y").to_csv(public / "test.csv", index=False)
    pd.DataFrame({"id": test["id"], "y": 0.5}).to_csv(public / "sample_submission.csv", index=False)
    test[["id", "y"]].to_csv(private / "answers.csv", index=False)
"""

GRADE = """
from ascent.tasks.mle.metrics import align, rmse


def grade(submission, answers):
    rows = align(submission, answers, "id")
    return rmse(rows["y_true"], rows["y"])
"""


def spec(task_id: str = "toy", **overrides) -> dict:
    data = {
        "id": task_id,
        "family": "mle",
        "title": "Toy task",
        "metric": {"name": "rmse", "higher_is_better": False},
        "mle": {
            "task_type": "regression",
            "id_column": "id",
            "target_columns": ["y"],
            "submission_columns": ["y"],
            "prediction": "number",
        },
    }
    data.update(overrides)
    return data


def write_task(
    root: Path,
    task_id: str = "toy",
    *,
    spec_data: dict | None = None,
    prepare: str | None = PREPARE,
    grade: str | None = GRADE,
    raw_yaml: str | None = None,
) -> Path:
    folder = root / task_id
    folder.mkdir(parents=True, exist_ok=True)
    if raw_yaml is not None:
        (folder / "task.yaml").write_text(raw_yaml)
    else:
        (folder / "task.yaml").write_text(yaml.safe_dump(spec_data or spec(task_id)))
    (folder / "description.md").write_text(f"# {task_id}\n\nPredict y.\n")
    if prepare is not None:
        (folder / "prepare.py").write_text(textwrap.dedent(prepare))
    if grade is not None:
        (folder / "grade.py").write_text(textwrap.dedent(grade))
    return folder
