"""Preparing a task once: raw data -> `public/` + `private/`, cached, checksummed, atomic.

Prepared data lives in `$ASCENT_HOME/tasks/<id>/<fingerprint>/`. It is written into a temporary
folder and renamed into place only when complete, so a crash never leaves half a task behind;
preparing again is a no-op once the checksums verify.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import inspect
import json
import logging
import shutil
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd

from ascent.config import Paths
from ascent.errors import AscentError, TaskPrepareError
from ascent.store import Store
from ascent.store.records import PreparedTaskRecord
from ascent.tasks.spec import MleSpec
from ascent.tasks.task import Task

log = logging.getLogger(__name__)

CHECKSUMS = "checksums.json"
SPLIT_FILE = "leaderboard_split.csv"


@dataclass(frozen=True)
class PreparedTask:
    task: Task
    root: Path
    checksum: str

    @property
    def public(self) -> Path:
        return self.root / "public"

    @property
    def private(self) -> Path:
        return self.root / "private"

    @property
    def split_file(self) -> Path:
        return self.private / SPLIT_FILE

    @property
    def mle_spec(self) -> MleSpec:
        return resolve_mle_spec(self.task, self.public)


def resolve_mle_spec(task: Task, public: Path) -> MleSpec:
    """The task's MLE spec; imported competitions take their columns from the sample submission."""
    spec = task.spec.mle
    if spec is None:
        raise TaskPrepareError(f"task '{task.id}' is not an MLE task")
    if not spec.infer_from_sample:
        return spec
    sample = public / "sample_submission.csv"
    try:
        header = list(pd.read_csv(sample, nrows=0).columns)
    except (OSError, ValueError) as exc:
        raise TaskPrepareError(f"task '{task.id}' has no readable sample_submission.csv") from exc
    if len(header) < 2:
        raise TaskPrepareError(f"sample_submission.csv of '{task.id}' needs an id and a target")
    return spec.model_copy(update={"id_column": header[0], "submission_columns": header[1:]})


def prepare_task(
    task: Task, paths: Paths, store: Store | None = None, force: bool = False
) -> PreparedTask:
    """Prepare `task` under `paths` unless an intact copy is there already."""
    target = paths.tasks / task.id / task.fingerprint()
    if target.is_dir() and not force:
        checksum = verify_checksums(target)
        if checksum is not None:
            return PreparedTask(task, target, checksum)
    target.parent.mkdir(parents=True, exist_ok=True)
    # Two runs may prepare the same task at once: one prepares, the other waits and reuses it.
    with _exclusive(target.parent.parent / f".{task.id}.prepare.lock"):
        if target.is_dir() and not force:
            checksum = verify_checksums(target)
            if checksum is not None:
                return PreparedTask(task, target, checksum)
            log.warning("prepared data of %s failed its checksums; preparing again", task.id)
        return _prepare_locked(task, target, store)


def _prepare_locked(task: Task, target: Path, store: Store | None) -> PreparedTask:
    started = time.perf_counter()
    staging = Path(tempfile.mkdtemp(prefix=f".{task.fingerprint()}-", dir=target.parent))
    staging.chmod(0o755)
    try:
        _run_prepare(task, staging)
        checksum = write_checksums(staging)
        if target.exists():
            shutil.rmtree(target)
        staging.rename(target)
    finally:
        if staging.exists():
            shutil.rmtree(staging, ignore_errors=True)
    seconds = time.perf_counter() - started
    if store is not None:
        store.record_prepared(
            PreparedTaskRecord(
                task_id=task.id,
                fingerprint=task.fingerprint(),
                family=task.family,
                path=str(target),
                checksum=checksum,
                prepared_at=datetime.now(UTC).isoformat(timespec="seconds"),
                seconds=round(seconds, 3),
            )
        )
    return PreparedTask(task, target, checksum)


