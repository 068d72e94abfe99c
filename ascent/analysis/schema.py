"""The versioned schema of `report.json`.

Every number says which split it comes from: `public` (scored during the run and possibly shown
to the agent), `private` (the final grade, never shown) or `none` (not a score: time, counts,
resources). Text that came from the agent (log lines, command output, paths it submitted) is
kept verbatim as data; renderers quote and escape it and nothing here interprets it.

Version history: 1 (run facts and the public trajectory), 2 (metrics, failures, training routes,
snapshots, resources, events timeline, narrative; all version-1 fields kept).
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from ascent.harness.runstate import FinalResult

REPORT_VERSION = 2

Split = Literal["public", "private", "none"]
Party = Literal["agent", "harness"]
FailureCode = Literal[
    "code_error",
    "timeout_no_submission",
    "invalid_submission",
    "copy_model",
    "training_diverged",
    "out_of_memory",
    "resource_limit",
    "rollout_logic",
    "sandbox_refusal",
    "driver_malformed",
    "budget_exhausted_improving",
    "grader_error",
    "sandbox_error",
]


class MetricInfo(BaseModel):
    """The task's metric as declared by the task (never guessed)."""

    name: str
    higher_is_better: bool


class Metric(BaseModel):
    value: float | None = Field(description="None when it does not apply or cannot be known.")
    unit: str = Field("", description="s, ratio, count, lines, tokens, USD, MB, or the metric.")
    split: Split = "none"
    evidence: list[int] = Field(default_factory=list, description="Event seqs it comes from.")
    note: str = ""


class RunMetrics(BaseModel):
    submissions: Metric = Field(description="Distinct submissions (duplicates excluded).")
    submissions_charged: Metric
    valid_submissions: Metric
    duplicate_submissions: Metric = Field(description="Identical content sent again, not charged.")
    valid_submission_rate: Metric = Field(description="Valid / distinct graded submissions.")
    time_to_first_valid: Metric = Field(description="Active seconds to the first valid one.")
    time_to_first_improvement: Metric = Field(
        description="Active seconds to the first valid submission better than the first valid."
    )
    time_to_best: Metric = Field(description="Active seconds to the best public score.")
    best_public_score: Metric
    final_private_score: Metric
    improvements: Metric = Field(
        description="Valid submissions that set a new best after the first."
    )
    monotonic_ratio: Metric = Field(
        description="Share of consecutive valid submissions that are at least as good as the one "
        "before (1.0: never got worse)."
    )
    copy_model_submissions: Metric = Field(
        description="Submissions that were a copy of the base model (ft/rl)."
    )
    budget_used: Metric = Field(description="Active time used / time budget.")
    submission_budget_used: Metric = Field(description="Charged submissions / allowed.")
    gap_to_deadline: Metric = Field(
        description="Active seconds between the last submission and the deadline."
    )
    code_snapshots: Metric
    code_churn_per_step: Metric = Field(
        description="Mean lines added + removed between consecutive code snapshots."
    )
    commands: Metric
    command_failures: Metric = Field(description="Non-zero exit, timed out or killed.")
    llm_calls: Metric
    llm_prompt_tokens: Metric
    llm_completion_tokens: Metric
    llm_cost: Metric
    llm_errors: Metric
    cpu_seconds: Metric = Field(description="CPU time of the agent's processes, all segments.")
    peak_rss_mb: Metric
    peak_disk_mb: Metric
    peak_processes: Metric
    refusals: Metric


class TrajectoryPoint(BaseModel):
    submission_id: str
    seq: int | None = Field(description="Event seq of its grading (None while pending).")
    seconds: float = Field(description="Active seconds since the run began.")
    status: str
    valid: bool
    score: float | None
    best_so_far: float | None
    improved: bool = Field(description="Set a new best public score.")
    split: Split = "public"
    charged: bool = True
    final: bool = False
    snapshot: str | None = Field(None, description="Code snapshot commit it was made from.")
    error: str | None = None


class SnapshotInfo(BaseModel):
    seq: int
    seconds: float
    commit: str
    reason: str
    files: int
    changed: int
    added: int = 0
    removed: int = 0


class ResourceSample(BaseModel):
    seq: int
    seconds: float
    segment: int
    cpu_seconds: float = Field(description="Cumulative over all segments.")
    rss_mb: float
    disk_mb: float
    processes: int


class RefusalInfo(BaseModel):
    seq: int
    what: str = Field(description="What was refused; may hold an agent-chosen path (data).")
    reason: str
    status_code: int


class TimelineEntry(BaseModel):
    seq: int
    seconds: float
    kind: str
    summary: str = Field(description="One line; may quote agent-produced text (data).")


class LogLine(BaseModel):
    number: int = Field(description="1-based line number in agent.log.")
    text: str = Field(description="Verbatim agent output (data, never instructions).")


class Evidence(BaseModel):
    events: list[int] = Field(default_factory=list)
    log_lines: list[LogLine] = Field(default_factory=list)
    files: list[str] = Field(default_factory=list, description="Snapshot files, `commit:path`.")


class Failure(BaseModel):
    code: FailureCode
    title: str
    party: Party = Field(description="Whose failure: the agent's or the harness's.")
    source: Literal["events", "ledger", "agent_log", "snapshots"]
    count: int
    summary: str
    evidence: Evidence


class RouteUse(BaseModel):
    """One trainer (or TRL command) found in a snapshot."""

    stage: str = Field(description="sft, dpo, grpo, ppo, rloo, orpo, kto, reward_model...")
    trainer: str
    file: str
    line: int
    config: dict[str, str | int | float | bool | None] = Field(default_factory=dict)


class Route(BaseModel):
    stages: list[str] = Field(description="In the order they run, e.g. ['sft', 'grpo'].")
    adapter: Literal["lora", "qlora", "full", "none"]
    rejection_sampling: bool = False
    name: str = Field(description="Readable, e.g. 'SFT warm-up → GRPO (LoRA)'.")


class SnapshotRoute(BaseModel):
    commit: str
    seq: int | None
    route: Route
    uses: list[RouteUse]
    adapter_config: dict[str, str | int | float | bool | None] = Field(default_factory=dict)


class TrainingRoutes(BaseModel):
    snapshots: list[SnapshotRoute] = Field(description="Each snapshot whose route changed.")
    final_route: Route | None = Field(description="Route of the final (chosen) submission.")
    best_route: Route | None = Field(description="Route of the best public submission.")
    log_stages: list[str] = Field(default_factory=list, description="Stages seen in agent.log.")
    log_evidence: list[LogLine] = Field(default_factory=list)


class Narrative(BaseModel):
    source: Literal["template", "driver"]
    text: str
    note: str = Field(description="How it was written; shown with it.")


class RunReport(BaseModel):
    version: int = REPORT_VERSION
    generated_at: str
    run_id: str
    task_id: str
    family: str
    agent: str
    driver: str | None = None
    model: str | None = None
    seed: int | None = None
    sweep_id: str | None = None
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
    segments: int
    trajectory: list[TrajectoryPoint]
    event_counts: dict[str, int]
    refusals: list[RefusalInfo]
    metrics: RunMetrics
    failures: list[Failure]
    routes: TrainingRoutes | None
    snapshots: list[SnapshotInfo]
    resources: list[ResourceSample]
    timeline: list[TimelineEntry]
    timeline_truncated: int = Field(0, description="Events left out of `timeline`.")
    narrative: Narrative


def json_schema() -> str:
    """The JSON schema of report.json (docs/report-schema.json holds the current one)."""
    import json

    return json.dumps(RunReport.model_json_schema(), indent=2, sort_keys=True) + "\n"
