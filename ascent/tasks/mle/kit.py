"""Building blocks for the prepare.py of an MLE task: ids, splits, and the standard files.

Standard layout written by `write_competition`:
public/train.csv (features + targets), public/test.csv (features only),
public/sample_submission.csv, private/answers.csv (id + targets of the test rows).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.model_selection import train_test_split


def random_ids(n: int, rng: np.random.Generator, prefix: str = "") -> list[str]:
    """Unique ids that carry no information about row order or label."""
    numbers = rng.choice(np.arange(10_000, 10_000 + 20 * n), size=n, replace=False)
    return [f"{prefix}{k}" for k in numbers]


def shuffled_split(
    frame: pd.DataFrame,
    test_size: float,
    seed: int,
    stratify: str | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Shuffled train/test split (stratified on a column if given), index reset."""
    train, test = train_test_split(
        frame,
        test_size=test_size,
        random_state=seed,
        shuffle=True,
        stratify=frame[stratify] if stratify else None,
    )
    return train.reset_index(drop=True), test.reset_index(drop=True)


def write_competition(
    public: Path,
    private: Path,
    train: pd.DataFrame,
    test: pd.DataFrame,
    id_column: str,
    target_columns: Sequence[str],
    sample_submission: pd.DataFrame,
) -> None:
    """Write the standard files; test rows lose their targets in public/, keep them in private/."""
    targets = list(target_columns)
    train.to_csv(public / "train.csv", index=False)
    test.drop(columns=targets).to_csv(public / "test.csv", index=False)
    sample_submission.to_csv(public / "sample_submission.csv", index=False)
    test[[id_column, *targets]].to_csv(private / "answers.csv", index=False)


def constant_submission(
    ids: Sequence[str], id_column: str, values: dict[str, object]
) -> pd.DataFrame:
    """A sample submission: every row the same prediction."""
    frame = pd.DataFrame({id_column: list(ids)})
    for column, value in values.items():
        frame[column] = value
    return frame
