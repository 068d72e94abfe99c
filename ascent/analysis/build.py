"""Assemble a run's report from its folder, and write report.json, report.md and report.html."""

from __future__ import annotations

import os
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from ascent.analysis.gitview import SnapshotRepo
from ascent.analysis.loader import RunData, TaskFacts, load_run
from ascent.analysis.logs import LogView
from ascent.analysis.metrics import compute_metrics
from ascent.analysis.narrative import Narrator, narrate
from ascent.analysis.routes import detect_routes
from ascent.analysis.schema import MetricInfo, Narrative, RefusalInfo, RunReport
from ascent.analysis.taxonomy import classify
from ascent.analysis.timeline import timeline
from ascent.analysis.trajectory import resource_samples, snapshot_infos, trajectory
from ascent.record import events as ev


def analyse(data: RunData, narrator: Narrator | None = None) -> RunReport:
    state = data.state
    points = trajectory(data)
    snapshots = snapshot_infos(data)
    resources = resource_samples(data)
    entries, truncated = timeline(data)
    final_id = state.final.submission_id if state.final else None
    routes = detect_routes(
        SnapshotRepo(data.snapshots_dir),
        [e for e in data.events if isinstance(e, ev.CodeSnapshot)],
        points,
        LogView(data.log_text, data.log_first_line),
        final_id,
        {e.submission_id: e.source for e in data.entries if e.source},
    )
    valid = [p for p in points if p.valid]
    report = RunReport(
        generated_at=datetime.now(UTC).isoformat(timespec="seconds"),
        run_id=state.run_id,
        task_id=state.options.task_id,
        family=data.facts.family,
        agent=state.options.agent,
        driver=state.options.driver,
        model=state.options.model,
        seed=state.options.seed,
        sweep_id=state.options.sweep_id,
        status=state.status,
        end_reason=state.end_reason,
        sandbox=state.sandbox,
        isolated=state.isolated,
        metric=data.facts.metric.name,
        higher_is_better=data.higher_is_better,
        budget_seconds=state.budget_seconds,
        used_seconds=round(data.clock.total, 3),
        max_submissions=state.max_submissions,
        submissions_charged=sum(1 for p in points if p.charged),
        submissions_valid=len(valid),
        final=state.final,
        best_public=points[-1].best_so_far if points else None,
        segments=len(state.segments),
        trajectory=points,
        event_counts=dict(Counter(e.kind for e in data.events)),
        refusals=[
            RefusalInfo(seq=e.seq, what=e.what, reason=e.reason, status_code=e.status_code)
            for e in data.events
            if isinstance(e, ev.Refusal)
        ],
        metrics=compute_metrics(data, points, snapshots, resources),
        failures=classify(data, points),
        routes=routes,
        snapshots=snapshots,
        resources=resources,
        timeline=entries,
        timeline_truncated=truncated,
        narrative=Narrative(source="template", text="", note=""),
    )
    report.narrative = narrate(report, narrator)
    return report


def analyse_run(
    run_dir: Path, facts: TaskFacts | None = None, registry=None, narrator: Narrator | None = None
) -> RunReport:
    return analyse(load_run(run_dir, facts, registry), narrator)


@dataclass(frozen=True)
class ReportFiles:
    json: Path
    md: Path
    html: Path


def write_report(run_dir: Path, report: RunReport) -> ReportFiles:
    """Write the three report files, each atomically (readers may be looking)."""
    from ascent.analysis.render_html import render_html
    from ascent.analysis.render_md import render_markdown

    files = ReportFiles(run_dir / "report.json", run_dir / "report.md", run_dir / "report.html")
    write_atomic(files.json, report.model_dump_json(indent=2))
    write_atomic(files.md, render_markdown(report))
    write_atomic(files.html, render_html(report))
    return files


def report_run(
    run_dir: Path, metric: MetricInfo, family: str, narrator: Narrator | None = None
) -> ReportFiles:
    """What the harness calls when a run ends."""
    report = analyse_run(run_dir, TaskFacts(metric, family), narrator=narrator)
    return write_report(run_dir, report)


def write_atomic(path: Path, text: str) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)
