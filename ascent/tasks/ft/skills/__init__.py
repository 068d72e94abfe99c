"""Agent skills of the fine-tuning family: recipes rendered to a TRL training script."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ascent.drivers.models import Solution, TaskBrief
from ascent.tasks.ft.skills.plan import FtPlan, apply_edit, draft_plan
from ascent.tasks.ft.skills.profile import profile_sources
from ascent.tasks.rendering import render_template
from ascent.tasks.skills import ScriptSkills

TEMPLATE = Path(__file__).with_name("train_template.py")
_FACT_KEYS = ("prompt_template", "answer_pattern", "max_new_tokens")

__all__ = ["FtPlan", "FtSkills"]


class FtSkills(ScriptSkills):
    family = "ft"
    plan_model = FtPlan

    def profile(self, public: Path, facts: dict[str, Any], description: str) -> dict[str, Any]:
        return profile_sources(public, facts)

    def draft(self, brief: TaskBrief, index: int, seed: int) -> Solution:
        return self.solution(draft_plan(index, seed), brief)

    def solution(self, plan: FtPlan, brief: TaskBrief) -> Solution:
        code = render_template(
            TEMPLATE, {k: brief.facts.get(k) for k in _FACT_KEYS}, plan.model_dump()
        )
        return Solution(code=code, plan=plan.model_dump(), summary=plan.summary())

    def apply(self, solution: Solution, edit: dict[str, Any], brief: TaskBrief) -> Solution:
        plan = self.plan(solution)
        if plan is None:
            raise ValueError("this solution has no plan to edit")
        edit = {**edit, "all_sources": sorted(brief.profile.get("sources", {}))}
        return self.solution(apply_edit(plan, edit), brief)
