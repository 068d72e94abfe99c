"""A documented population of reference pipelines, whose private scores form a leaderboard.

Each pipeline is one model family with one setting of its hyperparameters, trained on a share of
the features and of the training rows: from deliberately weak (a constant, a depth-1 tree on a
quarter of the features) to strong (tuned gradient boosting on everything). The population is a
deterministic function of the task type and a seed, so `ascent tasks leaderboard` rebuilds the
same `leaderboard.csv` every time.
"""

from __future__ import annotations

import itertools
import logging
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator
from sklearn.compose import ColumnTransformer
from sklearn.dummy import DummyClassifier, DummyRegressor
from sklearn.ensemble import (
    ExtraTreesClassifier,
    ExtraTreesRegressor,
    HistGradientBoostingClassifier,
    HistGradientBoostingRegressor,
    RandomForestClassifier,
    RandomForestRegressor,
)
from sklearn.impute import SimpleImputer
from sklearn.linear_model import Lasso, LogisticRegression, Ridge
from sklearn.multioutput import MultiOutputRegressor
from sklearn.naive_bayes import GaussianNB
from sklearn.neighbors import KNeighborsClassifier, KNeighborsRegressor
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler
from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor
from threadpoolctl import threadpool_limits

from ascent.tasks.prepare import PreparedTask
from ascent.tasks.spec import MleSpec

log = logging.getLogger(__name__)

CLASSIFICATION = {"binary", "multiclass", "image"}
FEATURE_FRACTIONS = (1.0, 0.5, 0.25)
ROW_FRACTIONS = (1.0, 0.3)
MAX_CATEGORIES = 50


@dataclass(frozen=True)
class PipelineConfig:
    model: str
    params: dict[str, Any] = field(default_factory=dict)
    feature_fraction: float = 1.0
    row_fraction: float = 1.0

    @property
    def name(self) -> str:
        parts = [self.model, *(f"{k}={v}" for k, v in sorted(self.params.items()))]
        if self.feature_fraction < 1:
            parts.append(f"features={int(self.feature_fraction * 100)}%")
        if self.row_fraction < 1:
            parts.append(f"rows={int(self.row_fraction * 100)}%")
        return " ".join(parts)


Factory = Callable[[dict[str, Any], int], BaseEstimator]

_CLASSIFIERS: dict[str, tuple[Factory, list[dict[str, Any]]]] = {
    "constant": (lambda p, s: DummyClassifier(strategy="prior"), [{}]),
    "random-guess": (lambda p, s: DummyClassifier(strategy="stratified", random_state=s), [{}]),
    "logistic": (
        lambda p, s: LogisticRegression(C=p["C"], max_iter=3000),
        [{"C": c} for c in (0.001, 0.01, 0.1, 1.0, 10.0)],
    ),
    "knn": (
        lambda p, s: KNeighborsClassifier(n_neighbors=p["k"]),
        [{"k": k} for k in (1, 5, 15, 51)],
    ),
    "tree": (
        lambda p, s: DecisionTreeClassifier(max_depth=p["depth"], random_state=s),
        [{"depth": d} for d in (1, 2, 4, 8, None)],
    ),
    "forest": (
        lambda p, s: RandomForestClassifier(
            n_estimators=p["trees"], max_depth=p["depth"], random_state=s
        ),
        [{"trees": t, "depth": d} for t in (10, 200) for d in (3, None)],
    ),
    "extra-trees": (
        lambda p, s: ExtraTreesClassifier(
            n_estimators=200, min_samples_leaf=p["leaf"], random_state=s
        ),
        [{"leaf": leaf} for leaf in (1, 5)],
    ),
    "naive-bayes": (lambda p, s: GaussianNB(), [{}]),
    "boosting": (
        lambda p, s: HistGradientBoostingClassifier(
            learning_rate=p["lr"], max_iter=p["iters"], max_depth=p["depth"], random_state=s
        ),
        [
            {"lr": lr, "iters": it, "depth": d}
            for lr in (0.05, 0.2)
            for it in (50, 300)
            for d in (3, None)
        ],
    ),
}

