"""What crosses the grading API, and the submission ledger kept in the run folder."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

SubmissionStatus = Literal["pending", "ok", "invalid", "grader_error"]


class SubmitRequest(BaseModel):
    path: str = Field(description="A file inside the workspace (absolute, or relative to it).")
    final: bool = Field(False, description="Choose this submission as the final one.")
    wait: bool = Field(True, description="False: answer at once (pending); poll for the result.")


class SelectRequest(BaseModel):
    submission_id: str


class Remaining(BaseModel):
    seconds: float
    submissions: int


class SubmitResponse(BaseModel):
    submission_id: str | None
    status: SubmissionStatus | Literal["refused"]
    valid: bool
    score: float | None = None
    split: str = "public"
    best_score: float | None = None
    baseline_score: float | None = None
    improvement: float | None = None
    remaining: Remaining
    error: str | None = None
    duplicate_of: str | None = None
    final: bool = False
    details: dict = Field(default_factory=dict)
    flags: list[str] = Field(default_factory=list)


class StatusResponse(BaseModel):
    task_id: str
    elapsed_seconds: float
    remaining: Remaining
    submissions_used: int
    max_submissions: int
    best_score: float | None
    best_submission_id: str | None
    final_submission_id: str | None
    feedback: str
    metric: str
    higher_is_better: bool
    deadline_unix: float


class SubmissionEntry(BaseModel):
    """One submission, as kept in `submissions/<id>.json` (written before grading starts)."""

    version: int = 1
    submission_id: str
    seq: int
    created_at: str
    sha256: str
    file: str
    source: str
    status: SubmissionStatus
    charged: bool = True
    score: float | None = None
    split: str = "public"
    error: str | None = None
    final: bool = False
    duplicate_of: str | None = None
    details: dict = Field(default_factory=dict, description="Family details, e.g. per category.")
    flags: list[str] = Field(default_factory=list, description="e.g. copy_model.")
