"""One line per event, for the report's events timeline. Quoted agent text stays data."""

from __future__ import annotations

from ascent.analysis.loader import RunData
from ascent.analysis.logs import clean
from ascent.analysis.schema import TimelineEntry
from ascent.record import events as ev

HEAD, TAIL = 700, 300  # a longer timeline keeps its first and last events


def _score(value: float | None) -> str:
    return "-" if value is None else f"{value:.5g}"


def summarise(event: ev.Event, segment: int) -> str:
    match event:
        case ev.RunStart():
            if event.resumed:
                return f"segment {segment} started (resumed)"
            return (
                f"run started: agent {event.agent} on {event.task_id}, sandbox {event.sandbox}, "
                f"budget {event.budget_seconds:.0f} s and {event.max_submissions} submissions"
            )
        case ev.AgentStep():
            return f"step {event.step}: {event.action}"
        case ev.LlmCall():
            text = (
                f"{event.model} {event.purpose}: {event.prompt_tokens}+"
                f"{event.completion_tokens} tokens, ${event.cost:.4f}, {event.latency:.1f} s"
            )
            return text + (f" (error: {event.error})" if event.error else "")
        case ev.Command():
            how = "timed out" if event.timed_out else f"exit {event.exit_code}"
            if event.killed_reason:
                how += f", killed: {event.killed_reason}"
            return f"command {' '.join(event.argv)[:200]}: {how} after {event.seconds:.1f} s"
        case ev.CodeSnapshot():
            return (
                f"code snapshot {event.commit[:10]} ({event.reason}): "
                f"{event.changed} of {event.files} files changed"
            )
        case ev.Submission():
            if event.duplicate_of:
                return f"{event.submission_id} sent again (identical content, not charged)"
            text = (
                f"submission {event.submission_id}: {event.status}, {_score(event.score)} (public)"
            )
            return text + (f": {event.error}" if event.error else "")
        case ev.Refusal():
            return f"refused {event.what}: {event.reason} ({event.status_code})"
        case ev.Resources():
            return (
                f"cpu {event.cpu_seconds:.1f} s, rss {event.rss_mb:.0f} MB, "
                f"disk {event.disk_mb:.1f} MB, {event.processes} processes"
            )
        case ev.ErrorEvent():
            return f"error {event.error_kind}: {event.message}"
        case ev.FinalGrade():
            if not event.valid:
                return f"final grade: no valid submission ({event.error or '-'})"
            return (
                f"final grade of {event.submission_id}: {_score(event.score)} (private), "
                f"medal {event.medal or 'none'}"
            )
        case ev.RunEnd():
            return f"run ended: {event.reason} ({event.status})"
    return event.kind


def timeline(data: RunData) -> tuple[list[TimelineEntry], int]:
    entries, segment = [], 0
    for event in data.events:
        if event.kind == "run_start":
            segment += 1
        entries.append(
            TimelineEntry(
                seq=event.seq,
                seconds=round(data.clock.at(event.ts), 3),
                kind=event.kind,
                summary=clean(summarise(event, segment), 300),
            )
        )
    if len(entries) <= HEAD + TAIL:
        return entries, 0
    return entries[:HEAD] + entries[-TAIL:], len(entries) - HEAD - TAIL
