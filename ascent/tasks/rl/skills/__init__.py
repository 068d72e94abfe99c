"""Agent skills of the RL post-training family: a route and recipe rendered to a TRL script."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from ascent.drivers.models import Outcome, Solution, TaskBrief
from ascent.tasks.rendering import parse_outcome, plan_of, render_template
from ascent.tasks.rl.skills.plan import ROUTES, RlPlan, apply_edit, default_lr
from ascent.tasks.rl.skills.profile import profile_task

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
    if level == 3:
        updates.update(max_completion_length=16, num_generations=4)
    return plan.model_copy(update=updates)


class RlSkills:
    family = "rl"
    solution_file = "train.py"
    output_name = "model"
    # Loading a model and TRL takes minutes on a busy CPU machine: the micro-batch check gets
    # minutes, and a full run is bounded by the run's budget rather than a fixed limit.
    quick_timeout = 600.0
    full_timeout = 3600.0

    def brief(self, workspace: Path, facts: dict[str, Any], description: str) -> TaskBrief:
        return TaskBrief(
            task_id=str(facts.get("task_id")),
            family="rl",
            description=description[:6000],
            facts=facts,
            profile=profile_task(workspace / "public", facts, description),
        )

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

    def plan(self, solution: Solution) -> RlPlan | None:
        data = solution.plan or plan_of(solution.code)
        try:
            return RlPlan.model_validate(data) if data else None
        except ValueError:
            return None

    def apply(self, solution: Solution, edit: dict[str, Any], brief: TaskBrief) -> Solution:
        plan = self.plan(solution)
        if plan is None:
            raise ValueError("this solution has no plan to edit")
        return self.solution(apply_edit(plan, edit), brief)

    def ensemble(self, solutions: list[Solution], brief: TaskBrief) -> Solution | None:
        return None  # policies are not averaged: pick the best

    def command(self, solution_path: str, out_path: str, quick: bool) -> list[str]:
        return [sys.executable, solution_path, "--out", out_path, *(["--debug"] if quick else [])]

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
