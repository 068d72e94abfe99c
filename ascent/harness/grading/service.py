"""The rules of submitting, independent of HTTP.

Order of a submission: refuse after the deadline; copy the named file out of the workspace
(confined, size-capped, content hashed: later edits change nothing); identical content already
graded is answered from the ledger, uncharged; otherwise reserve one submission atomically, write
the pending record, grade on the public split (one grading at a time), record the result.
The private split is graded only by `final_grade`, after the run.
"""

from __future__ import annotations

import hashlib
import logging
import os
import shutil
import stat
import threading
import time
import uuid
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from ascent.errors import InvalidSubmission
from ascent.harness.budget import Budget
from ascent.harness.confine import copy_tree_confined, open_confined
from ascent.harness.grading.ledger import Ledger
from ascent.harness.grading.models import (
    Remaining,
    StatusResponse,
    SubmissionEntry,
    SubmitResponse,
)
from ascent.record import events as ev
from ascent.record.recorder import Recorder
from ascent.store import Store
from ascent.store.records import SubmissionRecord
from ascent.tasks.grading import Grader, GradeResult, content_digest
from ascent.tasks.task import Task

log = logging.getLogger(__name__)

CHUNK = 1 << 20


class Refused(Exception):
    """A request the rules refuse; `status_code` is what HTTP answers."""

    def __init__(self, status_code: int, reason: str) -> None:
        super().__init__(reason)
        self.status_code = status_code
        self.reason = reason


@dataclass
class ServiceConfig:
    run_id: str
    run_dir: Path
    workspace: Path
    inside_root: str
    max_bytes: int = 50 * 1024 * 1024


