"""Submission files and their JSON records in the run folder, written atomically.

A record is written as `pending` (and the submission charged) before grading starts, and
rewritten with the result after. After a crash, a pending record with its file is graded on
resume: a submission is either recorded, scored and charged, or absent and not charged.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

from ascent.harness.grading.models import SubmissionEntry

FOLDER = "submissions"


class Ledger:
    def __init__(self, run_dir: Path) -> None:
        self.root = run_dir / FOLDER
        self.root.mkdir(parents=True, exist_ok=True)

    def entries(self) -> list[SubmissionEntry]:
        records = []
        for path in sorted(self.root.glob("s*.json")):
            with contextlib.suppress(ValueError, OSError):
                records.append(SubmissionEntry.model_validate_json(path.read_text()))
        return sorted(records, key=lambda e: e.seq)

    def staging_path(self, token: str) -> Path:
        return self.root / f".staging-{token}"

    def file_path(self, entry: SubmissionEntry) -> Path:
        return self.root / entry.file

    def write(self, entry: SubmissionEntry) -> None:
        target = self.root / f"{entry.submission_id}.json"
        tmp = target.with_suffix(".json.tmp")
        with tmp.open("w") as fh:
            fh.write(entry.model_dump_json(indent=1))
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, target)
        _fsync_dir(self.root)

    def sweep_staging(self) -> None:
        """Drop half-written files of an interrupted submit. Only the owning service may call
        this (a reader sweeping would delete the files of a submit in progress)."""
        for leftover in self.root.glob(".staging-*"):
            with contextlib.suppress(OSError):
                leftover.unlink()
        for leftover in self.root.glob("*.json.tmp"):
            with contextlib.suppress(OSError):
                leftover.unlink()


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
