"""report.md: the run report as Markdown. Agent text is quoted inert (see `text`)."""

from __future__ import annotations

from ascent.analysis.schema import RunReport
from ascent.analysis.text import md_block, md_inline, metric_value, num

LABELS = {
    "submissions": "submissions (distinct)",
    "submissions_charged": "submissions charged",
    "valid_submissions": "valid submissions",
    "duplicate_submissions": "sent again (identical)",
    "valid_submission_rate": "valid-submission rate",
    "time_to_first_valid": "time to first valid submission",
    "time_to_first_improvement": "time to first improvement",
    "time_to_best": "time to best",
    "best_public_score": "best score",
    "final_private_score": "final score",
    "improvements": "improvements",
    "monotonic_ratio": "monotonic ratio",
    "copy_model_submissions": "copy-of-base-model submissions",
    "budget_used": "time budget used",
    "submission_budget_used": "submission budget used",
    "gap_to_deadline": "last submission to deadline",
    "code_snapshots": "code snapshots",
    "code_churn_per_step": "code churn per step",
    "commands": "commands",
    "command_failures": "failed commands",
    "llm_calls": "LLM calls",
    "llm_prompt_tokens": "LLM prompt tokens",
    "llm_completion_tokens": "LLM completion tokens",
    "llm_cost": "LLM cost",
    "llm_errors": "LLM errors",
    "cpu_seconds": "CPU time",
    "peak_rss_mb": "peak memory (RSS)",
    "peak_disk_mb": "peak workspace disk",
    "peak_processes": "peak processes",
    "refusals": "refused requests",
}


def _events(seqs: list[int], limit: int = 12) -> str:
    shown = ", ".join(f"#{s}" for s in seqs[:limit])
    return shown + (f" (+{len(seqs) - limit})" if len(seqs) > limit else "")


def header(report: RunReport) -> list[str]:
    direction = "higher" if report.higher_is_better else "lower"
    return [
        f"# Run {report.run_id}",
        "",
        f"- task: `{report.task_id}` ({report.family}) · agent: `{report.agent}` · "
        f"sandbox: `{report.sandbox or '-'}`" + ("" if report.isolated else " (**not isolated**)"),
        f"- status: **{report.status}** (end: {report.end_reason or '-'}) · "
        f"segments: {report.segments}",
        f"- time used: {report.used_seconds:.0f} s of {report.budget_seconds:.0f} s · "
        f"submissions: {report.submissions_charged} charged of {report.max_submissions}, "
        f"{report.submissions_valid} valid",
        f"- metric: `{report.metric}` ({direction} is better)",
        f"- report schema v{report.version}, generated {report.generated_at}",
    ]


def summary(report: RunReport) -> list[str]:
    n = report.narrative
    who = "template" if n.source == "template" else "driver model"
    return [
        "",
        f"## Summary ({who})",
        "",
        *(f"> {md_inline(line)}" for line in n.text.splitlines() if line.strip()),
        "",
        f"_{md_inline(n.note)}_",
    ]


def result(report: RunReport) -> list[str]:
    final = report.final
    lines = ["", "## Result", ""]
    if final is None or not final.valid:
        error = f": {md_inline(final.error)}" if final and final.error else ""
        lines.append(f"- no valid final submission{error}")
    else:
        lines += [
            f"- final submission: `{final.submission_id}`",
            f"- **private split score: {final.score:.5f}**",
            f"- medal: **{final.medal or 'none'}** · above median: "
            f"{'yes' if final.above_median else 'no'}",
        ]
    lines.append(f"- best public split score: {num(report.best_public)}")
    return lines


def metrics(report: RunReport) -> list[str]:
    lines = [
        "",
        "## Metrics",
        "",
        "| metric | value | split | events | note |",
        "|---|---|---|---|---|",
    ]
    for name, metric in report.metrics:
        lines.append(
            f"| {LABELS.get(name, name)} | {metric_value(metric)} | {metric.split} | "
            f"{_events(metric.evidence, 6)} | {md_inline(metric.note)} |"
        )
    return lines


