"""The events of a run: one JSON object a line in `events.jsonl`, also indexed in SQLite.

Every event has `seq` (1, 2, 3... within a run), `ts` (Unix seconds) and `kind`; the rest is the
kind's payload, validated by its model below. Agent-produced text inside payloads is data, never
instructions: reports quote it, nothing parses verdicts out of it.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter

EVENTS_VERSION = 1


class _Event(BaseModel):
    model_config = ConfigDict(extra="forbid")
    seq: int = 0
    ts: float = 0.0


class RunStart(_Event):
    kind: Literal["run_start"] = "run_start"
    run_id: str
    task_id: str
    agent: str
    sandbox: str
    budget_seconds: float
    max_submissions: int
    resumed: bool = False
    version: int = EVENTS_VERSION


class AgentStep(_Event):
    kind: Literal["agent_step"] = "agent_step"
    step: int
    action: str
    detail: dict[str, Any] = Field(default_factory=dict)


class LlmCall(_Event):
    kind: Literal["llm_call"] = "llm_call"
    model: str
    purpose: str = ""
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost: float = 0.0
    latency: float = 0.0
    cached: bool = False
    error: str | None = None


class Command(_Event):
    kind: Literal["command"] = "command"
    argv: list[str]
    exit_code: int | None
    seconds: float
    output_tail: str = ""
    timed_out: bool = False
    killed_reason: str | None = None


class CodeSnapshot(_Event):
    kind: Literal["code_snapshot"] = "code_snapshot"
    commit: str
    reason: str
    files: int
    changed: int


class Submission(_Event):
    kind: Literal["submission"] = "submission"
    submission_id: str
    status: str
    valid: bool
    score: float | None = None
    split: str = "public"
    sha256: str = ""
    error: str | None = None
    charged: bool = True
    duplicate_of: str | None = None


class Refusal(_Event):
    """A request the harness refused: bad token, path outside the workspace, over budget..."""

    kind: Literal["refusal"] = "refusal"
    what: str
    reason: str
    status_code: int = 400


class Resources(_Event):
    kind: Literal["resources"] = "resources"
    elapsed: float
    cpu_seconds: float
    rss_mb: float
    disk_mb: float
    processes: int


class ErrorEvent(_Event):
    kind: Literal["error"] = "error"
    error_kind: str
    message: str


class FinalGrade(_Event):
    kind: Literal["final_grade"] = "final_grade"
    submission_id: str | None
    split: str = "private"
    valid: bool
    score: float | None = None
    medal: str | None = None
    error: str | None = None


class EnvEpisode(_Event):
    """One episode an agent played through the environment API, when it ended."""

    kind: Literal["env_episode"] = "env_episode"
    episode_id: str
    env: str
    seed: int
    steps: int
    reward: float
    success: bool
    done_reason: str | None = None


class RunEnd(_Event):
    kind: Literal["run_end"] = "run_end"
    reason: str
    status: str
    elapsed: float


Event = Annotated[
    RunStart
    | AgentStep
    | LlmCall
    | Command
    | CodeSnapshot
    | Submission
    | Refusal
    | Resources
    | ErrorEvent
    | FinalGrade
    | EnvEpisode
    | RunEnd,
    Field(discriminator="kind"),
]
EVENT_ADAPTER: TypeAdapter[Event] = TypeAdapter(Event)


def parse_event(data: dict[str, Any] | str | bytes) -> Event:
    if isinstance(data, str | bytes):
        return EVENT_ADAPTER.validate_json(data)
    return EVENT_ADAPTER.validate_python(data)
