"""What happened when, on the active clock: submissions with best-so-far, snapshots, resources."""

from __future__ import annotations

from datetime import datetime

from ascent.analysis.gitview import SnapshotRepo
from ascent.analysis.loader import RunData
from ascent.analysis.schema import ResourceSample, SnapshotInfo, TrajectoryPoint
from ascent.record import events as ev


def better(a: float, b: float | None, higher_is_better: bool) -> bool:
    """Is score `a` strictly better than `b` (None: nothing yet)?"""
    if b is None:
        return True
    return a > b if higher_is_better else a < b


def trajectory(data: RunData) -> list[TrajectoryPoint]:
    """Every distinct submission in ledger order, with the public best so far."""
    graded: dict[str, ev.Submission] = {}
    snapshots: list[ev.CodeSnapshot] = []
    for event in data.events:
        if isinstance(event, ev.Submission) and event.duplicate_of is None:
            graded.setdefault(event.submission_id, event)
        elif isinstance(event, ev.CodeSnapshot):
            snapshots.append(event)
    best: float | None = None
    points = []
    for entry in data.entries:
        event = graded.get(entry.submission_id)
        seconds = data.clock.at(event.ts) if event else _created_seconds(data, entry.created_at)
        improved = False
        if entry.status == "ok" and entry.score is not None:
            improved = better(entry.score, best, data.higher_is_better)
            best = entry.score if improved else best
        points.append(
            TrajectoryPoint(
                submission_id=entry.submission_id,
                seq=event.seq if event else None,
                seconds=round(seconds, 3),
                status=entry.status,
                valid=entry.status == "ok",
                score=entry.score,
                best_so_far=best,
                improved=improved,
                split="public",
                charged=entry.charged,
                final=entry.final,
                snapshot=_snapshot_of(entry.submission_id, event, snapshots),
                error=entry.error,
            )
        )
    return points


def _created_seconds(data: RunData, created_at: str) -> float:
    try:
        return data.clock.at(datetime.fromisoformat(created_at).timestamp())
    except ValueError:
        return 0.0


def _snapshot_of(
    submission_id: str, event: ev.Submission | None, snapshots: list[ev.CodeSnapshot]
) -> str | None:
    """The snapshot taken for this submission, else the last one before it (same code)."""
    reason = f"submission {submission_id}"
    for snap in snapshots:
        if snap.reason == reason:
            return snap.commit
    if event is None:
        return None
    earlier = [s for s in snapshots if s.seq < event.seq]
    return earlier[-1].commit if earlier else None


def snapshot_infos(data: RunData) -> list[SnapshotInfo]:
    churn = SnapshotRepo(data.snapshots_dir).churn()
    infos = []
    for event in data.events:
        if isinstance(event, ev.CodeSnapshot):
            added, removed = churn.get(event.commit, (0, 0))
            infos.append(
                SnapshotInfo(
                    seq=event.seq,
                    seconds=round(data.clock.at(event.ts), 3),
                    commit=event.commit,
                    reason=event.reason,
                    files=event.files,
                    changed=event.changed,
                    added=added,
                    removed=removed,
                )
            )
    return infos


def resource_samples(data: RunData) -> list[ResourceSample]:
    """Resource samples with CPU time made cumulative across segments."""
    samples = []
    segment, carried, segment_peak = 0, 0.0, 0.0
    for event in data.events:
        if event.kind == "run_start":
            segment += 1
            carried += segment_peak
            segment_peak = 0.0
        elif isinstance(event, ev.Resources):
            segment_peak = max(segment_peak, event.cpu_seconds)
            samples.append(
                ResourceSample(
                    seq=event.seq,
                    seconds=round(data.clock.at(event.ts), 3),
                    segment=max(segment, 1),
                    cpu_seconds=round(carried + event.cpu_seconds, 3),
                    rss_mb=event.rss_mb,
                    disk_mb=event.disk_mb,
                    processes=event.processes,
                )
            )
    return samples
