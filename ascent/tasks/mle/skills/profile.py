"""A profile of a competition's public data: what a diagnosis can reason about."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd


def profile_data(public: Path, facts: dict[str, Any]) -> dict[str, Any]:
    id_column = facts.get("id_column", "id")
    targets = list(facts.get("target_columns") or [])
    train = pd.read_csv(public / "train.csv", dtype={id_column: str})
    test = pd.read_csv(public / "test.csv", dtype={id_column: str}, nrows=5)
    features = [c for c in test.columns if c != id_column]
    numeric = [c for c in features if pd.api.types.is_numeric_dtype(train[c])]
    categorical = [c for c in features if c not in numeric]
    dates = [
        c
        for c in categorical
        if train[c].dropna().astype(str).head(20).str.match(r"^\d{4}-\d{2}-\d{2}").all()
    ]
    profile: dict[str, Any] = {
        "n_train": len(train),
        "n_test": _count_rows(public / "test.csv"),
        "n_features": len(features),
        "numeric": len(numeric),
        "categorical": len(categorical) - len(dates),
        "date_columns": dates,
        "high_cardinality": [c for c in categorical if c not in dates and train[c].nunique() > 30],
        "missing_fraction": float(train[features].isna().mean().mean()) if features else 0.0,
    }
    if targets and facts.get("task_type") in ("binary", "multiclass", "image", "ordinal"):
        counts = train[targets[0]].astype(str).value_counts()
        profile["class_counts"] = counts.to_dict()
        profile["imbalance_ratio"] = float(counts.max() / max(counts.min(), 1))
    elif targets:
        values = train[targets].to_numpy(float)
        values = values[np.isfinite(values).all(axis=1)]
        skews = pd.DataFrame(values).skew().fillna(0.0)
        profile["target_skew"] = float(skews.abs().max())
        profile["target_positive"] = bool((values > 0).all())
    return profile


def _count_rows(path: Path) -> int:
    with path.open("rb") as fh:
        return max(0, sum(1 for _ in fh) - 1)
