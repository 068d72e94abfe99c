"""`judge.yaml`: how the agent of a level-2 task may query its judge through the grading API."""

from __future__ import annotations

from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from ascent.errors import TaskSpecError
from ascent.tasks.spec import describe_validation_error

JUDGE_SPEC_FILE = "judge.yaml"


class JudgeSpec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    queries: int = Field(gt=0, description="Verdicts the agent may ask for in one run.")
    max_batch: int = Field(64, gt=0, le=1024, description="Replies judged in one request.")
    max_reply_chars: int = Field(8000, gt=0, description="Longer replies are refused.")
    splits: list[str] = Field(
        default_factory=lambda: ["train", "dev"],
        description="Public files (<split>.jsonl, rows with id, prompt, reference) the judge answers on.",
    )


def load_judge_spec(task_root: Path) -> JudgeSpec | None:
    """The task's judge settings, or None when it offers no judge."""
    path = task_root / JUDGE_SPEC_FILE
    if not path.is_file():
        return None
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
        return JudgeSpec.model_validate(raw or {})
    except yaml.YAMLError as exc:
        raise TaskSpecError(f"{path} is not valid YAML: {exc}".replace("\n", " ")) from exc
    except ValidationError as exc:
        raise TaskSpecError(f"{path}: {describe_validation_error(exc)}") from exc