_REGRESSORS: dict[str, tuple[Factory, list[dict[str, Any]]]] = {
    "mean": (lambda p, s: DummyRegressor(strategy="mean"), [{}]),
    "median": (lambda p, s: DummyRegressor(strategy="median"), [{}]),
    "ridge": (lambda p, s: Ridge(alpha=p["alpha"]), [{"alpha": a} for a in (0.1, 10.0, 1000.0)]),
    "lasso": (
        lambda p, s: Lasso(alpha=p["alpha"], max_iter=5000),
        [{"alpha": a} for a in (0.01, 1.0, 10.0)],
    ),
    "knn": (
        lambda p, s: KNeighborsRegressor(n_neighbors=p["k"]),
        [{"k": k} for k in (1, 5, 15, 51)],
    ),
    "tree": (
        lambda p, s: DecisionTreeRegressor(max_depth=p["depth"], random_state=s),
        [{"depth": d} for d in (1, 2, 4, 8, None)],
    ),
    "forest": (
        lambda p, s: RandomForestRegressor(
            n_estimators=p["trees"], max_depth=p["depth"], random_state=s
        ),
        [{"trees": t, "depth": d} for t in (10, 200) for d in (3, None)],
    ),
    "extra-trees": (
        lambda p, s: ExtraTreesRegressor(
            n_estimators=200, min_samples_leaf=p["leaf"], random_state=s
        ),
        [{"leaf": leaf} for leaf in (1, 5)],
    ),
    "boosting": (
        lambda p, s: HistGradientBoostingRegressor(
            learning_rate=p["lr"], max_iter=p["iters"], max_depth=p["depth"], random_state=s
        ),
        [
            {"lr": lr, "iters": it, "depth": d}
            for lr in (0.05, 0.2)
            for it in (50, 300)
            for d in (3, None)
        ],
    ),
}


def _families(spec: MleSpec) -> dict[str, tuple[Factory, list[dict[str, Any]]]]:
    if spec.task_type in CLASSIFICATION:
        return _CLASSIFIERS
    if spec.task_type == "ordinal":
        # Ordinal labels are fitted both as classes and as numbers rounded to the nearest class.
        return {**_CLASSIFIERS, **{f"{k}-regression": v for k, v in _REGRESSORS.items()}}
    return _REGRESSORS


def population(spec: MleSpec, size: int = 120, seed: int = 0) -> list[PipelineConfig]:
    """`size` distinct pipelines: every model setting on all data first, then seeded variants."""
    families = _families(spec)
    full = [PipelineConfig(m, p) for m, (_, grid) in families.items() for p in grid]
    variants = [
        PipelineConfig(m, p, f, r)
        for m, (_, grid) in families.items()
        for p in grid
        for f, r in itertools.product(FEATURE_FRACTIONS, ROW_FRACTIONS)
        if (f, r) != (1.0, 1.0)
    ]
    rng = np.random.default_rng(seed)
    picked = [variants[i] for i in rng.permutation(len(variants))[: max(0, size - len(full))]]
    return (full + picked)[:size]


# -- features ---------------------------------------------------------------------------------
def expand_dates(frame: pd.DataFrame) -> pd.DataFrame:
    """Text columns that parse as dates become numeric year, month, day-of-year and day index."""
    out = frame.copy()
    for column in frame.columns:
        if not (frame[column].dtype == object or pd.api.types.is_string_dtype(frame[column])):
            continue
        sample = frame[column].dropna().astype(str).head(20)
        if sample.empty or not sample.str.match(r"^\d{4}-\d{2}-\d{2}").all():
            continue
        dates = pd.to_datetime(frame[column], errors="coerce")
        out[f"{column}_year"] = dates.dt.year
        out[f"{column}_month"] = dates.dt.month
        out[f"{column}_dayofyear"] = dates.dt.dayofyear
        out[f"{column}_index"] = (dates - pd.Timestamp("1900-01-01")).dt.days
        out = out.drop(columns=column)
    return out


def _preprocessor(features: pd.DataFrame) -> ColumnTransformer:
    numeric = [c for c in features.columns if pd.api.types.is_numeric_dtype(features[c])]
    categorical = [
        c
        for c in features.columns
        if c not in numeric and features[c].nunique(dropna=True) <= MAX_CATEGORIES
    ]
    return ColumnTransformer(
        [
            ("num", make_pipeline(SimpleImputer(strategy="median"), StandardScaler()), numeric),
            (
                "cat",
                make_pipeline(
                    SimpleImputer(strategy="most_frequent"),
                    OneHotEncoder(handle_unknown="ignore", sparse_output=False),
                ),
                categorical,
            ),
        ],
        remainder="drop",
    )


