"""Grading one submission of any family into a `GradeResult`.

Three outcomes are kept apart: `ok` (a score), `invalid` (the submission's fault, with a reason
for the agent) and `grader_error` (the task's or harness's fault: never a score, never valid).
"""

from __future__ import annotations

import hashlib
import logging
import math
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal, Protocol

from pydantic import BaseModel

from ascent.errors import GraderError, InvalidSubmission
from ascent.tasks.mle.medals import (
    MedalReport,
    Thresholds,
    load_leaderboard_scores,
    rank,
    thresholds,
)
from ascent.tasks.prepare import PreparedTask, verify_checksums

log = logging.getLogger(__name__)

GradeSplit = Literal["public", "private", "all"]
Status = Literal["ok", "invalid", "grader_error"]


@dataclass
class Scored:
    """What a family grader returns: the score, rows graded, details, and flags."""

    score: float
    n_rows: int
    details: dict = field(default_factory=dict)
    flags: list[str] = field(default_factory=list)


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
    details: dict = {}


class Grader:
    """Grades any number of submissions of one prepared task.

    Answers and medal thresholds are loaded once; the prepared data's checksums are verified at
    construction, so a grader never scores against answers that changed on disk.
    """

    def __init__(self, prepared: PreparedTask) -> None:
        self.prepared = prepared
        self.task = prepared.task
        self._family: _FamilyGrader | None = None
        self._setup_error: GraderError | None = None
        try:
            if verify_checksums(prepared.root) is None:
                raise GraderError(
                    f"the prepared data of '{self.task.id}' changed on disk; prepare it again"
                )
            self._family = family_grader(prepared)
        except GraderError as exc:
            self._setup_error = exc
        except Exception as exc:  # a broken grade.py must not look like a bad submission
            self._setup_error = GraderError(
                f"the grader of '{self.task.id}' failed to load: {type(exc).__name__}: {exc}"
            )
        self._limits = _leaderboard_limits(prepared)

    def grade(self, submission: Path, split: GradeSplit = "private") -> GradeResult:
        started = time.perf_counter()
        base = {
            "task_id": self.task.id,
            "split": split,
            "metric": self.task.spec.metric.name,
            "higher_is_better": self.task.spec.metric.higher_is_better,
            "baseline": self.task.spec.baseline,
        }
        digest: str | None = None
        try:
            if self._setup_error is not None:
                raise self._setup_error
            assert self._family is not None
            directories = getattr(self._family, "accepts_directory", False)
            submission = _regular_file(submission, directories)
            digest = content_digest(submission)
            scored = self._family.score(submission, split)
            if not isinstance(scored, Scored):
                scored = Scored(*scored)
            score, n_rows = scored.score, scored.n_rows
            if not math.isfinite(score):
                raise GraderError(f"the grader of '{self.task.id}' returned {score}, not finite")
        except InvalidSubmission as exc:
            return GradeResult(
                **base,
                status="invalid",
                valid=False,
                error=str(exc),
                sha256=digest,
                seconds=time.perf_counter() - started,
                medals=self._medals(None, split),
            )
        except GraderError as exc:
            log.error("grader error on %s: %s", self.task.id, exc)
            return GradeResult(
                **base,
                status="grader_error",
                valid=False,
                error=str(exc),
                sha256=digest,
                seconds=time.perf_counter() - started,
            )
        except Exception as exc:  # a bug in grade.py: the grader's failure, loudly
            log.exception("grade.py of %s raised", self.task.id)
            return GradeResult(
                **base,
                status="grader_error",
                valid=False,
                sha256=digest,
                error=f"the grader of '{self.task.id}' failed: {type(exc).__name__}: {exc}",
                seconds=time.perf_counter() - started,
            )
        return GradeResult(
            **base,
            status="ok",
            valid=True,
            score=score,
            n_rows=n_rows,
            sha256=digest,
            seconds=time.perf_counter() - started,
            medals=self._medals(score, split),
            details=scored.details,
            flags=scored.flags,
        )

    def _medals(self, score: float | None, split: GradeSplit) -> MedalReport | None:
        """Medals compare private-split scores with a leaderboard scored on the private split."""
        if split != "private" or self._limits is None:
            return None
        return rank(score, self._limits)


def grade(prepared: PreparedTask, submission: Path, split: GradeSplit = "private") -> GradeResult:
    """Grade one submission (loads the answers; use `Grader` to grade many)."""
    return Grader(prepared).grade(submission, split)


class _FamilyGrader(Protocol):
    def score(self, submission: Path, split: str) -> Scored | tuple[float, int]: ...


def family_grader(prepared: PreparedTask) -> _FamilyGrader:
    """The grader of the task's family (and, for RL, of its level)."""
    family = prepared.task.family
    if family == "mle":
        from ascent.tasks.mle.grading import MleGrader

        return MleGrader(prepared)
    if family == "ft":
        from ascent.tasks.ft.grading import FtGrader

        return FtGrader(prepared)
    if family == "rl" and prepared.task.spec.level == 3:
        from ascent.tasks.rl.envs.grading import EnvGrader

        return EnvGrader(prepared)
    if family == "rl":
        from ascent.tasks.rl.grading import rl_grader

        return rl_grader(prepared)
    raise GraderError(f"no grader for family '{family}' yet")


def _leaderboard_limits(prepared: PreparedTask) -> Thresholds | None:
    path = prepared.task.leaderboard_path
    if path is None or not path.is_file():
        return None
    return thresholds(load_leaderboard_scores(path), prepared.task.spec.metric.higher_is_better)


def _regular_file(path: Path, directories: bool = False) -> Path:
    """Only a regular file (or, for model submissions, a folder) is graded: links, FIFOs and
    devices are refused without opening them."""
    if path.is_symlink():
        raise InvalidSubmission(f"the submission {path.name} is a symbolic link; submit the file")
    if not path.exists():
        raise InvalidSubmission(f"the submission {path.name} does not exist")
    if directories and path.is_dir():
        return path
    if not path.is_file():
        raise InvalidSubmission(f"the submission {path.name} is not a regular file")
    return path


def content_digest(path: Path) -> str:
    """Content hash of a file, or of a folder's files (names and bytes, in order)."""
    digest = hashlib.sha256()
    files = [path] if path.is_file() else sorted(p for p in path.rglob("*") if p.is_file())
    for file in files:
        if file != path:
            digest.update(file.relative_to(path).as_posix().encode() + b"\0")
        with file.open("rb") as fh:
            for block in iter(lambda fh=fh: fh.read(1 << 20), b""):
                digest.update(block)
    return digest.hexdigest()
