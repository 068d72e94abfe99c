"""What a run is (options) and where it stands (state), persisted as `run.json` in its folder."""

from __future__ import annotations

import os
import secrets
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, Field

from ascent.errors import AscentError
from ascent.harness.sandbox import Limits, SandboxKind

RunStatus = Literal["created", "running", "finished", "failed", "interrupted", "sandbox_error"]
STATE_FILE = "run.json"


class RunOptions(BaseModel):
    task_id: str
    agent: str
    seed: int = 0
    budget_seconds: float | None = Field(None, gt=0, description="Default: the task's budget.")
    max_submissions: int | None = Field(None, gt=0, description="Default: the task's budget.")
    sandbox: SandboxKind = "auto"
    limits: Limits | None = Field(
        None, description="Default: memory and CPUs of the task's budget."
    )
    base_model: str | None = Field(None, description="ft/rl: another base model than the task's.")
    driver: str | None = None
    model: str | None = None
    agent_options: dict[str, Any] = Field(default_factory=dict)
    driver_options: dict[str, Any] = Field(default_factory=dict)
    sweep_id: str | None = None
    agent_dirs: list[str] = Field(default_factory=list)
    task_dirs: list[str] = Field(default_factory=list)


class Segment(BaseModel):
    started_at: str
    resumed: bool


class FinalResult(BaseModel):
    submission_id: str | None
    split: str = "private"
    valid: bool
    score: float | None = None
    medal: str | None = None
    any_medal: bool = False
    above_median: bool = False
    error: str | None = None


class RunState(BaseModel):
    version: int = 1
    run_id: str
    options: RunOptions
    created_at: str
    status: RunStatus = "created"
    sandbox: str = ""
    isolated: bool = False
    budget_seconds: float
    max_submissions: int
    limits: Limits
    token: str
    segments: list[Segment] = Field(default_factory=list)
    end_reason: str | None = None
    final: FinalResult | None = None

    def save(self, run_dir: Path) -> None:
        tmp = run_dir / (STATE_FILE + ".tmp")
        tmp.write_text(self.model_dump_json(indent=1))
        os.replace(tmp, run_dir / STATE_FILE)


def load_state(run_dir: Path) -> RunState:
    path = run_dir / STATE_FILE
    if not path.is_file():
        raise AscentError(f"{run_dir} is not a run folder (no {STATE_FILE})")
    return RunState.model_validate_json(path.read_text())


def new_run_id(task_id: str, agent: str) -> str:
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    return f"{task_id}.{agent}.{stamp}.{secrets.token_hex(2)}"


def new_token() -> str:
    return secrets.token_urlsafe(32)


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")
