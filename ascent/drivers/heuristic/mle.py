"""Rules for tabular competitions: diagnosis from signals, and the changes each diagnosis calls
for. Each rule is ordinary ML practice: regularise an overfit model, give an underfit one more
capacity, average away fold-to-fold variance, weight rare classes for macro metrics, model a
skewed target on the log scale, keep training within the time budget."""

from __future__ import annotations

from typing import Any

from ascent.drivers.models import Diagnosis, Hypothesis, Outcome, TaskBrief
from ascent.tasks.mle.skills.plan import CLASSIFICATION, MlePlan

TREES = {"hist_gb", "lightgbm", "random_forest", "extra_trees"}
BOOSTING = {"hist_gb", "lightgbm"}
LINEAR = {"logistic", "ridge", "trend_linear"}
BOUNDED = {"auc", "accuracy", "macro_f1", "qwk"}

DIRECTIONS = (
    "regularize",
    "capacity",
    "variance",
    "imbalance",
    "target",
    "features",
    "model",
    "speed",
    "tune",
)


def goodness(value: float, higher: bool) -> float:
    return value if higher else -value


def overfit_gap(outcome: Outcome, metric: str, higher: bool) -> float:
    """How much better the training score is than validation, relative to the metric's scale."""
    if outcome.train_score is None or outcome.valid_score is None:
        return 0.0
    gap = goodness(outcome.train_score, higher) - goodness(outcome.valid_score, higher)
    if metric in BOUNDED:
        return gap
    return gap / max(abs(outcome.valid_score), 1e-9)


def diagnose(brief: TaskBrief, plan: MlePlan | None, outcome: Outcome) -> Diagnosis:
    facts, profile = brief.facts, brief.profile
    metric, higher = facts.get("metric", ""), bool(facts.get("higher_is_better", True))
    task_type = facts.get("task_type", "")
    model = plan.model if plan else "unknown"
    gap = overfit_gap(outcome, metric, higher)
    spread = (outcome.valid_std or 0.0) / max(abs(outcome.valid_score or 0.0), 1e-9)
    evidence = [
        f"validation {metric} {outcome.valid_score:.5g} ± {outcome.valid_std or 0:.3g}",
        f"training {metric} {outcome.train_score}" if outcome.train_score is not None else "",
        f"{outcome.seconds:.1f} s",
    ]
    evidence = [e for e in evidence if e]
    valid = outcome.valid_score or 0.0

    def found(
        problem: str, direction: str, gain: float, confidence: float, *more: str
    ) -> Diagnosis:
        return Diagnosis(
            problem=problem,
            evidence=[*evidence, *more],
            direction=direction,
            expected_gain=round(abs(gain), 6),
            confidence=confidence,
        )

    if task_type == "forecast" and plan is not None and not plan.trend_features:
        return found(
            "the model cannot extrapolate a trend beyond the training period",
            "features",
            0.2 * abs(valid),
            0.7,
            "forecast task without trend features",
        )
    if (
        task_type == "ordinal"
        and plan is not None
        and not plan.ordinal_as_regression
        and metric == "qwk"
    ):
        return found(
            "classes are treated as unordered, but the metric rewards near misses",
            "target",
            0.05,
            0.6,
            "ordinal task fitted as plain classification",
        )
    if (
        metric == "macro_f1"
        and profile.get("imbalance_ratio", 1) > 3
        and plan is not None
        and plan.class_weight is None
    ):
        return found(
            "rare classes are neglected, which macro-F1 punishes",
            "imbalance",
            0.05,
            0.7,
            f"imbalance ratio {profile.get('imbalance_ratio'):.1f}",
        )
    if (
        profile.get("target_skew", 0) > 1.5
        and plan is not None
        and not plan.log_target
        and profile.get("target_positive")
        and metric in ("rmse", "mae", "mcrmse")
    ):
        return found(
            "the target is strongly skewed",
            "target",
            0.05 * abs(valid),
            0.5,
            f"target skew {profile.get('target_skew'):.2f}",
        )
    if gap > (0.05 if metric in BOUNDED else 0.25):
        return found(
            "the model overfits: it fits training data far better than held-out data",
            "regularize",
            0.3 * gap * (abs(valid) if metric not in BOUNDED else 1),
            0.7,
            f"train/validation gap {gap:.3f}",
        )
    if model in LINEAR and task_type != "forecast":
        return found(
            "a linear model may be too simple for this data",
            "capacity",
            0.05 * (abs(valid) if metric not in BOUNDED else 1),
            0.5,
            "linear model, small train/validation gap",
        )
    if gap < (0.01 if metric in BOUNDED else 0.05) and model in TREES:
        return found(
            "the model underfits: training and validation scores are close",
            "capacity",
            0.03 * (abs(valid) if metric not in BOUNDED else 1),
            0.5,
            f"train/validation gap {gap:.3f}",
        )
    if spread > 0.05:
        return found(
            "scores vary a lot from fold to fold",
            "variance",
            0.5 * (outcome.valid_std or 0),
            0.5,
            f"relative spread {spread:.3f}",
        )
    if outcome.seconds > 60:
        return found(
            "training is slow for the time budget",
            "speed",
            0.0,
            0.6,
            f"{outcome.seconds:.0f} s per run",
        )
    return found(
        "no single weakness stands out; tune the strongest knobs",
        "tune",
        0.02 * (abs(valid) if metric not in BOUNDED else 1),
        0.4,
    )


