"""What a task family teaches agents: how to brief a driver, draft, render and run a solution,
and read its outcome. Agent loops are family-agnostic; they only call these."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any, Protocol

from pydantic import BaseModel

from ascent.drivers.models import Outcome, Solution, TaskBrief
from ascent.errors import AgentError
from ascent.tasks.rendering import parse_outcome, plan_of


class Skills(Protocol):
    family: str
    solution_file: str
    output_name: str

    def brief(self, workspace: Path, facts: dict[str, Any], description: str) -> TaskBrief: ...

    def draft(self, brief: TaskBrief, index: int, seed: int) -> Solution: ...

    def apply(self, solution: Solution, edit: dict[str, Any], brief: TaskBrief) -> Solution: ...

    def ensemble(self, solutions: list[Solution], brief: TaskBrief) -> Solution | None: ...

    def model_kind(self, solution: Solution) -> str | None:
        """Which kind of model a single solution is (models of one kind err alike), or None."""
        ...

    def command(self, solution_path: str, out_path: str, quick: bool) -> list[str]: ...

    def outcome(
        self,
        exit_code: int | None,
        output: str,
        seconds: float,
        quick: bool,
        timed_out: bool = False,
        oom: bool = False,
    ) -> Outcome: ...


class ResultLineOutcome:
    """Reads a run's outcome from the `ASCENT_RESULT {...}` line its script prints: how every
    bundled family's solutions report."""

    def outcome(
        self,
        exit_code: int | None,
        output: str,
        seconds: float,
        quick: bool,
        timed_out: bool = False,
        oom: bool = False,
    ) -> Outcome:
        return parse_outcome(exit_code, output, seconds, quick, timed_out, oom)


class ScriptSkills(ResultLineOutcome):
    """Skills of a family whose solution is one training script rendered from a template with
    TASK and PLAN literals (fine-tuning, RL): what they share. A family sets `family`,
    `plan_model`, `quick_flag`, and writes `profile` (the brief's facts read from the data),
    `draft` and `apply`."""

    family: str = ""
    plan_model: type[BaseModel]
    quick_flag = "--quick"
    solution_file = "train.py"
    output_name = "model"
    # Importing torch and TRL and loading even a 135M model takes ~30 s on two idle cores and
    # over five minutes on busy ones (measured at a load of 20): a micro-batch check needs
    # minutes, not seconds, and a full run is bounded by the run's budget instead.
    quick_timeout = 600.0
    full_timeout = 3600.0

    def profile(self, public: Path, facts: dict[str, Any], description: str) -> dict[str, Any]:
        raise NotImplementedError

    def brief(self, workspace: Path, facts: dict[str, Any], description: str) -> TaskBrief:
        return TaskBrief(
            task_id=str(facts.get("task_id")),
            family=self.family,
            description=description[:6000],
            facts=facts,
            profile=self.profile(workspace / "public", facts, description),
        )

    def plan(self, solution: Solution) -> Any:
        """The solution's plan (from the solution, else read from its code); None if neither."""
        data = solution.plan or plan_of(solution.code)
        try:
            return self.plan_model.model_validate(data) if data else None
        except ValueError:
            return None

    def ensemble(self, solutions: list[Solution], brief: TaskBrief) -> Solution | None:
        return None  # trained models are not merged: the best one is kept

    def model_kind(self, solution: Solution) -> str | None:
        return None  # only ensembles need kinds, and these families have none

    def command(self, solution_path: str, out_path: str, quick: bool) -> list[str]:
        flags = [self.quick_flag] if quick else []
        return [sys.executable, solution_path, "--out", out_path, *flags]


def skills_for(family: str) -> Skills:
    if family == "mle":
        from ascent.tasks.mle.skills import MleSkills

        return MleSkills()
    if family == "ft":
        from ascent.tasks.ft.skills import FtSkills

        return FtSkills()
    if family == "rl":
        from ascent.tasks.rl.skills import RlSkills

        return RlSkills()
    raise AgentError(f"no agent skills for the '{family}' family yet")
