"""MLE-bench competition folders, used unchanged.

A folder with MLE-bench's `config.yaml`, `description.md`, `prepare.py`, `grade.py` and
`leaderboard.csv` becomes a task: `prepare(raw, public, private)` and `grade(submission, answers)`
run as they are, their `mlebench.*` imports served by a small compatibility layer when MLE-bench
itself is not installed. Raw data is taken from the folder's `raw/` subfolder.
"""

from __future__ import annotations

import logging
from pathlib import Path

import pandas as pd
import yaml

from ascent.errors import TaskSpecError
from ascent.tasks.mle.metrics import HIGHER_IS_BETTER
from ascent.tasks.spec import TaskSpec
from ascent.tasks.task import Task

log = logging.getLogger(__name__)

_KNOWN_DIRECTIONS = {
    **HIGHER_IS_BETTER,
    "accuracy-score": True,
    "auc-roc": True,
    "roc-auc": True,
    "multi-class-log-loss": False,
    "logloss": False,
    "rmsle": False,
    "mean-absolute-error": False,
    "quadratic-weighted-kappa": True,
}


def load_mlebench_dir(root: Path, source: str) -> Task:
    config_path = root / "config.yaml"
    try:
        config = yaml.safe_load(config_path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise TaskSpecError(f"cannot read {config_path}: {exc}") from exc
    if not isinstance(config, dict):
        raise TaskSpecError(f"{config_path} must be a mapping of fields")
    for key in ("id", "name", "grader", "dataset"):
        if key not in config:
            raise TaskSpecError(f"{config_path}: MLE-bench field '{key}' is missing")
    try:
        metric = str(config["grader"]["name"])
        answers = Path(str(config["dataset"]["answers"])).name
    except (TypeError, KeyError) as exc:
        raise TaskSpecError(f"{config_path}: field {exc} is missing in grader/dataset") from exc
    leaderboard = root / "leaderboard.csv"
    spec_data = {
        "id": str(config["id"]),
        "family": "mle",
        "title": str(config["name"]),
        "metric": {
            "name": metric,
            "higher_is_better": _direction(config, metric, leaderboard, config_path),
        },
        "medals": {"leaderboard": "leaderboard.csv"} if leaderboard.is_file() else None,
        "mle": {"task_type": "other", "prediction": "any", "infer_from_sample": True},
        "tags": ["mlebench"],
    }
    try:
        spec = TaskSpec.model_validate(spec_data)
    except ValueError as exc:
        raise TaskSpecError(f"{config_path}: cannot be used as a task: {exc}") from exc
    return Task(spec=spec, root=root, source=source, layout="mlebench", answers_name=answers)


def _direction(config: dict, metric: str, leaderboard: Path, where: Path) -> bool:
    """Declared (`higher_is_better` in config.yaml), else known by metric name, else read off the
    leaderboard's ranking (Kaggle lists the winner first)."""
    declared = config.get("higher_is_better")
    if isinstance(declared, bool):
        return declared
    key = metric.lower().replace("_", "-")
    for name in (metric.lower(), key):
        if name in _KNOWN_DIRECTIONS:
            return _KNOWN_DIRECTIONS[name]
    if leaderboard.is_file():
        scores = pd.to_numeric(pd.read_csv(leaderboard)["score"], errors="coerce").dropna()
        if len(scores) >= 2 and scores.iloc[0] != scores.iloc[-1]:
            higher = bool(scores.iloc[0] > scores.iloc[-1])
            log.info("%s: metric '%s' direction taken from leaderboard order", where, metric)
            return higher
    raise TaskSpecError(
        f"{where}: cannot tell whether metric '{metric}' is better higher or lower",
        hint="add `higher_is_better: true|false` to config.yaml",
    )


def install_compat() -> None:
    from ascent.tasks.mlebench.compat import install

    install()
