"""Per-run metrics, each with its unit, the split it comes from and the events behind it."""

from __future__ import annotations

import itertools
import re
import statistics
from collections.abc import Sequence

from ascent.analysis.loader import RunData
from ascent.analysis.schema import (
    Metric,
    ResourceSample,
    RunMetrics,
    SnapshotInfo,
    TrajectoryPoint,
)
from ascent.record import events as ev

# A submission that is the base model unchanged (ft/rl): the grader flags it `copy_model` in the
# ledger; an event flag or the grader's error text (the harness's words, not the agent's) also
# counts.
_COPY = re.compile(r"\b(copy of the base model|identical to the base model|copy_model)\b", re.I)


def copy_model_submissions(data: RunData) -> list[tuple[str, int | None]]:
    """(submission id, event seq of its grading) of every copy-of-base-model submission."""
    graded: dict[str, ev.Submission] = {}
    for e in data.events:
        if isinstance(e, ev.Submission) and e.duplicate_of is None:
            graded.setdefault(e.submission_id, e)
    found = []
    for entry in data.entries:
        event = graded.get(entry.submission_id)
        error = entry.error or (event.error if event else None)
        if (
            "copy_model" in getattr(entry, "flags", ())
            or bool(event and getattr(event, "copy_model", False))
            or bool(error and _COPY.search(error))
        ):
            found.append((entry.submission_id, event.seq if event else None))
    return found


def _seqs(points: Sequence[TrajectoryPoint]) -> list[int]:
    return [p.seq for p in points if p.seq is not None]


def _ratio(a: float, b: float) -> float | None:
    return round(a / b, 4) if b else None


def score_metrics(data: RunData, points: list[TrajectoryPoint]) -> dict[str, Metric]:
    metric = data.facts.metric.name
    valid = [p for p in points if p.valid]
    graded = [p for p in points if p.status in ("ok", "invalid")]
    first = valid[0] if valid else None
    later_best = [p for p in valid[1:] if p.improved]
    best = [p for p in valid if p.improved][-1] if valid else None
    pairs = list(itertools.pairwise(valid))
    higher = data.higher_is_better
    steady = [b for a, b in pairs if (b.score >= a.score if higher else b.score <= a.score)]  # type: ignore[operator]
    final = data.state.final
    final_seq = next((e.seq for e in data.events if e.kind == "final_grade"), None)
    duplicates = [
        e.seq for e in data.events if isinstance(e, ev.Submission) and e.duplicate_of is not None
    ]
    return {
        "submissions": Metric(value=len(points), unit="count", evidence=_seqs(points)),
        "submissions_charged": Metric(
            value=sum(p.charged for p in points), unit="count", evidence=_seqs(points)
        ),
        "valid_submissions": Metric(
            value=len(valid), unit="count", split="public", evidence=_seqs(valid)
        ),
        "duplicate_submissions": Metric(value=len(duplicates), unit="count", evidence=duplicates),
        "valid_submission_rate": Metric(
            value=_ratio(len(valid), len(graded)),
            unit="ratio",
            split="public",
            evidence=_seqs(graded),
            note="" if graded else "no graded submission",
        ),
        "time_to_first_valid": Metric(
            value=first.seconds if first else None,
            unit="s",
            split="public",
            evidence=_seqs([first] if first else []),
        ),
        "time_to_first_improvement": Metric(
            value=later_best[0].seconds if later_best else None,
            unit="s",
            split="public",
            evidence=_seqs(later_best[:1]),
            note="" if later_best else "never improved on the first valid submission",
        ),
        "time_to_best": Metric(
            value=best.seconds if best else None,
            unit="s",
            split="public",
            evidence=_seqs([best] if best else []),
        ),
        "best_public_score": Metric(
            value=best.score if best else None,
            unit=metric,
            split="public",
            evidence=_seqs([best] if best else []),
        ),
        "final_private_score": Metric(
            value=final.score if final and final.valid else None,
            unit=metric,
            split="private",
            evidence=[final_seq] if final_seq else [],
        ),
        "improvements": Metric(
            value=len(later_best), unit="count", split="public", evidence=_seqs(later_best)
        ),
        "monotonic_ratio": Metric(
            value=_ratio(len(steady), len(pairs)),
            unit="ratio",
            split="public",
            evidence=_seqs(valid),
            note="" if pairs else "fewer than two valid submissions",
        ),
    }


