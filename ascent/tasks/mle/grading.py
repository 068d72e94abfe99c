"""MLE grading: check the CSV, keep the rows of the requested leaderboard split, call grade.py."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from ascent.errors import GraderError, InvalidSubmission
from ascent.tasks.mle.submission import read_submission, validate_submission
from ascent.tasks.prepare import PreparedTask

ANSWERS = "answers.csv"


def answers_path(prepared: PreparedTask) -> Path:
    return prepared.private / (prepared.task.answers_name or ANSWERS)


def grade_mle(prepared: PreparedTask, submission: Path, split: str) -> tuple[float, int]:
    task = prepared.task
    spec = prepared.mle_spec
    try:
        sample = pd.read_csv(prepared.public / "sample_submission.csv", dtype={spec.id_column: str})
        answers = pd.read_csv(answers_path(prepared), dtype={spec.id_column: str})
        splits = pd.read_csv(prepared.split_file, dtype={spec.id_column: str})
    except (OSError, ValueError) as exc:
        raise GraderError(f"the answers of '{task.id}' cannot be read: {exc}") from exc
    frame = validate_submission(read_submission(submission, spec), sample, spec)
    if split != "all":
        keep = set(splits.loc[splits["split"] == split, spec.id_column])
        frame = frame[frame[spec.id_column].isin(keep)].reset_index(drop=True)
        answers = answers[answers[spec.id_column].astype(str).isin(keep)].reset_index(drop=True)
    if answers.empty:
        raise GraderError(f"the answers of '{task.id}' hold no rows for split '{split}'")
    grade_fn = task.grade_fn()
    try:
        score = grade_fn(frame, answers)
    except InvalidSubmission:
        raise
    except (GraderError, AssertionError) as exc:
        raise GraderError(f"grade.py of '{task.id}' failed: {exc}") from exc
    try:
        return float(score), len(frame)
    except (TypeError, ValueError) as exc:
        raise GraderError(f"grade.py of '{task.id}' returned {score!r}, not a number") from exc
