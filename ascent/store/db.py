"""SQLite index of prepared tasks, runs, submissions and events.

WAL mode lets readers (the web UI, `ascent runs list`) work while a run writes. Everything here
is also in the run folders (`ascent runs reindex` rebuilds the index from them); still, the file
is never overwritten or recreated behind the user's back: a corrupt or locked file is an error.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field

from ascent.errors import StoreError
from ascent.store.migrations import LATEST_VERSION, MIGRATIONS
from ascent.store.records import EventRecord, PreparedTaskRecord, RunRecord, SubmissionRecord

_RUN_JSON_FIELDS = {"config"}


class SweepRecord(BaseModel):
    """A sweep as indexed; its folder (`sweeps/<id>/sweep.json`) holds the truth."""

    sweep_id: str
    name: str
    status: str
    created_at: str
    updated_at: str
    executor: str | None = None
    cells: int = 0
    done: int = 0
    failed: int = 0
    retries: int = 0
    path: str
    spec: dict = Field(default_factory=dict)


class Store:
    """One connection to the index, safe to share between threads of one process."""

    def __init__(self, path: Path, timeout: float = 10.0) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.RLock()
        try:
            self._conn = sqlite3.connect(
                self.path, timeout=timeout, check_same_thread=False, isolation_level=None
            )
            self._conn.row_factory = sqlite3.Row
            self._conn.execute(f"PRAGMA busy_timeout = {int(timeout * 1000)}")
            self._set_up(time.monotonic() + timeout)
        except sqlite3.DatabaseError as exc:
            raise _explain(exc, self.path) from exc

    def _set_up(self, deadline: float) -> None:
        """Schema check, WAL mode, migrations. Processes opening one new file at once (cells
        sharing a node's scratch home) can meet SQLite's busy answers that skip the busy
        timeout (switching to WAL, first reads of a fresh WAL file): retried until `deadline`."""
        while True:
            try:
                self._refuse_newer_schema()
                mode = self._conn.execute("PRAGMA journal_mode").fetchone()[0]
                if str(mode).lower() != "wal":
                    self._conn.execute("PRAGMA journal_mode = WAL")
                self._conn.execute("PRAGMA synchronous = NORMAL")
                self._conn.execute("PRAGMA foreign_keys = ON")
                self._migrate()
                return
            except (sqlite3.OperationalError, StoreError) as exc:
                cause = exc.__cause__ if isinstance(exc, StoreError) else exc
                busy = isinstance(cause, sqlite3.OperationalError) and _is_busy(cause)
                if not busy or time.monotonic() >= deadline:
                    raise
                time.sleep(0.05)

    # -- lifecycle -------------------------------------------------------------------------
    def close(self) -> None:
        with self._lock:
            self._conn.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def version(self) -> int:
        return int(self._conn.execute("PRAGMA user_version").fetchone()[0])

    def integrity_ok(self) -> bool:
        row = self._conn.execute("PRAGMA integrity_check").fetchone()
        return row is not None and row[0] == "ok"

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            try:
                self._conn.execute("BEGIN IMMEDIATE")
            except sqlite3.DatabaseError as exc:
                raise _explain(exc, self.path) from exc
            try:
                yield self._conn
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
            else:
                self._conn.execute("COMMIT")

    def _refuse_newer_schema(self) -> None:
        current = self.version
        if current > LATEST_VERSION:
            self._conn.close()
            raise StoreError(
                f"the store {self.path} has schema version {current}, newer than this "
                f"ascentlab understands ({LATEST_VERSION})",
                hint="upgrade ascentlab, or point ASCENT_HOME at another folder",
            )

    def _migrate(self) -> None:
        for version, script in MIGRATIONS:
            if version <= self.version:
                continue
            with self.transaction() as conn:
                # Read again under the write lock: another process opening the same new file
                # (cells sharing a node's scratch home) may have migrated it meanwhile.
                if version <= self.version:
                    continue
                for statement in _statements(script):
                    conn.execute(statement)
                conn.execute(f"PRAGMA user_version = {version}")

    # -- prepared tasks --------------------------------------------------------------------
    def record_prepared(self, record: PreparedTaskRecord) -> None:
        self._upsert("prepared_tasks", record.model_dump())

    def prepared_tasks(self, task_id: str | None = None) -> list[PreparedTaskRecord]:
        sql = "SELECT * FROM prepared_tasks"
        args: tuple[Any, ...] = ()
        if task_id is not None:
            sql += " WHERE task_id = ?"
            args = (task_id,)
        rows = self._query(sql + " ORDER BY prepared_at", args)
        return [PreparedTaskRecord(**dict(r)) for r in rows]

    # -- runs ------------------------------------------------------------------------------
    def insert_run(self, record: RunRecord) -> None:
        row = record.model_dump()
        row["config"] = json.dumps(row["config"], sort_keys=True)
        self._upsert("runs", row)

    def update_run(self, run_id: str, **fields: Any) -> None:
        if not fields:
            return
        unknown = set(fields) - set(RunRecord.model_fields)
        if unknown:
            raise ValueError(f"unknown run fields: {sorted(unknown)}")
        values = [json.dumps(v) if k in _RUN_JSON_FIELDS else v for k, v in fields.items()]
        assignments = ", ".join(f"{k} = ?" for k in fields)
        with self.transaction() as conn:
            conn.execute(f"UPDATE runs SET {assignments} WHERE run_id = ?", (*values, run_id))

    def get_run(self, run_id: str) -> RunRecord | None:
        rows = self._query("SELECT * FROM runs WHERE run_id = ?", (run_id,))
        return _run(rows[0]) if rows else None

    def list_runs(
        self,
        task_id: str | None = None,
        sweep_id: str | None = None,
        status: str | None = None,
        limit: int | None = None,
    ) -> list[RunRecord]:
        clauses, args = [], []
        for column, value in (("task_id", task_id), ("sweep_id", sweep_id), ("status", status)):
            if value is not None:
                clauses.append(f"{column} = ?")
                args.append(value)
        sql = "SELECT * FROM runs"
        if clauses:
            sql += " WHERE " + " AND ".join(clauses)
        sql += " ORDER BY created_at DESC, run_id DESC"
        if limit is not None:
            sql += f" LIMIT {int(limit)}"
        return [_run(r) for r in self._query(sql, tuple(args))]

    # -- submissions -----------------------------------------------------------------------
    def upsert_submission(self, record: SubmissionRecord) -> None:
        self._upsert("submissions", record.model_dump())

    def submissions(self, run_id: str) -> list[SubmissionRecord]:
        rows = self._query("SELECT * FROM submissions WHERE run_id = ? ORDER BY seq", (run_id,))
        return [SubmissionRecord(**dict(r)) for r in rows]

    # -- events ----------------------------------------------------------------------------
    def insert_events(self, events: Iterable[EventRecord]) -> int:
        """Index events; ones already present (same run and seq) are left as they are."""
        rows = [(e.run_id, e.seq, e.ts, e.kind, json.dumps(e.payload)) for e in events]
        if not rows:
            return 0
        with self.transaction() as conn:
            before = conn.total_changes
            conn.executemany(
                "INSERT OR IGNORE INTO events (run_id, seq, ts, kind, payload) VALUES (?,?,?,?,?)",
                rows,
            )
            return conn.total_changes - before

    def events(self, run_id: str, kind: str | None = None) -> list[EventRecord]:
        sql = "SELECT * FROM events WHERE run_id = ?"
        args: tuple[Any, ...] = (run_id,)
        if kind is not None:
            sql += " AND kind = ?"
            args = (run_id, kind)
        rows = self._query(sql + " ORDER BY seq", args)
        return [
            EventRecord(
                run_id=r["run_id"],
                seq=r["seq"],
                ts=r["ts"],
                kind=r["kind"],
                payload=json.loads(r["payload"]),
            )
            for r in rows
        ]

    # -- sweeps ----------------------------------------------------------------------------
    def upsert_sweep(self, record: SweepRecord) -> None:
        row = record.model_dump()
        row["spec"] = json.dumps(row["spec"], sort_keys=True)
        self._upsert("sweeps", row)

    def get_sweep(self, sweep_id: str) -> SweepRecord | None:
        rows = self._query("SELECT * FROM sweeps WHERE sweep_id = ?", (sweep_id,))
        return _sweep(rows[0]) if rows else None

    def list_sweeps(self, limit: int | None = None) -> list[SweepRecord]:
        sql = "SELECT * FROM sweeps ORDER BY created_at DESC, sweep_id DESC"
        if limit is not None:
            sql += f" LIMIT {int(limit)}"
        return [_sweep(r) for r in self._query(sql)]

    # -- helpers ---------------------------------------------------------------------------
    def _upsert(self, table: str, row: dict[str, Any]) -> None:
        columns = ", ".join(row)
        marks = ", ".join("?" for _ in row)
        with self.transaction() as conn:
            conn.execute(
                f"INSERT OR REPLACE INTO {table} ({columns}) VALUES ({marks})", tuple(row.values())
            )

    def _query(self, sql: str, args: tuple[Any, ...] = ()) -> list[sqlite3.Row]:
        with self._lock:
            try:
                return self._conn.execute(sql, args).fetchall()
            except sqlite3.DatabaseError as exc:
                raise _explain(exc, self.path) from exc


def open_store(path: Path, timeout: float = 10.0) -> Store:
    return Store(path, timeout=timeout)


def _run(row: sqlite3.Row) -> RunRecord:
    data = dict(row)
    data["config"] = json.loads(data["config"] or "{}")
    return RunRecord(**data)


def _sweep(row: sqlite3.Row) -> SweepRecord:
    data = dict(row)
    data["spec"] = json.loads(data["spec"] or "{}")
    return SweepRecord(**data)


def _statements(script: str) -> list[str]:
    return [s.strip() for s in script.split(";") if s.strip()]


def _is_busy(exc: sqlite3.DatabaseError) -> bool:
    text = str(exc).lower()
    return "locked" in text or "busy" in text


def _explain(exc: sqlite3.DatabaseError, path: Path) -> StoreError:
    text = str(exc).lower()
    if _is_busy(exc):
        return StoreError(
            f"the store {path} is locked by another process",
            hint="wait for the other ascent command to finish, or use another ASCENT_HOME",
        )
    if "not a database" in text or "malformed" in text or "corrupt" in text:
        return StoreError(
            f"the store {path} is not a readable SQLite database (corrupt?); it was left untouched",
            hint="move it aside to keep it, then run again to start a fresh index",
        )
    return StoreError(f"the store {path} failed: {exc}")
