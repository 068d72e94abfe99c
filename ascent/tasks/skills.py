"""What a task family teaches agents: how to brief a driver, draft, render and run a solution,
and read its outcome. Agent loops are family-agnostic; they only call these."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Protocol

from ascent.drivers.models import Outcome, Solution, TaskBrief
from ascent.errors import AgentError


class Skills(Protocol):
    family: str
    solution_file: str
    output_name: str

    def brief(self, workspace: Path, facts: dict[str, Any], description: str) -> TaskBrief: ...

    def draft(self, brief: TaskBrief, index: int, seed: int) -> Solution: ...

    def apply(self, solution: Solution, edit: dict[str, Any], brief: TaskBrief) -> Solution: ...

    def ensemble(self, solutions: list[Solution], brief: TaskBrief) -> Solution | None: ...

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
