"""Running a task's reference solution (`reference.py`) as a separate process.

A reference solution reads only the public data, like an agent would:
`python reference.py --data PUBLIC_DIR --out SUBMISSION_PATH`.
"""

from __future__ import annotations

import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from ascent.errors import TaskSpecError
from ascent.tasks.prepare import PreparedTask


@dataclass(frozen=True)
class ReferenceRun:
    submission: Path
    seconds: float
    output_tail: str


def run_reference(
    prepared: PreparedTask, out_dir: Path, timeout: float | None = None
) -> ReferenceRun:
    script = prepared.task.root / "reference.py"
    if not script.is_file():
        raise TaskSpecError(f"task '{prepared.task.id}' has no reference.py")
    out_dir.mkdir(parents=True, exist_ok=True)
    submission = out_dir / "submission.csv"
    started = time.perf_counter()
    try:
        proc = subprocess.run(
            [sys.executable, str(script), "--data", str(prepared.public), "--out", str(submission)],
            cwd=out_dir,
            capture_output=True,
            text=True,
            timeout=timeout or prepared.task.spec.budget.wall_seconds,
        )
    except subprocess.TimeoutExpired as exc:
        raise TaskSpecError(
            f"reference.py of '{prepared.task.id}' timed out after {exc.timeout}s"
        ) from exc
    tail = (proc.stdout + proc.stderr)[-2000:]
    if proc.returncode != 0 or not submission.is_file():
        raise TaskSpecError(
            f"reference.py of '{prepared.task.id}' failed (exit {proc.returncode}): "
            f"{tail.strip().splitlines()[-1] if tail.strip() else 'no output'}"
        )
    return ReferenceRun(submission, time.perf_counter() - started, tail)