def fit_predict(
    config: PipelineConfig, spec: MleSpec, train: pd.DataFrame, test: pd.DataFrame, seed: int = 0
) -> pd.DataFrame:
    """Train one pipeline on public train.csv and return its submission for test.csv."""
    rng = np.random.default_rng(seed)
    features = [c for c in test.columns if c != spec.id_column and c not in spec.target_columns]
    keep = sorted(
        rng.permutation(len(features))[: max(1, round(len(features) * config.feature_fraction))]
    )
    columns = [features[i] for i in keep]
    rows = train
    if config.row_fraction < 1:
        rows = train.sample(frac=config.row_fraction, random_state=seed)
    x_train, x_test = expand_dates(rows[columns]), expand_dates(test[columns])
    families = _families(spec)
    factory, _ = families[config.model]
    estimator = factory(config.params, seed)
    regression_of_ordinal = spec.task_type == "ordinal" and config.model.endswith("-regression")
    y = rows[spec.target_columns]
    if (
        spec.task_type == "multitarget"
        and not hasattr(estimator, "estimators_")
        and config.model in ("boosting", "lasso")
    ):
        estimator = MultiOutputRegressor(estimator)
    model = make_pipeline(_preprocessor(x_train), estimator)
    submission = pd.DataFrame({spec.id_column: test[spec.id_column].astype(str)})
    classes = [str(c) for c in spec.classes or []]
    if regression_of_ordinal:
        index = {c: i for i, c in enumerate(classes)}
        model.fit(x_train, y.iloc[:, 0].astype(str).map(index).to_numpy(dtype=float))
        pred = np.clip(np.rint(model.predict(x_test)), 0, len(classes) - 1).astype(int)
        submission[spec.submission_columns[0]] = [classes[i] for i in pred]
        return submission
    if spec.task_type in CLASSIFICATION or spec.task_type == "ordinal":
        target = y.iloc[:, 0].astype(str)
        model.fit(x_train, target)
        if spec.prediction == "probability":
            proba = pd.DataFrame(
                model.predict_proba(x_test), columns=[str(c) for c in model.classes_]
            )
            if len(spec.submission_columns) == 1:  # binary: P(last class)
                positive = classes[-1]
                submission[spec.submission_columns[0]] = proba.get(positive, 0.0).to_numpy()
            else:
                for column in spec.submission_columns:
                    submission[column] = proba[column].to_numpy() if column in proba else 0.0
        else:
            submission[spec.submission_columns[0]] = model.predict(x_test).astype(str)
        return submission
    model.fit(
        x_train,
        y.to_numpy(dtype=float)
        if len(spec.target_columns) > 1
        else y.iloc[:, 0].to_numpy(dtype=float),
    )
    pred = np.asarray(model.predict(x_test), dtype=float).reshape(len(test), -1)
    for j, column in enumerate(spec.submission_columns):
        submission[column] = pred[:, j]
    return submission


def build_leaderboard(
    prepared: PreparedTask,
    size: int = 120,
    seed: int = 0,
    on_progress: Callable[[PipelineConfig, float | None], None] | None = None,
) -> pd.DataFrame:
    """Score every pipeline of the population on the private split; best first."""
    from ascent.tasks.grading import grade

    spec = prepared.mle_spec
    train = pd.read_csv(prepared.public / "train.csv", dtype={spec.id_column: str})
    test = pd.read_csv(prepared.public / "test.csv", dtype={spec.id_column: str})
    rows = []
    # One thread a model: faster on a busy machine, and the same numbers everywhere.
    with threadpool_limits(1), tempfile.TemporaryDirectory(prefix="ascent-population-") as tmp:
        path = Path(tmp) / "submission.csv"
        for team_id, config in enumerate(population(spec, size, seed), start=1):
            score = None
            try:
                fit_predict(config, spec, train, test, seed=seed + team_id).to_csv(
                    path, index=False
                )
                result = grade(prepared, path, "private")
                score = result.score if result.valid else None
                if not result.valid:
                    log.warning("pipeline %s was invalid: %s", config.name, result.error)
            except Exception as exc:  # a pipeline that cannot fit this data is left out
                log.warning("pipeline %s failed: %s", config.name, exc)
            if on_progress is not None:
                on_progress(config, score)
            if score is not None:
                rows.append({"teamId": team_id, "teamName": config.name, "score": round(score, 6)})
    board = pd.DataFrame(rows)
    higher = prepared.task.spec.metric.higher_is_better
    board = board.sort_values(["score", "teamId"], ascending=[not higher, True]).reset_index(
        drop=True
    )
    board.insert(0, "rank", np.arange(1, len(board) + 1))
    return board
