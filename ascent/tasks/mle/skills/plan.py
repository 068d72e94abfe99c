"""The structured plan of an MLE solution, the drafts an agent starts from, and plan edits."""

from __future__ import annotations

import copy
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

Model = Literal[
    "hist_gb",
    "lightgbm",
    "random_forest",
    "extra_trees",
    "logistic",
    "ridge",
    "knn",
    "svm",
    "naive_bayes",
    "trend_linear",
]
CLASSIFICATION = {"binary", "multiclass", "image", "ordinal"}

# Families whose models make alike errors: boosted trees (hist_gb, lightgbm) are one kind, so an
# average of the two cancels little; a linear model beside them cancels more.
MODEL_KINDS: dict[str, str] = {
    "hist_gb": "boosted trees",
    "lightgbm": "boosted trees",
    "random_forest": "bagged trees",
    "extra_trees": "bagged trees",
    "logistic": "linear",
    "ridge": "linear",
    "trend_linear": "linear",
    "knn": "neighbours",
    "svm": "kernel",
    "naive_bayes": "naive bayes",
}

# Sensible starting hyperparameters of each model family.
DEFAULT_PARAMS: dict[str, dict[str, Any]] = {
    "hist_gb": {
        "max_iter": 200,
        "learning_rate": 0.08,
        "max_depth": None,
        "min_samples_leaf": 20,
        "l2_regularization": 0.0,
    },
    "lightgbm": {
        "n_estimators": 300,
        "learning_rate": 0.05,
        "num_leaves": 31,
        "min_child_samples": 20,
        "reg_lambda": 0.0,
        "subsample": 1.0,
        "colsample_bytree": 1.0,
    },
    "random_forest": {
        "n_estimators": 200,
        "max_depth": None,
        "min_samples_leaf": 1,
        "max_features": "sqrt",
    },
    "extra_trees": {
        "n_estimators": 200,
        "max_depth": None,
        "min_samples_leaf": 1,
        "max_features": "sqrt",
    },
    "logistic": {"C": 1.0},
    "ridge": {"alpha": 1.0},
    "trend_linear": {"alpha": 0.1},
    "knn": {"n_neighbors": 15, "weights": "distance"},
    "svm": {"C": 3.0, "gamma": "scale"},
    "naive_bayes": {},
}


class MlePlan(BaseModel):
    model_config = ConfigDict(extra="forbid")

    model: Model
    params: dict[str, Any] = Field(default_factory=dict)
    impute: Literal["median", "mean", "most_frequent"] = "median"
    missing_indicators: bool = False
    scale: bool = True
    one_hot_max: int = Field(30, ge=2)
    date_features: bool = True
    trend_features: bool = False
    log_target: bool = False
    class_weight: Literal["balanced"] | None = None
    ordinal_as_regression: bool = False
    drop_columns: list[str] = Field(default_factory=list)
    folds: int = Field(5, ge=2, le=10)
    seed: int = 0
    members: list[MlePlan] = Field(default_factory=list, description="Ensemble members, averaged.")

    def summary(self) -> str:
        if self.members:
            return "ensemble of " + " + ".join(m.model for m in self.members)
        keys = (
            "max_iter",
            "n_estimators",
            "learning_rate",
            "max_depth",
            "num_leaves",
            "min_samples_leaf",
            "min_child_samples",
            "C",
            "alpha",
            "n_neighbors",
        )
        shown = ", ".join(f"{k}={self.params[k]}" for k in keys if k in self.params)
        flags = [
            name
            for name, on in (
                ("log-target", self.log_target),
                ("balanced", self.class_weight == "balanced"),
                ("trend", self.trend_features),
                ("ordinal-regression", self.ordinal_as_regression),
                ("missing-indicators", self.missing_indicators),
            )
            if on
        ]
        return f"{self.model}({shown})" + (f" [{', '.join(flags)}]" if flags else "")


def draft_models(task_type: str, prediction: str) -> list[str]:
    """Model families in the order drafts try them: different drafts, different families."""
    if task_type in CLASSIFICATION:
        order = [
            "hist_gb",
            "logistic",
            "random_forest",
            "lightgbm",
            "extra_trees",
            "knn",
            "naive_bayes",
        ]
        if task_type == "image":
            order = ["svm", "logistic", "extra_trees", "hist_gb", "knn", "random_forest"]
        return order
    if task_type == "forecast":
        return ["trend_linear", "hist_gb", "lightgbm", "ridge", "random_forest"]
    return ["hist_gb", "ridge", "random_forest", "lightgbm", "extra_trees", "knn"]


def draft_plan(
    facts: dict[str, Any], profile: dict[str, Any], index: int, seed: int = 0
) -> MlePlan:
    task_type = facts.get("task_type", "regression")
    models = draft_models(task_type, facts.get("prediction", "number"))
    model = models[index % len(models)]
    plan = MlePlan(model=model, params=copy.deepcopy(DEFAULT_PARAMS[model]), seed=seed + index)  # type: ignore[arg-type]
    if task_type == "forecast":
        plan.trend_features = True
    if task_type == "ordinal" and model in ("hist_gb", "lightgbm", "random_forest", "extra_trees"):
        plan.ordinal_as_regression = index % 2 == 0
    if profile.get("target_skew", 0) > 1.5 and task_type in ("regression", "multitarget"):
        plan.log_target = True
    return plan


def apply_edit(plan: MlePlan, edit: dict[str, Any]) -> MlePlan:
    """Apply a structured edit: top-level fields, `params` merged, `set_model` swaps family."""
    data = plan.model_dump()
    edit = copy.deepcopy(edit)
    if "set_model" in edit:
        model = edit.pop("set_model")
        if model not in DEFAULT_PARAMS:
            raise ValueError(f"unknown model family '{model}'")
        data["model"] = model
        data["params"] = copy.deepcopy(DEFAULT_PARAMS[model])
    if "params" in edit:
        data["params"] = {**data["params"], **edit.pop("params")}
    if "scale_params" in edit:
        for key, factor in edit.pop("scale_params").items():
            if isinstance(data["params"].get(key), int | float):
                value = data["params"][key] * factor
                data["params"][key] = (
                    round(value) if isinstance(data["params"][key], int) else value
                )
    data.update(edit)
    return MlePlan.model_validate(data)
