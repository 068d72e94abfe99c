"""What agents ask drivers and what drivers answer: validated objects, never free text.

Requests carry what a family's skills know about the task and the current solution; answers
are checked by these models, so a malformed answer (from an LLM) is caught at the boundary.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class TaskBrief(_Model):
    """The task as drivers see it: facts from INSTRUCTIONS.md plus a profile of the data."""

    task_id: str
    family: str
    description: str = Field(description="description.md, possibly shortened")
    facts: dict[str, Any] = Field(default_factory=dict)
    profile: dict[str, Any] = Field(default_factory=dict)


class Outcome(_Model):
    """What running a solution showed: the signals a diagnosis is made from."""

    ok: bool
    quick: bool = False
    valid_score: float | None = Field(None, description="Local validation (CV) score, task metric.")
    valid_std: float | None = None
    train_score: float | None = None
    seconds: float = 0.0
    error: str | None = Field(None, description="Tail of the traceback when it failed.")
    extra: dict[str, Any] = Field(default_factory=dict, description="Family-specific signals.")
    public_score: float | None = Field(None, description="Public split score, if submitted.")


class Solution(_Model):
    """A candidate: code that runs in the sandbox, and the structured plan it came from."""

    code: str
    plan: dict[str, Any] = Field(default_factory=dict)
    summary: str = ""


class Diagnosis(_Model):
    problem: str = Field(description="What limits the current solution, in one sentence.")
    evidence: list[str] = Field(default_factory=list, description="Signals that show it.")
    direction: str = Field(description="Which kind of change should help.")
    expected_gain: float = Field(0.0, description="Expected improvement of the metric, >= 0.")
    confidence: float = Field(0.5, ge=0.0, le=1.0)


class Hypothesis(_Model):
    change: str = Field(description="A short identifier of the change, e.g. 'regularize:depth'.")
    kind: str = Field(description="Family of change, used by memories: 'regularize', 'model'...")
    rationale: str = ""
    edit: dict[str, Any] = Field(default_factory=dict, description="Structured edit of the plan.")
    expected_gain: float = 0.0
    confidence: float = Field(0.5, ge=0.0, le=1.0)


class DraftRequest(_Model):
    brief: TaskBrief
    index: int = Field(0, description="Which draft: drafts with different indexes must differ.")
    avoid: list[str] = Field(default_factory=list, description="Summaries of earlier drafts.")


class DiagnoseRequest(_Model):
    brief: TaskBrief
    solution: Solution
    outcome: Outcome
    history: list[dict[str, Any]] = Field(default_factory=list)


class ProposeRequest(_Model):
    brief: TaskBrief
    solution: Solution
    outcome: Outcome
    diagnosis: Diagnosis | None = Field(None, description="None: propose undirected changes.")
    successes: list[dict[str, Any]] = Field(default_factory=list)
    failures: list[str] = Field(
        default_factory=list, description="Changes tried already or failed: not to repeat."
    )
    n: int = 4


class ImplementRequest(_Model):
    brief: TaskBrief
    solution: Solution
    hypothesis: Hypothesis


class DebugRequest(_Model):
    brief: TaskBrief
    solution: Solution
    outcome: Outcome


class Proposals(_Model):
    hypotheses: list[Hypothesis] = Field(min_length=1)


CallKind = Literal["draft", "diagnose", "propose", "implement", "debug"]
