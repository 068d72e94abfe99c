"""Agent skills of the RL post-training family: a route and recipe rendered to a TRL script."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ascent.drivers.models import Solution, TaskBrief
from ascent.tasks.rendering import render_template
from ascent.tasks.rl.skills.plan import ROUTES, RlPlan, apply_edit, default_lr
from ascent.tasks.rl.skills.profile import profile_task
from ascent.tasks.skills import ScriptSkills

TEMPLATE = Path(__file__).with_name("train_template.py")

__all__ = ["ROUTES", "RlPlan", "RlSkills", "draft_plan"]


def draft_plan(profile: dict[str, Any], index: int, seed: int = 0) -> RlPlan:
    """First recipes by level, most reliable first (supervised routes win most often on small
    models; RL phases refine what supervision started):
    level 1: rejection-sampled SFT, SFT on worked solutions, GRPO with the rule reward;
    level 2: SFT on references, DPO from judge preferences;
    level 3: SFT warm-up on expert demonstrations then GRPO on online rollouts, SFT alone."""
    level, kind = profile.get("level", 1), profile.get("reward_kind", "rule")
    routes = {
        1: ["sft_rejection", "sft", "grpo"],
        2: ["sft", "dpo"],
        3: ["sft_then_grpo", "sft"],
    }.get(level, ["sft"])
    if not profile.get("demonstrations"):
        routes = [r for r in routes if r not in ("sft", "sft_then_grpo")] or ["grpo"]
    route = routes[index % len(routes)]
    plan = RlPlan(route=route, reward=kind, seed=seed + index)  # type: ignore[arg-type]
    updates: dict[str, Any] = {"learning_rate": default_lr(plan.method, route)}
    if route == "dpo":
        updates["dpo_beta"] = 0.1
    if level == 3:  # short actions; shaping, since success alone rarely pays a single step
        updates.update(max_completion_length=16, num_generations=4, progress_weight=0.5)
    return plan.model_copy(update=updates)


class RlSkills(ScriptSkills):
    family = "rl"
    plan_model = RlPlan
    quick_flag = "--debug"

    def profile(self, public: Path, facts: dict[str, Any], description: str) -> dict[str, Any]:
        return profile_task(public, facts, description)

    def draft(self, brief: TaskBrief, index: int, seed: int) -> Solution:
        return self.solution(draft_plan(brief.profile, index, seed), brief)

    def solution(self, plan: RlPlan, brief: TaskBrief) -> Solution:
        task = {
            "reward": brief.profile.get("reward", "numeric"),
            "max_new_tokens": brief.profile.get("max_new_tokens", 128),
            "answer_pattern": brief.facts.get("answer_pattern"),
        }
        code = render_template(TEMPLATE, task, plan.model_dump())
        return Solution(code=code, plan=plan.model_dump(), summary=plan.summary())

    def apply(self, solution: Solution, edit: dict[str, Any], brief: TaskBrief) -> Solution:
        plan = self.plan(solution)
        if plan is None:
            raise ValueError("this solution has no plan to edit")
        return self.solution(apply_edit(plan, edit), brief)