class GradingService:
    def __init__(
        self,
        config: ServiceConfig,
        task: Task,
        grader: Grader,
        budget: Budget,
        recorder: Recorder,
        store: Store | None = None,
    ) -> None:
        self.config = config
        self.task = task
        self.grader = grader
        self.budget = budget
        self.recorder = recorder
        self.store = store
        self.ledger = Ledger(config.run_dir)
        self.ledger.sweep_staging()
        self._state = threading.Lock()
        self._grading = threading.Lock()
        self._entries: dict[str, SubmissionEntry] = {
            e.submission_id: e for e in self.ledger.entries()
        }
        self._inflight: dict[str, Future[SubmitResponse]] = {}
        self.closed = False

    # -- public API ----------------------------------------------------------------------------
    def submit_path(self, user_path: str, final: bool = False, wait: bool = True) -> SubmitResponse:
        """Grade a file (or, for model tasks, a folder) inside the workspace. With `wait=False`
        the answer comes at once with status `pending`; poll the submission for the result."""
        self._check_open()
        directories = self.task.family in ("ft", "rl")
        try:
            fd = open_confined(
                self.config.workspace,
                user_path,
                self.config.inside_root,
                allow_directory=directories,
            )
            if stat.S_ISDIR(os.fstat(fd).st_mode):
                staged, digest = self._stage_dir(fd)
            else:
                with os.fdopen(fd, "rb") as fh:
                    staged, digest = self._stage(fh.read, suffix=Path(user_path).suffix)
        except InvalidSubmission as exc:
            self._refusal("submit", str(exc), 400)
            raise Refused(400, str(exc)) from None
        return self._submit(staged, digest, source=user_path, final=final, wait=wait)

    def _stage_dir(self, fd: int) -> tuple[Path, str]:
        staged = self.ledger.staging_path(uuid.uuid4().hex)
        try:
            copy_tree_confined(fd, staged, self.config.max_bytes)
        except InvalidSubmission:
            shutil.rmtree(staged, ignore_errors=True)
            raise
        finally:
            os.close(fd)
        return staged, content_digest(staged)

    def submit_bytes(self, chunks, name: str = "upload", final: bool = False) -> SubmitResponse:
        """`chunks`: a callable returning the next block of bytes (b"" at the end)."""
        self._check_open()
        staged, digest = self._stage(chunks, suffix=Path(name).suffix)
        return self._submit(staged, digest, source=f"upload:{name}", final=final)

    def select(self, submission_id: str) -> SubmissionEntry:
        with self._state:
            entry = self._entries.get(submission_id)
            if entry is None:
                raise Refused(404, f"no submission {submission_id}")
            if entry.status != "ok":
                raise Refused(400, f"submission {submission_id} is not valid; choose a valid one")
            for other in self._entries.values():
                if other.final and other.submission_id != submission_id:
                    self._save(other.model_copy(update={"final": False}))
            chosen = entry.model_copy(update={"final": True})
            self._save(chosen)
            return chosen

    def status(self) -> StatusResponse:
        best = self.best()
        final = next((e for e in self._entries.values() if e.final), None)
        return StatusResponse(
            task_id=self.task.id,
            elapsed_seconds=round(self.budget.elapsed(), 3),
            remaining=self._remaining(),
            submissions_used=self.budget.submissions_used,
            max_submissions=self.budget.max_submissions,
            best_score=self._visible(best.score) if best else None,
            best_submission_id=best.submission_id if best else None,
            final_submission_id=final.submission_id if final else None,
            feedback=self.task.spec.feedback,
            metric=self.task.spec.metric.name,
            higher_is_better=self.task.spec.metric.higher_is_better,
            deadline_unix=self.budget.deadline_unix(),
        )

    def entries(self) -> list[SubmissionEntry]:
        return sorted(self._entries.values(), key=lambda e: e.seq)

    def visible_entry(self, entry: SubmissionEntry) -> SubmissionEntry:
        """What the agent may see of a record: no score under `feedback: format`."""
        hidden = self.task.spec.feedback != "score"
        return entry.model_copy(
            update={"score": self._visible(entry.score), "details": {} if hidden else entry.details}
        )

    def best(self) -> SubmissionEntry | None:
        valid = [e for e in self._entries.values() if e.status == "ok" and e.score is not None]
        if not valid:
            return None
        sign = 1 if self.task.spec.metric.higher_is_better else -1
        return max(valid, key=lambda e: (sign * e.score, -e.seq))  # type: ignore[operator]

    def chosen(self) -> SubmissionEntry | None:
        """The agent's choice, else the best on the public split."""
        final = next((e for e in self._entries.values() if e.final and e.status == "ok"), None)
        return final or self.best()

    def regrade_pending(self) -> int:
        """After a crash: grade every charged submission whose result was not recorded."""
        pending = [e for e in self.entries() if e.status == "pending"]
        for entry in pending:
            self._grade(entry)
        return len(pending)

    def settle(self, timeout: float) -> int:
        """At the end of a run: a submission made before the deadline is graded even when its
        grading outlasts the run. Waits up to `timeout` seconds for gradings still going, then
        grades what is left pending; returns how many submissions were still ungraded."""
        with self._state:
            inflight = dict(self._inflight)
        unsettled = len(inflight)
        deadline = time.monotonic() + timeout
        for digest, future in inflight.items():
            try:
                future.result(timeout=max(0.0, deadline - time.monotonic()))
            except FutureTimeout:
                log.warning("grading of a submission (%s) outlasted the wait", digest[:12])
            except Exception:  # recorded by the grading thread as the submission's result
                pass
        with self._state:
            still = set(self._inflight)
        pending = [e for e in self.entries() if e.status == "pending" and e.sha256 not in still]
        for entry in pending:
            self._grade(entry)
        return unsettled + len(pending)

    def close(self) -> None:
        self.closed = True

    # -- internals -----------------------------------------------------------------------------
    def _check_open(self) -> None:
        if self.closed or self.budget.expired():
            reason = "the run's deadline has passed; no more submissions are accepted"
            self._refusal("submit", reason, 403)
            raise Refused(403, reason)

    def _stage(self, read, suffix: str) -> tuple[Path, str]:
        staged = self.ledger.staging_path(uuid.uuid4().hex)
        digest = hashlib.sha256()
        size = 0
        with staged.open("wb") as out:
            while block := read(CHUNK):
                size += len(block)
                if size > self.config.max_bytes:
                    out.close()
                    staged.unlink(missing_ok=True)
                    reason = (
                        f"the submission is over the size limit of "
                        f"{self.config.max_bytes // 2**20} MB"
                    )
                    self._refusal("submit", reason, 413)
                    raise Refused(413, reason)
                digest.update(block)
                out.write(block)
        final = staged.with_name(
            staged.name + (suffix if suffix.isascii() and len(suffix) <= 10 else "")
        )
        staged.rename(final)
        return final, digest.hexdigest()

    def _submit(
        self, staged: Path, digest: str, source: str, final: bool, wait: bool = True
    ) -> SubmitResponse:
        with self._state:
            earlier = next(
                (e for e in self.entries() if e.sha256 == digest and e.status != "pending"), None
            )
            waiting = self._inflight.get(digest)
            if earlier is None and waiting is None:
                if not self.budget.reserve_submission():
                    _remove(staged)
                    reason = f"no submissions left (the limit is {self.budget.max_submissions})"
                    self._refusal("submit", reason, 429)
                    raise Refused(429, reason)
                entry = self._new_entry(staged, digest, source)
                future: Future[SubmitResponse] = Future()
                self._inflight[digest] = future
        if earlier is not None or waiting is not None:
            _remove(staged)
            if waiting is not None:
                response = waiting.result()
                earlier = self._entries[response.submission_id]  # type: ignore[index]
            assert earlier is not None
            return self._duplicate(earlier)
        if not wait:
            threading.Thread(
                target=self._finish_grading,
                args=(entry, digest, final, future),
                name=f"grading-{entry.submission_id}",
                daemon=True,
            ).start()
            return self._response(entry)
        return self._finish_grading(entry, digest, final, future)

    def _finish_grading(
        self, entry: SubmissionEntry, digest: str, final: bool, future: Future[SubmitResponse]
    ) -> SubmitResponse:
        try:
            graded = self._grade(entry)
            if final and graded.status == "ok":
                graded = self.select(graded.submission_id)
            response = self._response(graded)
            future.set_result(response)
            return response
        except BaseException as exc:
            future.set_exception(exc)
            raise
        finally:
            with self._state:
                self._inflight.pop(digest, None)

    def _new_entry(self, staged: Path, digest: str, source: str) -> SubmissionEntry:
        seq = max((e.seq for e in self._entries.values()), default=0) + 1
        submission_id = f"s{seq:04d}"
        stored = staged.with_name(submission_id + ("" if staged.is_dir() else staged.suffix))
        staged.rename(stored)
        entry = SubmissionEntry(
            submission_id=submission_id,
            seq=seq,
            created_at=datetime.now(UTC).isoformat(timespec="milliseconds"),
            sha256=digest,
            file=stored.name,
            source=source[:500],
            status="pending",
        )
        self._save(entry)
        return entry

    def _grade(self, entry: SubmissionEntry) -> SubmissionEntry:
        with self._grading:
            result: GradeResult = self.grader.grade(self.ledger.file_path(entry), "public")
        graded = entry.model_copy(
            update={
                "status": result.status,
                "score": result.score,
                "error": result.error,
                "details": result.details,
                "flags": result.flags,
            }
        )
        with self._state:
            self._save(graded)
        self.recorder.emit(
            ev.Submission(
                submission_id=graded.submission_id,
                status=graded.status,
                valid=result.valid,
                score=graded.score,
                split="public",
                sha256=graded.sha256,
                error=graded.error,
            )
        )
        return graded

    def _duplicate(self, earlier: SubmissionEntry) -> SubmitResponse:
        self.recorder.emit(
            ev.Submission(
                submission_id=earlier.submission_id,
                status=earlier.status,
                valid=earlier.status == "ok",
                score=earlier.score,
                sha256=earlier.sha256,
                error=earlier.error,
                charged=False,
                duplicate_of=earlier.submission_id,
            )
        )
        response = self._response(earlier)
        return response.model_copy(update={"duplicate_of": earlier.submission_id})

    def _response(self, entry: SubmissionEntry) -> SubmitResponse:
        best = self.best()
        baseline = self.task.spec.baseline
        improvement = None
        if best is not None and best.score is not None and baseline is not None:
            sign = 1 if self.task.spec.metric.higher_is_better else -1
            improvement = sign * (best.score - baseline)
        return SubmitResponse(
            submission_id=entry.submission_id,
            status=entry.status,
            valid=entry.status == "ok",
            score=self._visible(entry.score),
            best_score=self._visible(best.score) if best else None,
            baseline_score=self._visible(baseline),
            improvement=self._visible(improvement),
            remaining=self._remaining(),
            error=entry.error,
            final=entry.final,
            details=entry.details if self.task.spec.feedback == "score" else {},
            flags=entry.flags,
        )

    def _visible(self, score: float | None) -> float | None:
        return score if self.task.spec.feedback == "score" else None

    def _remaining(self) -> Remaining:
        return Remaining(
            seconds=round(self.budget.remaining_seconds(), 3),
            submissions=self.budget.remaining_submissions(),
        )

    def _save(self, entry: SubmissionEntry) -> None:
        self.ledger.write(entry)
        self._entries[entry.submission_id] = entry
        if self.store is not None:
            self.store.upsert_submission(
                SubmissionRecord(
                    run_id=self.config.run_id,
                    submission_id=entry.submission_id,
                    seq=entry.seq,
                    created_at=entry.created_at,
                    sha256=entry.sha256,
                    path=entry.file,
                    status=entry.status,
                    score=entry.score,
                    split=entry.split,
                    error=entry.error,
                )
            )

    def _refusal(self, what: str, reason: str, status_code: int) -> None:
        self.recorder.emit(ev.Refusal(what=what, reason=reason, status_code=status_code))


def _remove(path: Path) -> None:
    if path.is_dir():
        shutil.rmtree(path, ignore_errors=True)
    else:
        path.unlink(missing_ok=True)
