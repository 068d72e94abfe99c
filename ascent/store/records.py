"""Typed rows of the SQLite index."""

from __future__ import annotations

from pydantic import BaseModel, Field


class PreparedTaskRecord(BaseModel):
    task_id: str
    fingerprint: str
    family: str
    path: str
    checksum: str
    prepared_at: str
    seconds: float | None = None


class RunRecord(BaseModel):
    run_id: str
    task_id: str
    family: str
    agent: str
    driver: str | None = None
    model: str | None = None
    seed: int | None = None
    status: str
    created_at: str
    ended_at: str | None = None
    path: str
    sweep_id: str | None = None
    config: dict = Field(default_factory=dict)
    final_score: float | None = None
    final_split: str | None = None
    medal: str | None = None
    end_reason: str | None = None


class SubmissionRecord(BaseModel):
    run_id: str
    submission_id: str
    seq: int
    created_at: str
    sha256: str
    path: str
    status: str
    score: float | None = None
    split: str | None = None
    error: str | None = None


class EventRecord(BaseModel):
    run_id: str
    seq: int
    ts: float
    kind: str
    payload: dict
