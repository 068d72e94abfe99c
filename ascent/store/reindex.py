"""Rebuilding the SQLite index from run folders, which hold the truth (run.json, ledger,
events.jsonl). Used after the index was lost or moved aside."""

from __future__ import annotations

from pathlib import Path

from ascent.store.db import Store
from ascent.store.records import RunRecord, SubmissionRecord


def reindex_runs(store: Store, runs_dir: Path) -> tuple[int, int, int]:
    """Index every run folder; returns (runs, submissions, events) newly indexed."""
    from ascent.errors import AscentError
    from ascent.harness.grading.ledger import Ledger
    from ascent.harness.runstate import load_state
    from ascent.record.recorder import Recorder
    from ascent.tasks.registry import Registry

    registry = Registry()
    counts = [0, 0, 0]
    for run_dir in sorted(p for p in runs_dir.iterdir() if (p / "run.json").is_file()):
        state = load_state(run_dir)
        final = state.final
        try:
            family = registry.get(state.options.task_id).family
        except AscentError:
            family = "unknown"
        store.insert_run(
            RunRecord(
                run_id=state.run_id,
                task_id=state.options.task_id,
                family=family,
                agent=state.options.agent,
                driver=state.options.driver,
                model=state.options.model,
                seed=state.options.seed,
                status=state.status,
                created_at=state.created_at,
                path=str(run_dir),
                sweep_id=state.options.sweep_id,
                config=state.options.model_dump(),
                final_score=final.score if final else None,
                final_split="private" if final else None,
                medal=final.medal if final else None,
                end_reason=state.end_reason,
            )
        )
        counts[0] += 1
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
            counts[1] += 1
        recorder = Recorder(run_dir, state.run_id, store)
        counts[2] += recorder.reindex()
        recorder.close()
    return counts[0], counts[1], counts[2]
