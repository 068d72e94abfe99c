"""Rule-based failure taxonomy: each rule looks at the record and cites its evidence.

Rules read events and the ledger (what the harness saw) and agent.log (what the agent printed).
Findings from agent.log are pattern matches on the agent's own output, marked `source:
agent_log`: they point at lines worth reading and never change a score or a status.
"""

from __future__ import annotations

import math
import re
import statistics
from collections.abc import Callable
from dataclasses import dataclass, field

from ascent.analysis.loader import RunData
from ascent.analysis.logs import LogView, Traceback, losses, oom_lines, rewards
from ascent.analysis.metrics import copy_model_submissions
from ascent.analysis.schema import Evidence, Failure, LogLine, TrajectoryPoint
from ascent.record import events as ev

MAX_LINES = 12  # log lines of evidence kept per failure
_ROLLOUT = re.compile(r"\b(reward|rollout|env\.step|episode|generate_completions)", re.I)
_HARNESS_ERRORS = {"sandbox_error"}


@dataclass
class Context:
    data: RunData
    points: list[TrajectoryPoint]
    log: LogView
    tracebacks: list[Traceback] = field(default_factory=list)

    def events(self, kind: type) -> list:
        return [e for e in self.data.events if isinstance(e, kind)]


Rule = Callable[[Context], Failure | None]
RULES: list[Rule] = []


def rule(fn: Rule) -> Rule:
    RULES.append(fn)
    return fn


def _lines(ctx: Context, indices: list[int]) -> list[LogLine]:
    return [ctx.log.line(i) for i in sorted(set(indices))[:MAX_LINES]]


def _traceback_lines(tb: Traceback) -> list[int]:
    return [tb.start, tb.end]


def _is_oom(tb: Traceback) -> bool:
    return "MemoryError" in tb.exception or "out of memory" in tb.exception.lower()


def _is_rollout(tb: Traceback) -> bool:
    return bool(_ROLLOUT.search(tb.text)) and not _is_oom(tb)


@rule
def code_error(ctx: Context) -> Failure | None:
    failed = [
        e
        for e in ctx.events(ev.Command)
        if e.exit_code not in (0, None) and not e.timed_out and not e.killed_reason
    ]
    tracebacks = [tb for tb in ctx.tracebacks if not _is_oom(tb) and not _is_rollout(tb)]
    if not failed and not tracebacks:
        return None
    kinds = sorted({tb.exception.split(":")[0] for tb in tracebacks})
    summary = []
    if tracebacks:
        summary.append(f"{len(tracebacks)} Python traceback(s) in agent.log ({', '.join(kinds)})")
    if failed:
        summary.append(f"{len(failed)} command(s) exited with an error")
    return Failure(
        code="code_error",
        title="Code error at run time",
        party="agent",
        source="agent_log" if tracebacks else "events",
        count=len(tracebacks) + len(failed),
        summary="; ".join(summary),
        evidence=Evidence(
            events=[e.seq for e in failed],
            log_lines=_lines(ctx, [i for tb in tracebacks for i in _traceback_lines(tb)]),
        ),
    )


@rule
def timeout_no_submission(ctx: Context) -> Failure | None:
    state = ctx.data.state
    if state.end_reason != "deadline" or any(p.valid for p in ctx.points):
        return None
    ends = [e.seq for e in ctx.data.events if e.kind in ("final_grade", "run_end")]
    what = "no submission at all" if not ctx.points else "only invalid submissions"
    return Failure(
        code="timeout_no_submission",
        title="Timeout with no valid submission",
        party="agent",
        source="events",
        count=1,
        summary=f"the deadline ({state.budget_seconds:.0f} s) passed with {what}",
        evidence=Evidence(events=ends),
    )


@rule
def invalid_submission(ctx: Context) -> Failure | None:
    invalid = [p for p in ctx.points if p.status == "invalid"]
    if not invalid:
        return None
    errors = list(dict.fromkeys(p.error or "-" for p in invalid))[:3]
    return Failure(
        code="invalid_submission",
        title="Invalid submission format",
        party="agent",
        source="ledger",
        count=len(invalid),
        summary=f"{len(invalid)} submission(s) refused by the grader: " + " | ".join(errors),
        evidence=Evidence(events=[p.seq for p in invalid if p.seq is not None]),
    )


@rule
def copy_model(ctx: Context) -> Failure | None:
    copies = copy_model_submissions(ctx.data)
    if not copies:
        return None
    return Failure(
        code="copy_model",
        title="Copy-of-base-model fallback",
        party="agent",
        source="ledger",
        count=len(copies),
        summary=f"{len(copies)} submission(s) were the base model unchanged: "
        + ", ".join(sid for sid, _ in copies[:5]),
        evidence=Evidence(events=[seq for _, seq in copies if seq is not None]),
    )


@rule
def training_diverged(ctx: Context) -> Failure | None:
    values = losses(ctx.log)
    bad = [i for i, v in values if not math.isfinite(v)]
    finite = [(i, v) for i, v in values if math.isfinite(v)]
    if len(finite) >= 3:
        start = statistics.median(v for _, v in finite[:3])
        bad += [i for i, v in finite if v > 100 and v > 1000 * max(start, 1e-9)]
    if not bad:
        return None
    return Failure(
        code="training_diverged",
        title="Training diverged (NaN or exploding loss)",
        party="agent",
        source="agent_log",
        count=len(set(bad)),
        summary=f"{len(set(bad))} logged loss value(s) were NaN, infinite or exploding",
        evidence=Evidence(log_lines=_lines(ctx, bad)),
    )


