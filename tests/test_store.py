import multiprocessing
import sqlite3
import threading
from pathlib import Path

import pytest

from ascent.errors import StoreError
from ascent.store import Store
from ascent.store.migrations import LATEST_VERSION
from ascent.store.records import EventRecord, RunRecord, SubmissionRecord


def _run(run_id: str = "r1", **kw) -> RunRecord:
    base = dict(
        run_id=run_id,
        task_id="t",
        family="mle",
        agent="example",
        status="running",
        created_at="2026-01-01T00:00:00",
        path="/tmp/x",
    )
    return RunRecord(**{**base, **kw})


def test_new_store_is_migrated_and_in_wal_mode(tmp_path):
    with Store(tmp_path / "a.db") as store:
        assert store.version == LATEST_VERSION
        mode = store._conn.execute("PRAGMA journal_mode").fetchone()[0]
        assert mode == "wal"
        assert store.integrity_ok()


def test_runs_submissions_events_round_trip(tmp_path):
    path = tmp_path / "a.db"
    with Store(path) as store:
        store.insert_run(_run(config={"budget": 60}))
        store.update_run("r1", status="finished", final_score=0.5, config={"budget": 30})
        store.upsert_submission(
            SubmissionRecord(
                run_id="r1",
                submission_id="s1",
                seq=1,
                created_at="now",
                sha256="ab",
                path="sub.csv",
                status="ok",
                score=0.5,
                split="public",
            )
        )
        events = [
            EventRecord(run_id="r1", seq=i, ts=float(i), kind="agent_step", payload={"i": i})
            for i in range(5)
        ]
        assert store.insert_events(events) == 5
        # Re-indexing the same events (as resume does) adds nothing.
        assert store.insert_events(events) == 0
    with Store(path) as store:
        run = store.get_run("r1")
        assert run is not None and run.status == "finished" and run.final_score == 0.5
        assert run.config == {"budget": 30}
        assert [s.submission_id for s in store.submissions("r1")] == ["s1"]
        assert [e.payload["i"] for e in store.events("r1")] == [0, 1, 2, 3, 4]
        assert store.list_runs(status="finished")[0].run_id == "r1"
        assert store.list_runs(task_id="other") == []


def test_update_run_rejects_unknown_fields(tmp_path):
    with Store(tmp_path / "a.db") as store:
        store.insert_run(_run())
        with pytest.raises(ValueError, match="unknown run fields"):
            store.update_run("r1", colour="blue")


def test_newer_schema_is_refused_untouched(tmp_path):
    path = tmp_path / "a.db"
    conn = sqlite3.connect(path)
    conn.execute(f"PRAGMA user_version = {LATEST_VERSION + 5}")
    conn.close()
    before = path.read_bytes()
    with pytest.raises(StoreError, match="newer than this ascentlab"):
        Store(path)
    assert path.read_bytes() == before


def test_corrupt_file_is_a_clear_error_and_left_alone(tmp_path):
    path = tmp_path / "ascent.db"
    garbage = b"this is not a sqlite database at all" * 100
    path.write_bytes(garbage)
    with pytest.raises(StoreError) as info:
        Store(path)
    assert "not a readable SQLite database" in str(info.value)
    assert "move it aside" in str(info.value)
    assert path.read_bytes() == garbage


def test_locked_database_is_a_clear_error(tmp_path):
    path = tmp_path / "a.db"
    Store(path).close()
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("PRAGMA journal_mode = DELETE")  # WAL would let readers in
    holder.execute("BEGIN EXCLUSIVE")
    try:
        with pytest.raises(StoreError, match="locked by another process"):
            Store(path, timeout=0.2).insert_run(_run())
    finally:
        holder.execute("ROLLBACK")
        holder.close()


def test_concurrent_writers_lose_nothing(tmp_path):
    store = Store(tmp_path / "a.db")
    store.insert_run(_run())

    def write(offset: int) -> None:
        for i in range(50):
            store.insert_events(
                [EventRecord(run_id="r1", seq=offset + i, ts=0.0, kind="agent_step", payload={})]
            )

    threads = [threading.Thread(target=write, args=(k * 1000,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(store.events("r1")) == 200
    assert store.integrity_ok()
    store.close()


def _open_at_once(path: str, barrier, errors) -> None:
    barrier.wait(30)
    try:
        Store(Path(path)).close()
    except StoreError as exc:
        errors.put(str(exc))


def test_processes_opening_a_new_store_at_once_migrate_it_once(tmp_path):
    """Cells on one node share a scratch home: each opens its store when it starts."""
    ctx = multiprocessing.get_context("spawn")
    path = tmp_path / "shared" / "ascent.db"
    for _ in range(3):  # a few tries: the race window is small
        path.parent.mkdir(exist_ok=True)
        barrier, errors = ctx.Barrier(4), ctx.Queue()
        workers = [
            ctx.Process(target=_open_at_once, args=(str(path), barrier, errors)) for _ in range(4)
        ]
        for w in workers:
            w.start()
        for w in workers:
            w.join(60)
        assert [w.exitcode for w in workers] == [0] * 4
        assert errors.empty(), errors.get()
        with Store(path) as store:
            assert store.version == LATEST_VERSION
        for leftover in path.parent.iterdir():
            leftover.unlink()
