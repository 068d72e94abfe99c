"""Agent skills of the MLE family: tabular solutions as plans rendered to runnable code."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from ascent.drivers.models import Solution, TaskBrief
from ascent.tasks.mle.skills.plan import MODEL_KINDS, MlePlan, apply_edit, draft_plan
from ascent.tasks.mle.skills.profile import profile_data
from ascent.tasks.mle.skills.render import plan_of, render
from ascent.tasks.skills import ResultLineOutcome

__all__ = ["MlePlan", "MleSkills", "plan_of", "render"]


class MleSkills(ResultLineOutcome):
    family = "mle"
    solution_file = "solution.py"
    output_name = "submission.csv"

    def brief(self, workspace: Path, facts: dict[str, Any], description: str) -> TaskBrief:
        return TaskBrief(
            task_id=str(facts.get("task_id")),
            family="mle",
            description=description[:6000],
            facts=facts,
            profile=profile_data(workspace / "public", facts),
        )

    def draft(self, brief: TaskBrief, index: int, seed: int) -> Solution:
        plan = draft_plan(brief.facts, brief.profile, index, seed)
        return self.solution(plan, brief)

    def solution(self, plan: MlePlan, brief: TaskBrief) -> Solution:
        return Solution(
            code=render(plan, brief.facts), plan=plan.model_dump(), summary=plan.summary()
        )

    def plan(self, solution: Solution) -> MlePlan | None:
        data = solution.plan or plan_of(solution.code)
        try:
            return MlePlan.model_validate(data) if data else None
        except ValueError:
            return None

    def apply(self, solution: Solution, edit: dict[str, Any], brief: TaskBrief) -> Solution:
        plan = self.plan(solution)
        if plan is None:
            raise ValueError("this solution has no plan to edit")
        return self.solution(apply_edit(plan, edit), brief)

    def ensemble(self, solutions: list[Solution], brief: TaskBrief) -> Solution | None:
        plans = [p for p in (self.plan(s) for s in solutions) if p is not None]
        members = [m for p in plans for m in (p.members or [p])]
        if len(members) < 2:
            return None
        merged = MlePlan(model=members[0].model, members=members[:4], folds=plans[0].folds)
        return self.solution(merged, brief)

    def model_kind(self, solution: Solution) -> str | None:
        """The kind of a single model (boosted trees, linear...); None for an ensemble."""
        plan = self.plan(solution)
        if plan is None or plan.members:
            return None
        return MODEL_KINDS.get(plan.model, plan.model)

    def command(self, solution_path: str, out_path: str, quick: bool) -> list[str]:
        return [sys.executable, solution_path, "--out", out_path, *(["--quick"] if quick else [])]
