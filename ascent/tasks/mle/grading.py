"""MLE grading: check the CSV, keep the rows of the requested leaderboard split, call grade.py.

A `MleGrader` loads the answers, sample ids and leaderboard split once, so that a grading server
pays only for the submission itself on every call.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from ascent.errors import GraderError, InvalidSubmission
from ascent.tasks.mle.submission import (
    SampleIds,
    clean_ids,
    read_submission,
    validate_submission,
)
from ascent.tasks.prepare import PreparedTask

ANSWERS = "answers.csv"
SPLITS = ("public", "private", "all")


def answers_path(prepared: PreparedTask) -> Path:
    return prepared.private / (prepared.task.answers_name or ANSWERS)


class MleGrader:
    def __init__(self, prepared: PreparedTask) -> None:
        self.task = prepared.task
        self.spec = prepared.mle_spec
        id_column = self.spec.id_column
        try:
            sample = pd.read_csv(prepared.public / "sample_submission.csv", dtype={id_column: str})
            answers = pd.read_csv(answers_path(prepared), dtype={id_column: str})
            splits = pd.read_csv(prepared.split_file, dtype={id_column: str})
        except (OSError, ValueError, KeyError) as exc:
            raise GraderError(f"the answers of '{self.task.id}' cannot be read: {exc}") from exc
        if id_column not in answers.columns:
            raise GraderError(f"the answers of '{self.task.id}' have no id column '{id_column}'")
        self.sample = SampleIds.from_values(sample[id_column])
        split_of = dict(zip(clean_ids(splits[id_column]).tolist(), splits["split"], strict=True))
        public = (self.sample.ids.map(split_of) == "public").to_numpy()
        self._rows = {"public": public, "private": ~public, "all": np.ones_like(public)}
        self._row_numbers = {split: np.flatnonzero(rows) for split, rows in self._rows.items()}
        # Answers in sample order, so that validated submissions line up row by row.
        answers = answers.assign(**{id_column: clean_ids(answers[id_column])})
        where = self.sample.locate(answers[id_column])
        if (where < 0).any() or len(answers) != len(self.sample.ids):
            raise GraderError(f"the answers of '{self.task.id}' do not match the sample ids")
        answers = answers.iloc[np.argsort(where)].reset_index(drop=True)
        self._answers = {
            split: answers[rows].reset_index(drop=True) for split, rows in self._rows.items()
        }
        self._grade_fn = self.task.grade_fn()

    def score(self, submission: Path, split: str) -> tuple[float, int]:
        if split not in SPLITS:
            raise GraderError(f"unknown split '{split}'")
        frame = validate_submission(read_submission(submission, self.spec), self.sample, self.spec)
        rows = self._row_numbers[split]
        frame = pd.DataFrame({c: frame[c].array.take(rows) for c in frame.columns}, copy=False)
        answers = self._answers[split]
        if answers.empty:
            raise GraderError(f"the answers of '{self.task.id}' hold no rows for split '{split}'")
        try:
            score = self._grade_fn(frame, answers.copy())
        except InvalidSubmission:
            raise
        except (GraderError, AssertionError) as exc:
            raise GraderError(f"grade.py of '{self.task.id}' failed: {exc}") from exc
        try:
            return float(score), len(frame)
        except (TypeError, ValueError) as exc:
            raise GraderError(
                f"grade.py of '{self.task.id}' returned {score!r}, not a number"
            ) from exc
