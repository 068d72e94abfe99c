"""Bringing the head's SQLite index up to date from a run folder (the truth), after a cell ran
somewhere else or was killed. Idempotent: events and submissions are keyed, never duplicated."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

from ascent.errors import AscentError
from ascent.harness.grading.ledger import Ledger
from ascent.harness.runstate import RunState, load_state
from ascent.record.recorder import EVENTS_FILE, read_events
from ascent.store import Store
from ascent.store.records import EventRecord, RunRecord, SubmissionRecord


def _family(task_id: str, task_dirs: list[str]) -> str:
    from ascent.tasks.registry import Registry

    try:
        return Registry([Path(p) for p in task_dirs]).get(task_id).family
    except AscentError:
        return "unknown"


def run_record(state: RunState, run_dir: Path, family: str | None = None) -> RunRecord:
    options, final = state.options, state.final
    return RunRecord(
        run_id=state.run_id,
        task_id=options.task_id,
        family=family or _family(options.task_id, options.task_dirs),
        agent=options.agent,
        driver=options.driver,
        model=options.model,
        seed=options.seed,
        status=state.status,
        created_at=state.created_at,
        path=str(run_dir),
        sweep_id=options.sweep_id,
        config=options.model_dump(),
        final_score=final.score if final else None,
        final_split="private" if final else None,
        medal=final.medal if final else None,
        end_reason=state.end_reason,
    )


def index_run(store: Store, run_dir: Path) -> RunState:
    """Index run.json, the submission ledger and events.jsonl of one run folder."""
    state = load_state(run_dir)
    events = read_events(run_dir / EVENTS_FILE)
    existing = store.get_run(state.run_id)
    record = run_record(state, run_dir, family=existing.family if existing else None)
    ended = [e for e in events if e.kind == "run_end"]
    if state.status in ("finished", "failed", "sandbox_error") and ended:
        record.ended_at = (existing.ended_at if existing else None) or datetime.fromtimestamp(
            ended[-1].ts, UTC
        ).isoformat(timespec="seconds")
    store.insert_run(record)
    for entry in Ledger(run_dir).entries():
        store.upsert_submission(
            SubmissionRecord(
                run_id=state.run_id,
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
    store.insert_events(_event_record(state.run_id, e) for e in events)
    return state


def _event_record(run_id: str, event) -> EventRecord:
    """The same row the recorder writes while the run goes."""
    payload = json.loads(event.model_dump_json(exclude={"seq", "ts"}))
    return EventRecord(
        run_id=run_id, seq=event.seq, ts=event.ts, kind=payload.pop("kind"), payload=payload
    )