@contextlib.contextmanager
def _exclusive(path: Path) -> Iterator[None]:
    with path.open("w") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def _run_prepare(task: Task, staging: Path) -> None:
    public, private = staging / "public", staging / "private"
    public.mkdir()
    private.mkdir()
    prepare = task.prepare_fn()
    raw = task.raw_dir or staging / "raw-empty"
    raw.mkdir(exist_ok=True)
    kwargs = {"seed": task.spec.seed} if "seed" in inspect.signature(prepare).parameters else {}
    try:
        prepare(raw, public, private, **kwargs)
    except AscentError:
        raise
    except Exception as exc:
        raise TaskPrepareError(
            f"prepare.py of task '{task.id}' raised {type(exc).__name__}: {exc}",
            hint=f"fix {task.root / 'prepare.py'}; nothing was cached",
        ) from exc
    shutil.rmtree(staging / "raw-empty", ignore_errors=True)
    if not any(public.iterdir()):
        raise TaskPrepareError(f"prepare.py of task '{task.id}' wrote nothing into public/")
    if task.family == "mle":
        _write_leaderboard_split(task, public, private)
    elif (private / "test.jsonl").is_file():
        _write_example_split(task, private)


def _write_leaderboard_split(task: Task, public: Path, private: Path) -> None:
    """Assign each test row to the public or the private leaderboard, seeded."""
    if (private / SPLIT_FILE).exists():
        return
    sample = public / "sample_submission.csv"
    if not sample.is_file():
        raise TaskPrepareError(f"prepare.py of task '{task.id}' wrote no sample_submission.csv")
    id_column = resolve_mle_spec(task, public).id_column
    ids = pd.read_csv(sample, usecols=[id_column], dtype=str)[id_column]
    rng = np.random.default_rng(task.spec.seed + 7919)
    n_public = round(len(ids) * task.spec.public_fraction)
    order = rng.permutation(len(ids))
    split = np.array(["private"] * len(ids), dtype=object)
    split[order[:n_public]] = "public"
    pd.DataFrame({id_column: ids, "split": split}).to_csv(private / SPLIT_FILE, index=False)


def _write_example_split(task: Task, private: Path) -> None:
    """Held-out examples of ft/rl tasks (`private/test.jsonl`, one `id` each) split the same way."""
    if (private / SPLIT_FILE).exists():
        return
    ids = [
        str(json.loads(line)["id"])
        for line in (private / "test.jsonl").read_text().splitlines()
        if line.strip()
    ]
    if len(set(ids)) != len(ids):
        raise TaskPrepareError(f"private/test.jsonl of '{task.id}' repeats ids")
    rng = np.random.default_rng(task.spec.seed + 7919)
    order = rng.permutation(len(ids))
    split = np.array(["private"] * len(ids), dtype=object)
    split[order[: round(len(ids) * task.spec.public_fraction)]] = "public"
    pd.DataFrame({"id": ids, "split": split}).to_csv(private / SPLIT_FILE, index=False)


def write_checksums(root: Path) -> str:
    sums = {rel: _sha256(root / rel) for rel in _files(root)}
    (root / CHECKSUMS).write_text(json.dumps(sums, indent=1, sort_keys=True))
    return _combined(sums)


def verify_checksums(root: Path) -> str | None:
    """The combined checksum if every file is present and unchanged, else None."""
    try:
        sums = json.loads((root / CHECKSUMS).read_text())
    except (OSError, ValueError):
        return None
    if sorted(sums) != _files(root):
        return None
    for rel, expected in sums.items():
        if _sha256(root / rel) != expected:
            return None
    return _combined(sums)


def _files(root: Path) -> list[str]:
    return sorted(
        p.relative_to(root).as_posix()
        for p in root.rglob("*")
        if p.is_file() and p.name != CHECKSUMS
    )


def _combined(sums: dict[str, str]) -> str:
    return hashlib.sha256(json.dumps(sums, sort_keys=True).encode()).hexdigest()[:16]


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
