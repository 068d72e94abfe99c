"""The family-agnostic agent core: a context that gives an agent everything it may use, a
journal of solution nodes, and the base class every built-in agent implements.

Agents think on the trusted side; the only code they run is the solutions they write, and
that runs in the sandbox. Scores come from running the code (local validation) and from the
grader (public split): never from what a driver claims.
"""

from __future__ import annotations

import json
import threading
import time
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field

from ascent.drivers.base import Driver
from ascent.drivers.models import Diagnosis, Hypothesis, Outcome, Solution, TaskBrief
from ascent.record import events as ev
from ascent.tasks.skills import Skills

QUICK_TIMEOUT = 90.0
FULL_TIMEOUT = 600.0


class Node(BaseModel):
    """One solution an agent tried, with how it came about and how it did."""

    id: int
    trace: int = 0
    parent: int | None = None
    action: str  # draft | improve | debug | merge
    solution: Solution
    hypothesis: Hypothesis | None = None
    diagnosis: Diagnosis | None = None
    outcome: Outcome | None = None
    submission_id: str | None = None
    public_score: float | None = None
    depth: int = 0
    visits: int = 0
    value: float = 0.0

    @property
    def ok(self) -> bool:
        return self.outcome is not None and self.outcome.ok and self.outcome.valid_score is not None


class Journal(BaseModel):
    """Every node of a run, persisted after each step so that a resumed run continues."""

    version: int = 1
    nodes: list[Node] = Field(default_factory=list)
    state: dict[str, Any] = Field(default_factory=dict, description="Agent-specific state.")

    def add(self, **fields: Any) -> Node:
        node = Node(id=len(self.nodes), **fields)
        self.nodes.append(node)
        return node

    def get(self, node_id: int) -> Node:
        return self.nodes[node_id]


@dataclass
class SubmitResult:
    submission_id: str | None
    valid: bool
    score: float | None
    error: str | None
    remaining_submissions: int
    details: dict = field(default_factory=dict)


@dataclass
class AgentContext:
    """What an agent may use. Built by the harness for one run (segment)."""

    brief: TaskBrief
    skills: Skills
    driver: Driver
    workspace: Path  # host path of the workspace
    inside_root: str  # the same folder as the sandbox sees it
    run_in_sandbox: Callable[[list[str], float], Any]  # (argv, timeout) -> ExecResult
    submit_file: Callable[[str], SubmitResult]  # path inside the workspace
    select_submission: Callable[[str], None]
    remaining_seconds: Callable[[], float]
    remaining_submissions: Callable[[], int]
    emit: Callable[[ev._Event], Any]
    journal_path: Path
    seed: int = 0
    options: dict[str, Any] = field(default_factory=dict)
    stop: threading.Event = field(default_factory=threading.Event)
    _step: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def higher_is_better(self) -> bool:
        return bool(self.brief.facts.get("higher_is_better", True))

    def better(self, a: float | None, b: float | None) -> bool:
        """Is validation score `a` better than `b` (None is worst)?"""
        if a is None:
            return False
        if b is None:
            return True
        return a > b if self.higher_is_better else a < b

    def gain(self, new: float | None, old: float | None) -> float:
        """Improvement from `old` to `new`, positive when better, in metric units."""
        if new is None or old is None:
            return 0.0
        return (new - old) if self.higher_is_better else (old - new)

    def should_stop(self, reserve: float = 5.0) -> bool:
        return self.stop.is_set() or self.remaining_seconds() <= reserve

    def step(self, action: str, **detail: Any) -> None:
        with self._lock:
            self._step += 1
            number = self._step
        self.emit(ev.AgentStep(step=number, action=action, detail=_jsonable(detail)))

    def evaluate(self, node: Node, quick: bool) -> Outcome:
        """Write the node's code into the workspace and run it in the sandbox."""
        folder = self.workspace / "solutions" / f"node_{node.id:04d}"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / self.skills.solution_file).write_text(node.solution.code)
        inside = f"{self.inside_root}/solutions/node_{node.id:04d}"
        out = f"{inside}/{self.skills.output_name}"
        argv = self.skills.command(f"{inside}/{self.skills.solution_file}", out, quick)
        # A family whose runs load large models sets its own limits (skills.*_timeout).
        if quick:
            limit = float(getattr(self.skills, "quick_timeout", QUICK_TIMEOUT))
        else:
            limit = float(getattr(self.skills, "full_timeout", FULL_TIMEOUT))
        timeout = max(5.0, min(limit, self.remaining_seconds() - 2.0))
        started = time.monotonic()
        result = self.run_in_sandbox(argv, timeout)
        outcome = self.skills.outcome(
            result.exit_code,
            result.output_tail,
            time.monotonic() - started,
            quick,
            timed_out=result.timed_out,
            oom=result.oom,
        )
        if outcome.ok and not quick:
            outcome.extra["submission_path"] = out
        return outcome

    def submit(self, node: Node) -> SubmitResult | None:
        path = node.outcome.extra.get("submission_path") if node.outcome else None
        if path is None or self.remaining_submissions() <= 0:
            return None
        result = self.submit_file(path)
        node.submission_id = result.submission_id
        node.public_score = result.score
        if result.details and node.outcome is not None:
            node.outcome.extra["public_details"] = result.details
        return result

    def save(self, journal: Journal) -> None:
        tmp = self.journal_path.with_suffix(".tmp")
        tmp.write_text(journal.model_dump_json())
        tmp.replace(self.journal_path)

    def load(self) -> Journal:
        if self.journal_path.is_file():
            return Journal.model_validate_json(self.journal_path.read_text())
        return Journal()


class Agent(ABC):
    name: str = "abstract"
    description: str = ""

    def __init__(self, **options: Any) -> None:
        self.options = options

    @abstractmethod
    def run(self, ctx: AgentContext) -> None:
        """Work until done or `ctx.should_stop()`; the harness grades what was submitted."""


def _jsonable(value: Any) -> Any:
    return json.loads(
        json.dumps(value, default=lambda o: getattr(o, "model_dump", lambda: str(o))())
    )
