"""`ft.yaml`: how a fine-tuning task queries and scores a model."""

from __future__ import annotations

from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from ascent.errors import TaskSpecError
from ascent.tasks.spec import describe_validation_error

TEST_FILE = "test.jsonl"
DEV_FILE = "dev.jsonl"


class FtSpec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    max_new_tokens: int = Field(16, gt=0, le=512, description="Greedy decoding budget per answer.")
    prompt_template: str = Field(description="Format string every dev/test prompt is built from.")
    answer_pattern: str = Field(".+", description="Regex a well-formed answer fully matches.")
    categories: list[str] = Field(default_factory=list)
    eval_batch_size: int = Field(16, gt=0, le=256)
    max_model_mb: int = Field(
        2048, gt=0, description="Submitted model directories above this are refused."
    )


def load_ft_spec(task_root: Path) -> FtSpec:
    path = task_root / "ft.yaml"
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise TaskSpecError(f"fine-tuning task {task_root.name} has no readable ft.yaml") from exc
    except yaml.YAMLError as exc:
        raise TaskSpecError(f"{path} is not valid YAML: {exc}".replace("\n", " ")) from exc
    try:
        return FtSpec.model_validate(raw or {})
    except ValidationError as exc:
        raise TaskSpecError(f"{path}: {describe_validation_error(exc)}") from exc