@rule
def out_of_memory(ctx: Context) -> Failure | None:
    errors = [e for e in ctx.events(ev.ErrorEvent) if e.error_kind == "out_of_memory"]
    lines = oom_lines(ctx.log) + [tb.end for tb in ctx.tracebacks if _is_oom(tb)]
    if not errors and not lines and ctx.data.state.end_reason != "out_of_memory":
        return None
    return Failure(
        code="out_of_memory",
        title="Out of memory",
        party="agent",
        source="events" if errors else "agent_log",
        count=max(len(errors), 1) if errors else len(set(lines)) or 1,
        summary=(
            f"the sandbox's memory limit ({ctx.data.state.limits.memory_mb} MB) stopped the agent"
            if errors
            else "agent.log reports memory exhaustion"
        ),
        evidence=Evidence(events=[e.seq for e in errors], log_lines=_lines(ctx, lines)),
    )


@rule
def resource_limit(ctx: Context) -> Failure | None:
    errors = [e for e in ctx.events(ev.ErrorEvent) if e.error_kind == "disk_limit"]
    if not errors:
        return None
    return Failure(
        code="resource_limit",
        title="Disk limit reached",
        party="agent",
        source="events",
        count=len(errors),
        summary=errors[0].message,
        evidence=Evidence(events=[e.seq for e in errors]),
    )


@rule
def rollout_logic(ctx: Context) -> Failure | None:
    tracebacks = [tb for tb in ctx.tracebacks if _is_rollout(tb)]
    values = rewards(ctx.log)
    constant = len(values) >= 5 and len({v for _, v in values}) == 1
    if not tracebacks and not constant:
        return None
    parts = []
    if tracebacks:
        parts.append(f"{len(tracebacks)} traceback(s) in reward or rollout code")
    if constant:
        parts.append(f"all {len(values)} logged rewards equal {values[0][1]:g}: no learning signal")
    indices = [i for tb in tracebacks for i in _traceback_lines(tb)]
    indices += [i for i, _ in values[:MAX_LINES]] if constant else []
    return Failure(
        code="rollout_logic",
        title="Rollout or reward logic wrong",
        party="agent",
        source="agent_log",
        count=len(tracebacks) + int(constant),
        summary="; ".join(parts),
        evidence=Evidence(log_lines=_lines(ctx, indices)),
    )


@rule
def sandbox_refusal(ctx: Context) -> Failure | None:
    refusals = ctx.events(ev.Refusal)
    if not refusals:
        return None
    reasons = list(dict.fromkeys(f"{r.what}: {r.reason}" for r in refusals))[:3]
    return Failure(
        code="sandbox_refusal",
        title="Requests refused (leak attempts or rule breaches blocked)",
        party="agent",
        source="events",
        count=len(refusals),
        summary=f"{len(refusals)} request(s) refused: " + " | ".join(reasons),
        evidence=Evidence(events=[r.seq for r in refusals]),
    )


@rule
def driver_malformed(ctx: Context) -> Failure | None:
    calls = [c for c in ctx.events(ev.LlmCall) if c.error]
    errors = [e for e in ctx.events(ev.ErrorEvent) if e.error_kind.startswith("driver")]
    if not calls and not errors:
        return None
    return Failure(
        code="driver_malformed",
        title="Driver answer malformed or failed",
        party="agent",
        source="events",
        count=len(calls) + len(errors),
        summary=f"{len(calls)} LLM call(s) failed or were malformed, {len(errors)} driver error(s)",
        evidence=Evidence(events=[e.seq for e in calls + errors]),
    )


@rule
def budget_exhausted_improving(ctx: Context) -> Failure | None:
    state = ctx.data.state
    valid = [p for p in ctx.points if p.valid]
    out_of_submissions = sum(p.charged for p in ctx.points) >= state.max_submissions
    if len(valid) < 2 or not valid[-1].improved:
        return None
    if state.end_reason != "deadline" and not out_of_submissions:
        return None
    which = "time" if state.end_reason == "deadline" else "submissions"
    return Failure(
        code="budget_exhausted_improving",
        title="Budget exhausted while still improving",
        party="agent",
        source="ledger",
        count=1,
        summary=f"the {which} budget ran out right after a new best public score "
        f"({valid[-1].submission_id})",
        evidence=Evidence(events=[p.seq for p in valid[-2:] if p.seq is not None]),
    )


@rule
def grader_error(ctx: Context) -> Failure | None:
    broken = [p for p in ctx.points if p.status == "grader_error"]
    if not broken:
        return None
    return Failure(
        code="grader_error",
        title="Grader failed (not the agent's fault)",
        party="harness",
        source="ledger",
        count=len(broken),
        summary=f"{len(broken)} submission(s) could not be graded: {broken[0].error or '-'}",
        evidence=Evidence(events=[p.seq for p in broken if p.seq is not None]),
    )


@rule
def sandbox_error(ctx: Context) -> Failure | None:
    errors = [e for e in ctx.events(ev.ErrorEvent) if e.error_kind in _HARNESS_ERRORS]
    if not errors and ctx.data.state.end_reason != "sandbox_error":
        return None
    return Failure(
        code="sandbox_error",
        title="Sandbox failed (not the agent's fault)",
        party="harness",
        source="events",
        count=max(len(errors), 1),
        summary=errors[0].message if errors else "the run ended with a sandbox error",
        evidence=Evidence(events=[e.seq for e in errors]),
    )


def classify(data: RunData, points: list[TrajectoryPoint]) -> list[Failure]:
    log = LogView(data.log_text, data.log_first_line)
    ctx = Context(data, points, log, log.tracebacks())
    return [failure for check in RULES if (failure := check(ctx)) is not None]
