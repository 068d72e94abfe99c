"""The heuristic RL rules: route by level, reactions to feedback, hyper-parameters in range."""

from __future__ import annotations

import pytest

from ascent.drivers.heuristic import HeuristicDriver, rl
from ascent.drivers.models import (
    DiagnoseRequest,
    DraftRequest,
    Outcome,
    ProposeRequest,
    TaskBrief,
)
from ascent.tasks.rl.skills import RlPlan, RlSkills, draft_plan


def brief(level: int, demonstrations: int = 100) -> TaskBrief:
    reward = {1: "numeric", 2: "judge", 3: "env"}[level]
    return TaskBrief(
        task_id="t",
        family="rl",
        description="",
        profile={
            "level": level,
            "reward": reward,
            "reward_kind": {"numeric": "rule"}.get(reward, reward),
            "demonstrations": demonstrations,
            "max_new_tokens": 64,
        },
    )


def ok(**extra) -> Outcome:
    return Outcome(ok=True, quick=False, valid_score=extra.pop("score", 0.2), extra=extra)


def test_first_routes_by_level():
    assert [draft_plan(brief(1).profile, i).route for i in range(3)] == [
        "sft_rejection",
        "sft",
        "grpo",
    ]
    assert [draft_plan(brief(2).profile, i).route for i in range(2)] == ["sft", "dpo"]
    assert draft_plan(brief(2).profile, 1).dpo_beta == pytest.approx(0.1)
    level3 = draft_plan(brief(3).profile, 0)
    assert level3.route == "sft_then_grpo" and level3.reward == "env"
    assert level3.max_completion_length <= 32  # short actions on CPU
    assert level3.progress_weight > 0  # sparse success rewards are shaped by progress
    # without demonstrations nothing supervised can start: GRPO on the reward
    assert draft_plan(brief(3, demonstrations=0).profile, 0).route == "grpo"


def test_default_hyper_parameters_are_in_range():
    for level in (1, 2, 3):
        for index in range(3):
            plan = draft_plan(brief(level).profile, index)
            assert rl.GROUP[0] <= plan.num_generations <= rl.GROUP[1]
            assert rl.KL_BETA[0] <= plan.kl_beta <= rl.KL_BETA[1]
            assert plan.learning_rate <= rl.LR_LORA
    full = RlPlan(method="full", learning_rate=1e-3)
    assert rl.clamp_lr(full, full.learning_rate) == rl.LR_FULL[1]


def test_base_success_decides_between_grpo_and_warm_up():
    plan = RlPlan(route="sft_rejection")
    some = rl.diagnose(brief(1), plan, ok(route="sft_rejection", sampled=40, accepted=3))
    assert some.direction == "rl"
    [move] = rl.changes("rl", brief(1), plan)
    assert move.edit["route"] == "sft_then_grpo" and move.edit["num_generations"] == 8
    none = rl.diagnose(brief(1), plan, ok(route="sft_rejection", sampled=40, accepted=0))
    assert none.direction == "warmup"


def test_flat_zero_reward_means_warm_up_first():
    plan = RlPlan(route="grpo")
    d = rl.diagnose(brief(1), plan, ok(reward_first=0.0, reward_last=0.0, well_formed=0.9))
    assert d.direction == "warmup"
    best = rl.changes(d.direction, brief(1), plan)[0]
    assert best.edit["route"] == "sft_then_grpo"
    # no demonstrations: rejection sampling with more samples instead
    alone = rl.changes("warmup", brief(1, demonstrations=0), plan)
    assert [h.edit["route"] for h in alone] == ["sft_rejection"]