def failures(report: RunReport) -> list[str]:
    lines = ["", "## Failures", ""]
    if not report.failures:
        return [*lines, "No failure rule fired."]
    for f in report.failures:
        lines += [
            f"### {f.title}",
            "",
            f"- `{f.code}` · party: {f.party} · seen {f.count}x · from {f.source}",
            f"- {md_inline(f.summary)}",
        ]
        if f.evidence.events:
            lines.append(f"- events: {_events(f.evidence.events)}")
        if f.evidence.log_lines:
            width = len(str(f.evidence.log_lines[-1].number))
            quoted = "\n".join(f"{ln.number:>{width}} | {ln.text}" for ln in f.evidence.log_lines)
            lines += ["- agent.log (agent output, quoted as data):", "", md_block(quoted)]
        lines.append("")
    return lines


def routes(report: RunReport) -> list[str]:
    r = report.routes
    if r is None:
        return []
    lines = ["", "## Training route", ""]
    lines.append(f"- final submission: {r.final_route.name if r.final_route else '-'}")
    lines.append(f"- best public submission: {r.best_route.name if r.best_route else '-'}")
    if r.log_stages:
        lines.append(f"- stages named in agent.log: {', '.join(r.log_stages)}")
    if r.snapshots:
        lines += ["", "| snapshot | route | trainers | adapter config |", "|---|---|---|---|"]
        for s in r.snapshots:
            uses = "; ".join(
                f"{md_inline(u.trainer)} in {md_inline(u.file)}:{u.line}" for u in s.uses
            )
            config = ", ".join(f"{k}={md_inline(v)}" for k, v in s.adapter_config.items())
            lines.append(f"| `{s.commit[:10]}` (#{s.seq}) | {s.route.name} | {uses} | {config} |")
    return lines


def submissions(report: RunReport) -> list[str]:
    lines = [
        "",
        "## Submissions (public split)",
        "",
        "| id | t (s) | status | score | best so far | code | event |",
        "|---|---|---|---|---|---|---|",
    ]
    for p in report.trajectory:
        status = p.status + (" (final)" if p.final else "") + (" ★" if p.improved else "")
        lines.append(
            f"| {p.submission_id} | {p.seconds:.1f} | {status} | {num(p.score)} | "
            f"{num(p.best_so_far)} | {p.snapshot[:10] if p.snapshot else '-'} | "
            f"{'#' + str(p.seq) if p.seq else '-'} |"
        )
    errors = [p for p in report.trajectory if p.error]
    for p in errors:
        lines.append(f"\n- {p.submission_id}: {md_inline(p.error)}")
    return lines


def snapshots(report: RunReport) -> list[str]:
    if not report.snapshots:
        return []
    lines = [
        "",
        "## Code snapshots",
        "",
        "| event | t (s) | commit | reason | files changed | lines +/- |",
        "|---|---|---|---|---|---|",
    ]
    for s in report.snapshots:
        lines.append(
            f"| #{s.seq} | {s.seconds:.1f} | `{s.commit[:10]}` | {md_inline(s.reason)} | "
            f"{s.changed} of {s.files} | +{s.added} −{s.removed} |"
        )
    return lines


def events(report: RunReport) -> list[str]:
    lines = ["", "## Events", ""]
    lines += [f"- {kind}: {count}" for kind, count in sorted(report.event_counts.items())]
    if report.refusals:
        lines += ["", "## Refused requests", ""]
        lines += [
            f"- #{r.seq} {md_inline(r.what)}: {md_inline(r.reason)} ({r.status_code})"
            for r in report.refusals[:50]
        ]
    return lines


def render_markdown(report: RunReport) -> str:
    parts = [header, summary, result, metrics, failures, routes, submissions, snapshots, events]
    return "\n".join(line for part in parts for line in part(report)) + "\n"
