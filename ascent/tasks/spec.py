"""The task contract: `task.yaml`, validated.

A task is a folder holding `task.yaml` (this schema), `description.md` (what the agent reads),
`prepare.py` (raw data -> `public/` and `private/`) and `grade.py` (`grade(submission, answers)`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from ascent.errors import TaskSpecError

Family = Literal["mle", "ft", "rl"]
Split = Literal["public", "private"]
SPLITS: tuple[Split, ...] = ("public", "private")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Metric(_Strict):
    name: str = Field(description="Metric name, e.g. auc, log_loss, rmse, qwk.")
    higher_is_better: bool = Field(description="Direction, declared: never guessed.")


class Budget(_Strict):
    wall_seconds: int = Field(900, gt=0, description="Wall-clock budget of a run.")
    max_submissions: int = Field(20, gt=0, description="Submissions the agent may make.")
    memory_mb: int = Field(4096, gt=0, description="Memory limit of the agent's processes.")
    cpus: int = Field(2, gt=0, description="CPU cores the agent may use.")


class MleSpec(_Strict):
    """How an MLE competition's files and submissions look."""

    task_type: Literal[
        "binary", "multiclass", "regression", "ordinal", "multitarget", "forecast", "image", "other"
    ]
    id_column: str = Field("", description="Id column of test.csv and of submissions.")
    target_columns: list[str] = Field(
        default_factory=list, description="Label columns of train.csv."
    )
    submission_columns: list[str] = Field(
        default_factory=list, description="Columns of a submission besides the id column."
    )
    prediction: Literal["probability", "label", "number", "any"]
    infer_from_sample: bool = Field(
        False,
        description="Take id and submission columns from sample_submission.csv once prepared "
        "(imported MLE-bench competitions).",
    )
    classes: list[str] | None = Field(None, description="Class labels, for classification.")
    max_submission_mb: float = Field(50.0, gt=0, description="Uploads above this are refused.")

    @model_validator(mode="after")
    def _classes_when_needed(self) -> MleSpec:
        if not self.infer_from_sample and not (self.id_column and self.submission_columns):
            raise ValueError("id_column and submission_columns are required")
        classification = self.task_type in ("binary", "multiclass", "image")
        if self.prediction == "label" and classification and not self.classes:
            raise ValueError("classes is required when prediction is 'label'")
        if self.id_column in self.submission_columns:
            raise ValueError("submission_columns must not repeat id_column")
        return self


class Medals(_Strict):
    leaderboard: str = Field(
        "leaderboard.csv", description="Leaderboard file in the task folder, scored on private."
    )


class TaskSpec(_Strict):
    id: str = Field(pattern=r"^[a-z0-9][a-z0-9._-]*$", max_length=80)
    family: Family
    title: str
    version: int = Field(1, ge=1, description="Bump when prepared data changes.")
    level: int | None = Field(None, ge=1, le=3, description="RL level (1 rule, 2 judge, 3 online).")
    metric: Metric
    budget: Budget = Budget()
    feedback: Literal["score", "format"] = Field(
        "score", description="score: the public split's score is shown; format: validity only."
    )
    public_fraction: float = Field(
        0.5, gt=0, lt=1, description="Share of test rows on the public leaderboard."
    )
    seed: int = Field(0, description="Seed of data preparation and of the public/private split.")
    base_model: str | None = None
    medals: Medals | None = None
    baseline: float | None = Field(None, description="Score of the untuned / trivial baseline.")
    mle: MleSpec | None = None
    tags: list[str] = Field(default_factory=list)

    @model_validator(mode="after")
    def _family_sections(self) -> TaskSpec:
        if self.family == "mle" and self.mle is None:
            raise ValueError("family 'mle' needs an 'mle' section")
        if self.family == "rl" and self.level is None:
            raise ValueError("family 'rl' needs a 'level' (1, 2 or 3)")
        return self


def load_spec(path: Path) -> TaskSpec:
    """Read and validate a task.yaml; errors name the file and the offending field."""
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise TaskSpecError(f"cannot read {path}: {exc.strerror}") from exc
    except yaml.YAMLError as exc:
        raise TaskSpecError(f"{path} is not valid YAML: {exc}".replace("\n", " ")) from exc
    if not isinstance(raw, dict):
        raise TaskSpecError(f"{path} must be a mapping of fields, got {type(raw).__name__}")
    try:
        return TaskSpec.model_validate(raw)
    except ValidationError as exc:
        raise TaskSpecError(f"{path}: {describe_validation_error(exc)}") from exc


def describe_validation_error(exc: ValidationError) -> str:
    """One line per problem: `field 'a.b': message`."""
    parts = []
    for err in exc.errors():
        where = ".".join(str(p) for p in err["loc"]) or "(top level)"
        parts.append(f"field '{where}': {err['msg']}")
    return "; ".join(parts)
