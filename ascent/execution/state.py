"""Where a sweep stands, persisted in its folder `$ASCENT_HOME/sweeps/<id>/`.

`sweep.json` holds the spec and, per cell, the run it maps to, its status, its retries and every
attempt; `spec.yaml` is the spec as YAML; `logs/` holds each attempt's output. Only the process
running the sweep (holding `.lock`) writes them; the SQLite `sweeps` table indexes them.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import secrets
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field, computed_field

from ascent.config import Paths
from ascent.errors import AscentError
from ascent.execution.spec import Cell, SweepSpec
from ascent.store.db import Store, SweepRecord

STATE_VERSION = 1
STATE_FILE = "sweep.json"

# pending: not started yet, or stopped before its run ended (cancelled, head killed): runs again
# running: an attempt is in flight
# done:    its run ended (finished, failed, sandbox_error): a result, whatever the agent did
# failed:  infrastructure failures used up the retries; the run is kept and can be resumed
CellStatus = Literal["pending", "running", "done", "failed"]
SweepStatus = Literal["created", "running", "finished", "incomplete", "cancelled"]
Outcome = Literal["ended", "infra", "cancelled", "lost"]


def sweeps_root(paths: Paths) -> Path:
    return paths.home / "sweeps"


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def new_sweep_id(name: str) -> str:
    return f"{name}-{datetime.now(UTC).strftime('%Y%m%d-%H%M%S')}-{secrets.token_hex(2)}"


class Attempt(BaseModel):
    number: int = Field(description="1 for the first attempt of the cell, then 2, 3...")
    executor: str
    started_at: str
    ended_at: str | None = None
    node: str | None = Field(None, description="Where it ran (Ray node IP and id prefix).")
    pid: int | None = Field(None, description="Process id of the cell (local executor).")
    outcome: Outcome | None = Field(
        None,
        description="ended: the run ended; infra: the process or node was lost and the run "
        "did not end; cancelled: stopped by the user; lost: the sweep process died meanwhile.",
    )
    error: str | None = None
    seconds: float | None = Field(None, description="Wall-clock seconds seen by the sweep.")
    log: str | None = Field(None, description="Output of the cell's process, in logs/.")


class CellState(BaseModel):
    task_id: str
    label: str
    seed: int
    run_id: str | None = None
    status: CellStatus = "pending"
    run_status: str | None = Field(None, description="Status of the run (from its run.json).")
    retries: int = Field(0, description="Infrastructure failures retried, over all invocations.")
    attempts: list[Attempt] = Field(default_factory=list)

    @computed_field  # type: ignore[prop-decorator]
    @property
    def key(self) -> str:
        return Cell(task_id=self.task_id, label=self.label, seed=self.seed).key

    @property
    def cell(self) -> Cell:
        return Cell(task_id=self.task_id, label=self.label, seed=self.seed)


class SweepState(BaseModel):
    version: int = STATE_VERSION
    sweep_id: str
    name: str
    created_at: str
    updated_at: str
    status: SweepStatus = "created"
    executor: str | None = None
    address: str | None = None
    spec: SweepSpec
    cells: list[CellState]

    def cell(self, key: str) -> CellState:
        for cell in self.cells:
            if cell.key == key:
                return cell
        raise AscentError(f"the sweep {self.sweep_id} has no cell {key}")

    def counts(self) -> dict[str, int]:
        counts = {"pending": 0, "running": 0, "done": 0, "failed": 0}
        for cell in self.cells:
            counts[cell.status] += 1
        return counts

    def record(self, path: Path) -> SweepRecord:
        counts = self.counts()
        return SweepRecord(
            sweep_id=self.sweep_id,
            name=self.name,
            status=self.status,
            created_at=self.created_at,
            updated_at=self.updated_at,
            executor=self.executor,
            cells=len(self.cells),
            done=counts["done"],
            failed=counts["failed"],
            retries=sum(c.retries for c in self.cells),
            path=str(path),
            spec=self.spec.model_dump(mode="json"),
        )


class SweepFolder:
    """The files of one sweep."""

    def __init__(self, paths: Paths, sweep_id: str) -> None:
        self.sweep_id = sweep_id
        self.root = sweeps_root(paths) / sweep_id

    @property
    def state_path(self) -> Path:
        return self.root / STATE_FILE

    @property
    def logs(self) -> Path:
        return self.root / "logs"

    @property
    def nonce_path(self) -> Path:
        """A random token: a Ray worker that reads it here shares this folder with the head."""
        return self.root / ".nonce"

    def exists(self) -> bool:
        return self.state_path.is_file()

    def create(self, state: SweepState) -> None:
        self.root.mkdir(parents=True)
        self.logs.mkdir()
        self.nonce_path.write_text(secrets.token_hex(16))
        (self.root / "spec.yaml").write_text(state.spec.to_yaml())
        self.save(state)

    def nonce(self) -> str:
        if not self.nonce_path.is_file():
            self.nonce_path.write_text(secrets.token_hex(16))
        return self.nonce_path.read_text().strip()

    def load(self) -> SweepState:
        if not self.exists():
            raise AscentError(
                f"no sweep '{self.sweep_id}' in {self.root.parent}", hint="see `ascent sweep list`"
            )
        return SweepState.model_validate_json(self.state_path.read_text())

    def save(self, state: SweepState, store: Store | None = None) -> None:
        state.updated_at = now_iso()
        tmp = self.state_path.with_suffix(".json.tmp")
        with tmp.open("w") as fh:
            fh.write(state.model_dump_json(indent=1))
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, self.state_path)
        if store is not None:
            store.upsert_sweep(state.record(self.root))

    @contextlib.contextmanager
    def lock(self) -> Iterator[None]:
        """Held by the process running the sweep; released when it exits, even by kill -9."""
        path = self.root / ".lock"
        fh = path.open("a+")
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            fh.seek(0)
            holder = fh.read().strip() or "another process"
            fh.close()
            raise AscentError(
                f"the sweep {self.sweep_id} is being run by {holder}",
                hint="wait for it, or stop it with Ctrl-C; then `ascent sweep resume`",
            ) from None
        try:
            fh.seek(0)
            fh.truncate()
            fh.write(f"pid {os.getpid()}")
            fh.flush()
            yield
        finally:
            fh.close()

    def is_locked(self) -> bool:
        path = self.root / ".lock"
        if not path.exists():
            return False
        with path.open("a+") as fh:
            try:
                fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                return True
            fcntl.flock(fh, fcntl.LOCK_UN)
            return False


def new_state(spec: SweepSpec, sweep_id: str) -> SweepState:
    stamp = now_iso()
    return SweepState(
        sweep_id=sweep_id,
        name=spec.name,
        created_at=stamp,
        updated_at=stamp,
        spec=spec,
        cells=[CellState(task_id=c.task_id, label=c.label, seed=c.seed) for c in spec.cells()],
    )


def sync_index(paths: Paths, store: Store) -> int:
    """Index every sweep folder (after the index was lost); returns how many."""
    root = sweeps_root(paths)
    count = 0
    if root.is_dir():
        for folder in sorted(p for p in root.iterdir() if (p / STATE_FILE).is_file()):
            sweep = SweepFolder(paths, folder.name)
            store.upsert_sweep(sweep.load().record(sweep.root))
            count += 1
    return count