def test_flat_zero_environment_reward_after_warm_up_means_shaping():
    flat = ok(reward_first=0.0, reward_last=0.0, rollout_return=0.25)
    plan = RlPlan(route="sft_then_grpo", reward="env")
    d = rl.diagnose(brief(3), plan, flat)
    assert d.direction == "shape"
    [move] = rl.changes("shape", brief(3), plan)
    skills = RlSkills()
    edited = skills.apply(skills.solution(plan, brief(3)), move.edit, brief(3))
    assert edited.plan["progress_weight"] == pytest.approx(0.5)
    # already shaped, or a level without an environment: warm up first
    shaped = plan.model_copy(update={"progress_weight": 0.5})
    assert rl.diagnose(brief(3), shaped, flat).direction == "warmup"
    assert rl.diagnose(brief(1), RlPlan(route="grpo"), flat).direction == "warmup"


def test_kl_blow_up_and_nan_lower_the_learning_rate():
    plan = RlPlan(route="grpo", learning_rate=1e-4, kl_beta=0.0)
    d = rl.diagnose(brief(1), plan, ok(kl_last=7.5, reward_first=0.2, reward_last=0.1))
    assert d.direction == "stabilise"
    nan = Outcome(ok=False, quick=True, error="DIVERGED: the GRPO loss became nan")
    assert rl.diagnose(brief(1), plan, nan).direction == "stabilise"
    [fix] = rl.changes("stabilise", brief(1), plan)
    assert fix.edit["learning_rate"] < plan.learning_rate
    assert fix.edit["kl_beta"] == rl.KL_BETA[1]


def test_format_failures_mean_sft_on_the_format():
    plan = RlPlan(route="grpo")
    d = rl.diagnose(brief(1), plan, ok(reward_first=0.1, reward_last=0.2, well_formed=0.1))
    assert d.direction == "format"
    assert rl.changes("format", brief(1), plan)[0].edit["route"] == "sft_then_grpo"


def test_length_drift_under_dpo_is_controlled():
    plan = RlPlan(route="dpo", dpo_beta=0.1)
    d = rl.diagnose(brief(2), plan, ok(reply_words=120, reference_words=40, well_formed=1.0))
    assert d.direction == "length"
    [fix] = rl.changes("length", brief(2), plan)
    assert fix.edit["dpo_beta"] > plan.dpo_beta
    assert fix.edit["max_completion_length"] < plan.max_completion_length
    after_sft = rl.diagnose(brief(2), RlPlan(route="sft"), ok())
    assert after_sft.direction == "preference"


def test_failures_that_need_another_route():
    plan = RlPlan(route="dpo")
    no_judge = Outcome(
        ok=False,
        quick=True,
        error="SystemExit: CONFIG: DPO needs judge verdicts, and the grading API has no /judge route",
    )
    assert rl.diagnose(brief(2), plan, no_judge).direction == "no_judge"
    assert rl.changes("no_judge", brief(2), plan)[0].edit["route"] == "sft"
    raising = ok(reward_errors=5, reward_error="ValueError: x")
    assert rl.diagnose(brief(1), RlPlan(route="grpo"), raising).direction == "reward_broken"
    oom = Outcome(ok=False, quick=True, error="out of memory (MemoryError)")
    assert rl.diagnose(brief(1), RlPlan(route="grpo"), oom).direction == "oom"


def test_heuristic_driver_works_on_rl_solutions():
    driver, skills = HeuristicDriver(seed=1), RlSkills()
    b = brief(1)
    solution = driver.draft(DraftRequest(brief=b, index=0))
    assert skills.plan(solution).route == "sft_rejection"
    outcome = ok(route="sft_rejection", sampled=20, accepted=2)
    diagnosis = driver.diagnose(DiagnoseRequest(brief=b, solution=solution, outcome=outcome))
    proposals = driver.propose(
        ProposeRequest(brief=b, solution=solution, outcome=outcome, diagnosis=diagnosis)
    )
    assert proposals[0].change == "route:sft_then_grpo"
    again = driver.propose(
        ProposeRequest(brief=b, solution=solution, outcome=outcome, diagnosis=diagnosis)
    )
    assert again == proposals  # same request, same answer
