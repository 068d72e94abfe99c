"""Grading one submission of any family into a `GradeResult`.

Three outcomes are kept apart: `ok` (a score), `invalid` (the submission's fault, with a reason
for the agent) and `grader_error` (the task's or harness's fault: never a score, never valid).
"""

from __future__ import annotations

import hashlib
import logging
import math
import time
from pathlib import Path
from typing import Literal

from pydantic import BaseModel

from ascent.errors import GraderError, InvalidSubmission
from ascent.tasks.mle.medals import MedalReport, load_leaderboard_scores, rank, thresholds
from ascent.tasks.prepare import PreparedTask, verify_checksums

log = logging.getLogger(__name__)

GradeSplit = Literal["public", "private", "all"]
Status = Literal["ok", "invalid", "grader_error"]


class GradeResult(BaseModel):
    version: int = 1
    task_id: str
    split: GradeSplit
    status: Status
    valid: bool
    score: float | None = None
    error: str | None = None
    metric: str
    higher_is_better: bool
    n_rows: int | None = None
    sha256: str | None = None
    seconds: float = 0.0
    baseline: float | None = None
    medals: MedalReport | None = None
    flags: list[str] = []


def grade(prepared: PreparedTask, submission: Path, split: GradeSplit = "private") -> GradeResult:
    task = prepared.task
    started = time.perf_counter()
    base = {
        "task_id": task.id,
        "split": split,
        "metric": task.spec.metric.name,
        "higher_is_better": task.spec.metric.higher_is_better,
        "baseline": task.spec.baseline,
    }
    score: float | None = None
    n_rows: int | None = None
    digest: str | None = None
    try:
        submission = _regular_file(submission)
        digest = _sha256(submission)
        if verify_checksums(prepared.root) is None:
            raise GraderError(f"the prepared data of '{task.id}' changed on disk; prepare it again")
        score, n_rows = _grade_family(prepared, submission, split)
        if not math.isfinite(score):
            raise GraderError(f"the grader of '{task.id}' returned {score}, not a finite number")
    except InvalidSubmission as exc:
        return GradeResult(
            **base, status="invalid", valid=False, error=str(exc), sha256=digest,
            seconds=time.perf_counter() - started, medals=_medals(prepared, None, split),
        )
    except GraderError as exc:
        log.error("grader error on %s: %s", task.id, exc)
        return GradeResult(
            **base, status="grader_error", valid=False, error=str(exc), sha256=digest,
            seconds=time.perf_counter() - started,
        )
    except Exception as exc:  # a bug in grade.py: reported as the grader's failure, loudly
        log.exception("grade.py of %s raised", task.id)
        return GradeResult(
            **base, status="grader_error", valid=False, sha256=digest,
            error=f"the grader of '{task.id}' failed: {type(exc).__name__}: {exc}",
            seconds=time.perf_counter() - started,
        )
    return GradeResult(
        **base, status="ok", valid=True, score=score, n_rows=n_rows, sha256=digest,
        seconds=time.perf_counter() - started, medals=_medals(prepared, score, split),
    )


def _grade_family(prepared: PreparedTask, submission: Path, split: GradeSplit) -> tuple[float, int]:
    family = prepared.task.family
    if family == "mle":
        from ascent.tasks.mle.grading import grade_mle

        return grade_mle(prepared, submission, split)
    raise GraderError(f"no grader for family '{family}' yet")


def _medals(prepared: PreparedTask, score: float | None, split: GradeSplit) -> MedalReport | None:
    """Medals compare private-split scores with a leaderboard scored on the private split."""
    path = prepared.task.leaderboard_path
    if split != "private" or path is None or not path.is_file():
        return None
    limits = thresholds(load_leaderboard_scores(path), prepared.task.spec.metric.higher_is_better)
    return rank(score, limits)


def _regular_file(path: Path) -> Path:
    """Only a regular file is graded: links, FIFOs and devices are refused without opening."""
    if path.is_symlink():
        raise InvalidSubmission(f"the submission {path.name} is a symbolic link; submit the file")
    if not path.exists():
        raise InvalidSubmission(f"the submission {path.name} does not exist")
    if not path.is_file():
        raise InvalidSubmission(f"the submission {path.name} is not a regular file")
    return path


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