def process_metrics(
    data: RunData,
    points: list[TrajectoryPoint],
    snapshots: list[SnapshotInfo],
    resources: list[ResourceSample],
) -> dict[str, Metric]:
    state, events = data.state, data.events
    used = data.clock.total
    commands = [e for e in events if isinstance(e, ev.Command)]
    failed = [e for e in commands if e.exit_code != 0 or e.timed_out or e.killed_reason]
    calls = [e for e in events if isinstance(e, ev.LlmCall)]
    refusals = [e.seq for e in events if e.kind == "refusal"]
    copies = copy_model_submissions(data)
    family = data.facts.family
    steps = snapshots[1:]
    last = points[-1] if points else None
    peak = {
        name: max(resources, key=lambda r, n=name: getattr(r, n)) if resources else None
        for name in ("rss_mb", "disk_mb", "processes", "cpu_seconds")
    }
    end_seq = [e.seq for e in events if e.kind == "run_end"][-1:]

    def peak_metric(name: str, unit: str) -> Metric:
        sample = peak[name]
        return Metric(
            value=getattr(sample, name) if sample else None,
            unit=unit,
            evidence=[sample.seq] if sample else [],
        )

    return {
        "copy_model_submissions": Metric(
            value=len(copies) if family in ("ft", "rl") or copies else None,
            unit="count",
            evidence=[seq for _, seq in copies if seq is not None],
            note="" if family in ("ft", "rl") else f"not applicable to the {family} family",
        ),
        "budget_used": Metric(
            value=_ratio(used, state.budget_seconds), unit="ratio", evidence=end_seq
        ),
        "submission_budget_used": Metric(
            value=_ratio(sum(p.charged for p in points), state.max_submissions),
            unit="ratio",
            evidence=_seqs(points),
        ),
        "gap_to_deadline": Metric(
            value=round(state.budget_seconds - last.seconds, 3) if last else None,
            unit="s",
            evidence=_seqs([last] if last else []),
            note="" if last else "no submission",
        ),
        "code_snapshots": Metric(
            value=len(snapshots), unit="count", evidence=[s.seq for s in snapshots]
        ),
        "code_churn_per_step": Metric(
            value=round(statistics.fmean(s.added + s.removed for s in steps), 2) if steps else None,
            unit="lines",
            evidence=[s.seq for s in steps],
            note="" if steps else "fewer than two code snapshots",
        ),
        "commands": Metric(value=len(commands), unit="count", evidence=[e.seq for e in commands]),
        "command_failures": Metric(
            value=len(failed), unit="count", evidence=[e.seq for e in failed]
        ),
        "llm_calls": Metric(value=len(calls), unit="count", evidence=[e.seq for e in calls]),
        "llm_prompt_tokens": Metric(value=sum(e.prompt_tokens for e in calls), unit="tokens"),
        "llm_completion_tokens": Metric(
            value=sum(e.completion_tokens for e in calls), unit="tokens"
        ),
        "llm_cost": Metric(value=round(sum(e.cost for e in calls), 6), unit="USD"),
        "llm_errors": Metric(
            value=sum(1 for e in calls if e.error),
            unit="count",
            evidence=[e.seq for e in calls if e.error],
        ),
        "cpu_seconds": peak_metric("cpu_seconds", "s"),
        "peak_rss_mb": peak_metric("rss_mb", "MB"),
        "peak_disk_mb": peak_metric("disk_mb", "MB"),
        "peak_processes": peak_metric("processes", "count"),
        "refusals": Metric(value=len(refusals), unit="count", evidence=refusals),
    }


def compute_metrics(
    data: RunData,
    points: list[TrajectoryPoint],
    snapshots: list[SnapshotInfo],
    resources: list[ResourceSample],
) -> RunMetrics:
    return RunMetrics(
        **score_metrics(data, points), **process_metrics(data, points, snapshots, resources)
    )
