"""The `mlebench` names that competition folders import, for use without MLE-bench installed.

Only the helpers competition code commonly calls are provided: `grade_helpers.InvalidSubmissionError`,
`utils.read_csv / get_logger / extract / load_yaml`, and `competitions.utils` metric preparers.
If the real `mlebench` package is importable, it is used instead and nothing is installed.
"""

from __future__ import annotations

import importlib.util
import logging
import sys
import zipfile
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np
import pandas as pd
import yaml
from scipy.special import softmax

from ascent.errors import InvalidSubmission


class InvalidSubmissionError(InvalidSubmission):
    """MLE-bench's name for an invalid submission; an `InvalidSubmission` here."""

    def __init__(self, message: str = "invalid submission") -> None:
        super().__init__(message)


def read_csv(*args: Any, **kwargs: Any) -> pd.DataFrame:
    kwargs.setdefault("float_precision", "round_trip")
    try:
        return pd.read_csv(*args, **kwargs)
    except pd.errors.EmptyDataError:
        return pd.DataFrame()


def get_logger(
    name: str, level: int = logging.INFO, filename: Path | None = None
) -> logging.Logger:
    logger = logging.getLogger(name)
    logger.setLevel(level)
    return logger


def load_yaml(path: Path) -> dict:
    return yaml.safe_load(Path(path).read_text())


def extract(compressed: Path, dst: Path, recursive: bool = False) -> None:
    """Unzip, refusing members that would land outside `dst`."""
    dst = Path(dst).resolve()
    with zipfile.ZipFile(compressed) as archive:
        for member in archive.namelist():
            target = (dst / member).resolve()
            if not target.is_relative_to(dst):
                raise ValueError(f"archive member {member!r} points outside {dst}")
        archive.extractall(dst)


def _check_pair(submission: pd.DataFrame, answers: pd.DataFrame, id_col: str, target: str) -> None:
    if len(submission) != len(answers):
        raise InvalidSubmissionError("submission and answers have different numbers of rows")
    for column in (id_col, target):
        if column not in submission.columns:
            raise InvalidSubmissionError(f"submission has no `{column}` column")


def _sorted_pair(
    submission: pd.DataFrame, answers: pd.DataFrame, id_col: str
) -> tuple[pd.DataFrame, pd.DataFrame]:
    sub = submission.sort_values(id_col).reset_index(drop=True)
    ans = answers.sort_values(id_col).reset_index(drop=True)
    if (sub[id_col].astype(str).values != ans[id_col].astype(str).values).any():
        raise InvalidSubmissionError(f"submission and answers have different `{id_col}` values")
    return sub, ans


def prepare_for_accuracy_metric(
    submission: pd.DataFrame, answers: pd.DataFrame, target_column: str, id_column: str
) -> dict:
    _check_pair(submission, answers, id_column, target_column)
    sub, ans = _sorted_pair(submission, answers, id_column)
    return {"y_true": ans[target_column].to_numpy(), "y_pred": sub[target_column].to_numpy()}


def prepare_for_auroc_metric(
    submission: pd.DataFrame, answers: pd.DataFrame, id_col: str, target_col: str
) -> dict:
    _check_pair(submission, answers, id_col, target_col)
    scores = pd.to_numeric(submission[target_col], errors="coerce")
    if scores.isna().any():
        raise InvalidSubmissionError(f"`{target_col}` must hold numbers")
    if ((scores < 0) | (scores > 1)).any():
        raise InvalidSubmissionError(f"`{target_col}` must lie between 0 and 1")
    sub, ans = _sorted_pair(submission.assign(**{target_col: scores}), answers, id_col)
    return {"y_true": ans[target_col].to_numpy(), "y_score": sub[target_col].to_numpy()}


def df_to_one_hot(
    df: pd.DataFrame, id_column: str, target_column: str, classes: list[str]
) -> pd.DataFrame:
    onehot = pd.DataFrame(
        (df[target_column].to_numpy()[:, None] == np.asarray(classes)[None, :]).astype(int),
        columns=classes,
        index=df.index,
    )
    return pd.concat([df[[id_column]], onehot], axis=1)


def is_one_hot_encoded(xs: np.ndarray) -> bool:
    binary = np.isin(xs, (0, 1)).all()
    return bool(binary and np.allclose(xs.sum(axis=-1), 1))


def one_hot_dfs_to_log_loss_inputs(
    submission_one_hot: pd.DataFrame,
    answers_one_hot: pd.DataFrame,
    id_column: str = "id",
    apply_softmax: bool = True,
) -> dict:
    missing = set(answers_one_hot.columns) - set(submission_one_hot.columns)
    if missing:
        raise InvalidSubmissionError(f"submission lacks columns {sorted(missing)}")
    sub = submission_one_hot[list(answers_one_hot.columns)]
    sub, ans = _sorted_pair(sub, answers_one_hot, id_column)
    y_true = ans.drop(columns=[id_column]).to_numpy()
    y_pred = sub.drop(columns=[id_column]).to_numpy(dtype=float)
    if apply_softmax and not is_one_hot_encoded(y_pred):
        y_pred = softmax(y_pred, axis=-1)
    return {"y_true": y_true, "y_pred": y_pred}


def _module(name: str, **attrs: Any) -> ModuleType:
    module = ModuleType(name)
    module.__dict__.update(attrs)
    return module


def install() -> None:
    """Register the `mlebench` modules unless the real package (or this layer) is there."""
    if "mlebench" in sys.modules or importlib.util.find_spec("mlebench") is not None:
        return
    utils = _module(
        "mlebench.utils",
        read_csv=read_csv,
        get_logger=get_logger,
        extract=extract,
        load_yaml=load_yaml,
    )
    helpers = _module("mlebench.grade_helpers", InvalidSubmissionError=InvalidSubmissionError)
    comp_utils = _module(
        "mlebench.competitions.utils",
        get_logger=get_logger,
        prepare_for_accuracy_metric=prepare_for_accuracy_metric,
        prepare_for_auroc_metric=prepare_for_auroc_metric,
        df_to_one_hot=df_to_one_hot,
        is_one_hot_encoded=is_one_hot_encoded,
        one_hot_dfs_to_log_loss_inputs=one_hot_dfs_to_log_loss_inputs,
    )
    competitions = _module("mlebench.competitions", utils=comp_utils, __path__=[])
    root = _module(
        "mlebench", utils=utils, grade_helpers=helpers, competitions=competitions, __path__=[]
    )
    sys.modules.update(
        {
            "mlebench": root,
            "mlebench.utils": utils,
            "mlebench.grade_helpers": helpers,
            "mlebench.competitions": competitions,
            "mlebench.competitions.utils": comp_utils,
        }
    )
