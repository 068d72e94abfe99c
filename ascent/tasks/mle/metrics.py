"""Competition metrics, each with a declared direction.

Grade functions of tasks call these on arrays aligned by id (see `align`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import pandas as pd
from sklearn import metrics as skm

from ascent.errors import GraderError, InvalidSubmission

EPS = 1e-15


def align(submission: pd.DataFrame, answers: pd.DataFrame, id_column: str) -> pd.DataFrame:
    """Join submission and answers on the id column (ids compared as text).

    Answer columns that share a name with submission columns get the suffix `_true`.
    """
    if id_column not in submission.columns:
        raise InvalidSubmission(f"the submission has no id column '{id_column}'")
    if id_column not in answers.columns:
        raise GraderError(f"the answers have no id column '{id_column}'")
    sub_ids = submission[id_column].astype(str)
    ans_ids = answers[id_column].astype(str)
    if len(sub_ids) == len(ans_ids) and bool((sub_ids.array == ans_ids.array).all()):
        # Fast path: the grader hands rows over in the answers' order. Columns are taken as
        # arrays: a small submission's grading time is mostly pandas' per-call overhead.
        columns = {
            (f"{c}_true" if c in submission.columns and c != id_column else c): answers[c].array
            for c in answers.columns
        }
        columns.update({c: submission[c].array for c in submission.columns if c != id_column})
        return pd.DataFrame(columns, copy=False)
    sub = submission.assign(**{id_column: sub_ids.to_numpy()})
    ans = answers.assign(**{id_column: ans_ids.to_numpy()})
    if sub[id_column].duplicated().any():
        raise InvalidSubmission("the submission repeats some ids")
    merged = ans.merge(sub, on=id_column, how="left", suffixes=("_true", ""), indicator=True)
    missing = int((merged["_merge"] != "both").sum())
    if missing:
        raise InvalidSubmission(f"the submission lacks predictions for {missing} graded ids")
    return merged.drop(columns="_merge")


def auc(y_true: Sequence, y_score: Sequence) -> float:
    """ROC AUC by the rank-sum (Mann-Whitney) formula: ties count half, as in scikit-learn."""
    y = np.asarray(y_true)
    classes = np.unique(y)
    if len(classes) != 2:
        raise GraderError("AUC needs both classes, and only two, among the graded rows")
    positive = y == classes[1]
    ranks = average_ranks(np.asarray(y_score, dtype=float))
    n_pos = int(positive.sum())
    n_neg = len(y) - n_pos
    return float((ranks[positive].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))


def average_ranks(values: np.ndarray) -> np.ndarray:
    """Ranks from 1, ties sharing the mean of their ranks (numpy only: fast on small arrays)."""
    order = np.argsort(values, kind="mergesort")
    ordered = values[order]
    starts = np.r_[True, ordered[1:] != ordered[:-1]]
    group = np.cumsum(starts) - 1  # tie group of each sorted position
    bounds = np.r_[np.flatnonzero(starts), len(values)]
    mean_rank = (bounds[:-1] + bounds[1:] + 1) / 2.0  # mean of ranks start+1 .. end
    ranks = np.empty(len(values), dtype=float)
    ranks[order] = mean_rank[group]
    return ranks


def log_loss(y_true: Sequence, proba: np.ndarray, classes: Sequence[str]) -> float:
    """Multiclass (or binary, with one column per class) log loss; rows are renormalised."""
    p = np.clip(np.asarray(proba, dtype=float), EPS, 1 - EPS)
    p = p / p.sum(axis=1, keepdims=True)
    index = {str(c): i for i, c in enumerate(classes)}
    try:
        cols = np.array([index[str(v)] for v in y_true])
    except KeyError as exc:
        raise GraderError(f"an answer label {exc} is not among the classes") from None
    return float(-np.mean(np.log(p[np.arange(len(cols)), cols])))


def binary_log_loss(y_true: Sequence, p_positive: Sequence) -> float:
    p = np.clip(np.asarray(p_positive, dtype=float), EPS, 1 - EPS)
    y = np.asarray(y_true, dtype=float)
    return float(-np.mean(y * np.log(p) + (1 - y) * np.log(1 - p)))


def accuracy(y_true: Sequence, y_pred: Sequence) -> float:
    return float(skm.accuracy_score(_text(y_true), _text(y_pred)))


def macro_f1(y_true: Sequence, y_pred: Sequence) -> float:
    return float(skm.f1_score(_text(y_true), _text(y_pred), average="macro"))


def rmse(y_true: Sequence, y_pred: Sequence) -> float:
    diff = np.asarray(y_true, dtype=float) - np.asarray(y_pred, dtype=float)
    return float(np.sqrt(np.mean(diff**2)))


def mae(y_true: Sequence, y_pred: Sequence) -> float:
    diff = np.asarray(y_true, dtype=float) - np.asarray(y_pred, dtype=float)
    return float(np.mean(np.abs(diff)))


def qwk(y_true: Sequence, y_pred: Sequence, labels: Sequence | None = None) -> float:
    """Quadratic weighted kappa over ordered labels (given in order, or sortable integers)."""
    return float(
        skm.cohen_kappa_score(
            list(y_true), list(y_pred), labels=list(labels) if labels else None, weights="quadratic"
        )
    )


def columnwise(
    metric: Callable[[Sequence, Sequence], float], truth: np.ndarray, pred: np.ndarray
) -> float:
    """Mean of a metric applied to each target column."""
    truth, pred = np.asarray(truth), np.asarray(pred)
    return float(np.mean([metric(truth[:, j], pred[:, j]) for j in range(truth.shape[1])]))


def _text(values: Sequence) -> list[str]:
    return [str(v) for v in values]


HIGHER_IS_BETTER = {
    "auc": True,
    "accuracy": True,
    "macro_f1": True,
    "qwk": True,
    "log_loss": False,
    "rmse": False,
    "mae": False,
    "mcmae": False,
    "mcrmse": False,
}
