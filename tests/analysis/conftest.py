"""Recorded runs (committed under tests/fixtures/runs) and synthetic runs for analysis tests.

The committed runs were recorded by the real harness on penguin-species (log loss, lower is
better): `example` (the bundled agent), `stepper` (tests/analysis/agents/stepper: a traceback,
an invalid submission, a diverging loss, a duplicate, two refused requests), `idler` (computes
until the 12 s deadline without submitting) and `sleepy` (tests/fixtures/agents/sleepy, killed
with kill -9 after its first submission and resumed).
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from ascent.analysis.loader import TaskFacts
from ascent.analysis.schema import MetricInfo
from ascent.harness.grading.models import SubmissionEntry
from ascent.harness.runstate import FinalResult, RunOptions, RunState, Segment
from ascent.harness.sandbox import Limits
from tests.conftest import FIXTURES

RUNS = FIXTURES / "runs"
EXAMPLE = "penguin-species.example.20261128-200441.a94a"
STEPPER = "penguin-species.stepper.20261128-200657.04dd"
IDLER = "penguin-species.idler.20261128-200735.ca4d"
SLEEPY = "penguin-species.sleepy.20261128-200752.f0f3"
ALL_RUNS = (EXAMPLE, STEPPER, IDLER, SLEEPY)
PENGUIN = TaskFacts(MetricInfo(name="log_loss", higher_is_better=False), "mle")


def copy_run(name: str, runs_root: Path) -> Path:
    """A writable copy of a committed run (reports get written into run folders)."""
    target = runs_root / name
    shutil.copytree(RUNS / name, target)
    return target


@pytest.fixture
def recorded(tmp_path):
    def get(name: str) -> Path:
        return copy_run(name, tmp_path / "runs")

    return get


def write_run(
    run_dir: Path,
    events: list[dict],
    entries: list[dict] = (),
    log: str = "",
    status: str = "finished",
    end_reason: str | None = "agent_exit",
    final: dict | None = None,
    budget: float = 100.0,
    max_submissions: int = 10,
    task_id: str = "penguin-species",
) -> Path:
    """A synthetic run folder in the harness's own formats (events get seq numbers here)."""
    run_dir.mkdir(parents=True)
    starts = sum(1 for e in events if e["kind"] == "run_start")
    state = RunState(
        run_id=run_dir.name,
        options=RunOptions(task_id=task_id, agent="synthetic"),
        created_at="2026-01-01T00:00:00+00:00",
        status=status,
        sandbox="process",
        budget_seconds=budget,
        max_submissions=max_submissions,
        limits=Limits(memory_mb=512),
        token="secret-token-never-shown",
        segments=[
            Segment(started_at="2026-01-01T00:00:00+00:00", resumed=i > 0) for i in range(starts)
        ],
        end_reason=end_reason,
        final=FinalResult(**final) if final else None,
    )
    state.save(run_dir)
    with (run_dir / "events.jsonl").open("w") as fh:
        for seq, event in enumerate(events, start=1):
            fh.write(json.dumps({"seq": seq, **event}) + "\n")
    (run_dir / "submissions").mkdir()
    for entry in entries:
        record = SubmissionEntry(
            created_at="2026-01-01T00:00:00+00:00",
            sha256="0" * 64,
            file="x.csv",
            source="x",
            **entry,
        )
        (run_dir / "submissions" / f"{record.submission_id}.json").write_text(
            record.model_dump_json()
        )
    (run_dir / "agent.log").write_text(log)
    return run_dir


def start(ts: float = 1000.0, resumed: bool = False) -> dict:
    return {
        "ts": ts,
        "kind": "run_start",
        "run_id": "r",
        "task_id": "penguin-species",
        "agent": "synthetic",
        "sandbox": "process",
        "budget_seconds": 100.0,
        "max_submissions": 10,
        "resumed": resumed,
    }


def submission(ts: float, sid: str, status: str, score: float | None, **extra) -> dict:
    return {
        "ts": ts,
        "kind": "submission",
        "submission_id": sid,
        "status": status,
        "valid": status == "ok",
        "score": score,
        **extra,
    }


def end(ts: float, reason: str = "agent_exit") -> dict:
    return {"ts": ts, "kind": "run_end", "reason": reason, "status": "finished", "elapsed": 0.0}
