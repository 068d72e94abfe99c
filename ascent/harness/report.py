"""`report.json` and `report.md` of a run, from its events, ledger and state.

Every number says which split it comes from. The analysis layer adds metrics, failure
classification and plots on top of this.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from pydantic import BaseModel

from ascent.harness.grading.ledger import Ledger
from ascent.harness.runstate import FinalResult, RunState
from ascent.record.events import Event
from ascent.record.recorder import read_events

REPORT_VERSION = 1


class TrajectoryPoint(BaseModel):
    submission_id: str
    seconds: float
    status: str
    score: float | None
    best_so_far: float | None
    split: str = "public"


class RunReport(BaseModel):
    version: int = REPORT_VERSION
    run_id: str
    task_id: str
    agent: str
    status: str
    end_reason: str | None
    sandbox: str
    isolated: bool
    metric: str
    higher_is_better: bool
    budget_seconds: float
    used_seconds: float
    max_submissions: int
    submissions_charged: int
    submissions_valid: int
    final: FinalResult | None
    best_public: float | None
    trajectory: list[TrajectoryPoint]
    event_counts: dict[str, int]
    refusals: list[dict]
    segments: int


def used_seconds(events: list[Event]) -> float:
    """Active time over all segments: each from its run_start to its last event."""
    total, start, last = 0.0, None, None
    for event in events:
        if event.kind == "run_start":
            if start is not None and last is not None:
                total += last - start
            start = event.ts
        last = event.ts
    if start is not None and last is not None:
        total += last - start
    return total


def build_report(run_dir: Path, state: RunState, metric: str, higher_is_better: bool) -> RunReport:
    events = read_events(run_dir / "events.jsonl")
    entries = Ledger(run_dir).entries()
    start = next((e.ts for e in events if e.kind == "run_start"), 0.0)
    first_event = {
        e.submission_id: e
        for e in events
        if e.kind == "submission" and e.duplicate_of is None  # type: ignore[union-attr]
    }
    sign = 1 if higher_is_better else -1
    best: float | None = None
    trajectory = []
    for entry in entries:
        event = first_event.get(entry.submission_id)
        if entry.status == "ok" and entry.score is not None:
            best = (
                entry.score
                if best is None
                else (entry.score if sign * entry.score > sign * best else best)
            )
        trajectory.append(
            TrajectoryPoint(
                submission_id=entry.submission_id,
                seconds=round((event.ts - start) if event else 0.0, 3),
                status=entry.status,
                score=entry.score,
                best_so_far=best,
            )
        )
    refusals = [
        {"seq": e.seq, "what": e.what, "reason": e.reason, "status_code": e.status_code}  # type: ignore[union-attr]
        for e in events
        if e.kind == "refusal"
    ]
    return RunReport(
        run_id=state.run_id,
        task_id=state.options.task_id,
        agent=state.options.agent,
        status=state.status,
        end_reason=state.end_reason,
        sandbox=state.sandbox,
        isolated=state.isolated,
        metric=metric,
        higher_is_better=higher_is_better,
        budget_seconds=state.budget_seconds,
        used_seconds=round(used_seconds(events), 3),
        max_submissions=state.max_submissions,
        submissions_charged=sum(1 for e in entries if e.charged),
        submissions_valid=sum(1 for e in entries if e.status == "ok"),
        final=state.final,
        best_public=best,
        trajectory=trajectory,
        event_counts=dict(Counter(e.kind for e in events)),
        refusals=refusals,
        segments=len(state.segments),
    )


def write_report(run_dir: Path, report: RunReport) -> Path:
    (run_dir / "report.json").write_text(report.model_dump_json(indent=2))
    path = run_dir / "report.md"
    path.write_text(render_markdown(report))
    return path


def render_markdown(report: RunReport) -> str:
    final = report.final
    direction = "higher" if report.higher_is_better else "lower"
    lines = [
        f"# Run {report.run_id}",
        "",
        f"- task: `{report.task_id}` · agent: `{report.agent}` · sandbox: `{report.sandbox}`"
        + ("" if report.isolated else " (**not isolated**)"),
        f"- status: **{report.status}** (end: {report.end_reason or '-'}) · segments: {report.segments}",
        f"- time used: {report.used_seconds:.0f} s of {report.budget_seconds:.0f} s · "
        f"submissions: {report.submissions_charged} charged of {report.max_submissions}, "
        f"{report.submissions_valid} valid",
        f"- metric: `{report.metric}` ({direction} is better)",
        "",
        "## Result",
    ]
    if final is None or not final.valid:
        lines.append(
            f"- no valid final submission{': ' + final.error if final and final.error else ''}"
        )
    else:
        lines += [
            f"- final submission: `{final.submission_id}`",
            f"- **private split score: {final.score:.5f}**",
            f"- medal: **{final.medal or 'none'}** · above median: {'yes' if final.above_median else 'no'}",
        ]
    lines.append(
        f"- best public split score: {report.best_public if report.best_public is not None else '-'}"
    )
    lines += [
        "",
        "## Submissions (public split)",
        "",
        "| id | t (s) | status | score | best so far |",
        "|---|---|---|---|---|",
    ]
    for p in report.trajectory:
        score = "-" if p.score is None else f"{p.score:.5f}"
        best = "-" if p.best_so_far is None else f"{p.best_so_far:.5f}"
        lines.append(f"| {p.submission_id} | {p.seconds:.1f} | {p.status} | {score} | {best} |")
    lines += ["", "## Events", ""]
    lines += [f"- {kind}: {count}" for kind, count in sorted(report.event_counts.items())]
    if report.refusals:
        lines += ["", "## Refused requests", ""]
        lines += [
            f"- #{r['seq']} {r['what']}: {r['reason']} ({r['status_code']})"
            for r in report.refusals[:50]
        ]
    return "\n".join(lines) + "\n"