def wrong_diagnosis(correct: Diagnosis, pick: int) -> Diagnosis:
    """What a weak reasoner says instead: plausible, confident, pointing the wrong way."""
    opposite = {
        "regularize": "capacity",
        "capacity": "regularize",
        "variance": "capacity",
        "imbalance": "regularize",
        "target": "model",
        "features": "regularize",
        "speed": "capacity",
        "tune": "regularize",
        "model": "regularize",
    }
    direction = opposite.get(correct.direction, DIRECTIONS[pick % len(DIRECTIONS)])
    problem = {
        "regularize": "the model overfits",
        "capacity": "the model underfits",
        "model": "the model family is a poor fit",
    }.get(direction, f"needs {direction}")
    return Diagnosis(
        problem=problem,
        evidence=correct.evidence[:1],
        direction=direction,
        expected_gain=correct.expected_gain or 0.01,
        confidence=0.7,
    )


def changes(direction: str, brief: TaskBrief, plan: MlePlan) -> list[Hypothesis]:
    """Candidate changes for a direction, with their structured edits."""
    task_type = brief.facts.get("task_type", "")
    classification = task_type in CLASSIFICATION
    probability = brief.facts.get("prediction") == "probability"
    m, p = plan.model, plan.params
    out: list[tuple[str, dict[str, Any], float, str]] = []  # change, edit, relative gain, why

    if direction == "regularize":
        if m in BOOSTING:
            key = "min_samples_leaf" if m == "hist_gb" else "min_child_samples"
            out += [
                (
                    "regularize:leaf",
                    {"scale_params": {key: 3}},
                    1.0,
                    "larger leaves smooth the fit",
                ),
                (
                    "regularize:lr",
                    {"scale_params": {"learning_rate": 0.5}},
                    0.8,
                    "smaller steps generalise better",
                ),
                (
                    "regularize:l2",
                    {"params": {"l2_regularization" if m == "hist_gb" else "reg_lambda": 5.0}},
                    0.6,
                    "L2 penalty on leaf values",
                ),
                (
                    "regularize:depth",
                    {"params": {"max_depth": 4} if m == "hist_gb" else {"num_leaves": 15}},
                    0.7,
                    "shallower trees",
                ),
            ]
        elif m in ("random_forest", "extra_trees"):
            out += [
                (
                    "regularize:leaf",
                    {"params": {"min_samples_leaf": max(3, p.get("min_samples_leaf", 1) * 3)}},
                    1.0,
                    "larger leaves",
                ),
                ("regularize:depth", {"params": {"max_depth": 10}}, 0.6, "cap the depth"),
            ]
        elif m == "logistic":
            out += [("regularize:C", {"scale_params": {"C": 0.3}}, 1.0, "stronger L2 penalty")]
        elif m in ("ridge", "trend_linear"):
            out += [
                ("regularize:alpha", {"scale_params": {"alpha": 5}}, 1.0, "stronger L2 penalty")
            ]
        elif m == "knn":
            out += [
                (
                    "regularize:k",
                    {"scale_params": {"n_neighbors": 2}},
                    1.0,
                    "average more neighbours",
                )
            ]
        elif m == "svm":
            out += [("regularize:C", {"scale_params": {"C": 0.3}}, 1.0, "softer margin")]
        out += [("model:hist_gb", {"set_model": "hist_gb"}, 0.3, "a robust default learner")]
    elif direction == "capacity":
        if m in BOOSTING:
            key = "max_iter" if m == "hist_gb" else "n_estimators"
            out += [
                ("capacity:rounds", {"scale_params": {key: 2}}, 1.0, "more boosting rounds"),
                (
                    "capacity:leaves",
                    {"params": {"max_leaf_nodes": 63} if m == "hist_gb" else {"num_leaves": 63}},
                    0.6,
                    "more complex trees",
                ),
            ]
        elif m in ("random_forest", "extra_trees"):
            out += [
                ("capacity:trees", {"scale_params": {"n_estimators": 2}}, 0.5, "more trees"),
                ("model:hist_gb", {"set_model": "hist_gb"}, 1.0, "boosting fits more signal"),
            ]
        elif m in LINEAR:
            out += [
                ("model:hist_gb", {"set_model": "hist_gb"}, 1.0, "trees capture interactions"),
                ("model:lightgbm", {"set_model": "lightgbm"}, 0.9, "gradient boosting"),
            ]
            if m == "logistic":
                out += [("capacity:C", {"scale_params": {"C": 3}}, 0.4, "weaker penalty")]
            else:
                out += [("capacity:alpha", {"scale_params": {"alpha": 0.2}}, 0.4, "weaker penalty")]
        elif m == "knn":
            out += [
                ("capacity:k", {"scale_params": {"n_neighbors": 0.5}}, 0.6, "fewer neighbours"),
                ("model:hist_gb", {"set_model": "hist_gb"}, 1.0, "boosting"),
            ]
        elif m == "svm":
            out += [("capacity:C", {"scale_params": {"C": 3}}, 1.0, "harder margin")]
        else:
            out += [("model:hist_gb", {"set_model": "hist_gb"}, 1.0, "boosting")]
    elif direction == "variance":
        # Not more folds: the folds are the yardstick every change is judged by, and a score
        # from 10 folds (more training data in each) is not comparable with one from 5.
        out += [("variance:ensemble", {"ensemble": True}, 1.0, "average several good models")]
        if m in BOOSTING:
            out += [
                ("regularize:lr", {"scale_params": {"learning_rate": 0.5}}, 0.5, "smaller steps")
            ]
    elif direction == "imbalance":
        out += [("imbalance:balanced", {"class_weight": "balanced"}, 1.0, "weight classes equally")]
    elif direction == "target":
        if task_type == "ordinal":
            out += [
                (
                    "target:ordinal",
                    {
                        "ordinal_as_regression": True,
                        **({"set_model": "hist_gb"} if m not in TREES else {}),
                    },
                    1.0,
                    "regress the class index, round to the nearest class",
                )
            ]
        else:
            out += [("target:log", {"log_target": True}, 1.0, "fit log(1 + y)")]
    elif direction == "features":
        if task_type == "forecast":
            out += [
                (
                    "features:trend",
                    {"trend_features": True, "set_model": "trend_linear"},
                    1.0,
                    "linear trend plus month effects extrapolate",
                )
            ]
        out += [
            ("features:missing", {"missing_indicators": True}, 0.3, "flag missing values"),
            ("features:onehot", {"one_hot_max": 100}, 0.2, "one-hot more categories"),
        ]
    elif direction == "speed":
        key = "max_iter" if m == "hist_gb" else "n_estimators"
        out += [
            (
                "speed:rounds",
                {"scale_params": {key: 0.5}},
                1.0,
                "fewer rounds (the folds stay: they are the yardstick)",
            )
        ]
    elif direction == "model":
        for alternative in (
            "hist_gb",
            "lightgbm",
            "random_forest",
            "logistic" if classification else "ridge",
        ):
            if alternative != m:
                out.append(
                    (f"model:{alternative}", {"set_model": alternative}, 0.6, "another family")
                )
    else:  # tune
        if m in BOOSTING:
            key = "max_iter" if m == "hist_gb" else "n_estimators"
            out += [
                (
                    "tune:slow-and-long",
                    {"scale_params": {"learning_rate": 0.5, key: 2}},
                    1.0,
                    "half the learning rate, twice the rounds",
                ),
                ("variance:ensemble", {"ensemble": True}, 0.8, "average several good models"),
            ]
        else:
            out += [
                ("model:hist_gb", {"set_model": "hist_gb"}, 0.8, "try boosting"),
                ("variance:ensemble", {"ensemble": True}, 0.7, "average several good models"),
            ]
    result = []
    for change, edit, weight, why in out:
        if edit.get("set_model") == m and len(edit) == 1:
            continue  # not a change
        if not _has_effect(edit, brief, plan):
            continue
        if change in {h.change for h in result}:
            continue
        if probability and classification and edit.get("set_model") == "ridge":
            continue
        result.append(
            Hypothesis(
                change=change,
                kind=change.split(":")[0],
                rationale=why,
                edit=edit,
                expected_gain=weight,
                confidence=0.5,
            )
        )
    return result


def undirected(brief: TaskBrief, plan: MlePlan) -> list[Hypothesis]:
    """Changes with no diagnosis behind them: a little of everything."""
    pool: list[Hypothesis] = []
    for direction in DIRECTIONS:
        pool += changes(direction, brief, plan)
    return pool


def _has_effect(edit: dict[str, Any], brief: TaskBrief, plan: MlePlan) -> bool:
    """Whether an edit can change the predictions of this task at all: class weights only touch
    classifiers, a log target only a regressor of a positive target. Such an edit would cost a
    whole run to learn nothing."""
    task_type = brief.facts.get("task_type", "")
    as_regression = plan.ordinal_as_regression or edit.get("ordinal_as_regression")
    classifier = task_type in CLASSIFICATION and not (task_type == "ordinal" and as_regression)
    if edit.get("class_weight") and not classifier:
        return False
    positive_target = task_type not in CLASSIFICATION and bool(brief.profile.get("target_positive"))
    return not edit.get("log_target") or positive_target
