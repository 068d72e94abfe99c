"""Agent skills of the fine-tuning family: recipes rendered to a TRL training script."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from ascent.drivers.models import Outcome, Solution, TaskBrief
from ascent.tasks.ft.skills.plan import FtPlan, apply_edit, draft_plan
from ascent.tasks.ft.skills.profile import profile_sources
from ascent.tasks.rendering import parse_outcome, plan_of, render_template

TEMPLATE = Path(__file__).with_name("train_template.py")
_FACT_KEYS = ("prompt_template", "answer_pattern", "max_new_tokens")

__all__ = ["FtPlan", "FtSkills"]


class FtSkills:
    family = "ft"
    solution_file = "train.py"
    output_name = "model"
    # Importing torch and TRL and loading even a 135M model takes ~30 s on two idle cores and
    # over five minutes on busy ones (measured at a load of 20): a micro-batch check needs
    # minutes, not seconds, and a full fine-tune is bounded by the run's budget instead.
    quick_timeout = 600.0
    full_timeout = 3600.0

    def brief(self, workspace: Path, facts: dict[str, Any], description: str) -> TaskBrief:
        return TaskBrief(
            task_id=str(facts.get("task_id")),
            family="ft",
            description=description[:6000],
            facts=facts,
            profile=profile_sources(workspace / "public", facts),
        )

    def draft(self, brief: TaskBrief, index: int, seed: int) -> Solution:
        return self.solution(draft_plan(index, seed), brief)

    def solution(self, plan: FtPlan, brief: TaskBrief) -> Solution:
        code = render_template(
            TEMPLATE, {k: brief.facts.get(k) for k in _FACT_KEYS}, plan.model_dump()
        )
        return Solution(code=code, plan=plan.model_dump(), summary=plan.summary())

    def plan(self, solution: Solution) -> FtPlan | None:
        data = solution.plan or plan_of(solution.code)
        try:
            return FtPlan.model_validate(data) if data else None
        except ValueError:
            return None

    def apply(self, solution: Solution, edit: dict[str, Any], brief: TaskBrief) -> Solution:
        plan = self.plan(solution)
        if plan is None:
            raise ValueError("this solution has no plan to edit")
        edit = {**edit, "all_sources": sorted(brief.profile.get("sources", {}))}
        return self.solution(apply_edit(plan, edit), brief)

    def ensemble(self, solutions: list[Solution], brief: TaskBrief) -> Solution | None:
        return None  # model merging is not offered: pick the best instead

    def command(self, solution_path: str, out_path: str, quick: bool) -> list[str]:
        return [sys.executable, solution_path, "--out", out_path, *(["--quick"] if quick else [])]

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
