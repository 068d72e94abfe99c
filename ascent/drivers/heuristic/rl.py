"""Rules for RL post-training tasks: which route for which level, and how to react to feedback.

Routes by level (first drafts live in the skills' `draft_plan`; these rules move between them):
- level 1 (rule reward): supervised first (SFT on correct samples found by rejection sampling,
  or on worked solutions); GRPO with the rule reward only once the model sometimes succeeds,
  since a group whose rewards are all 0 has no advantage to learn from.
- level 2 (judge reward): SFT on the references, then DPO from judge preferences (beta ~0.1);
  judges favour longer replies, so replies growing well past the references' length are a
  warning sign (stronger beta, shorter completions, only clear preferences).
- level 3 (online): SFT warm-up on expert demonstrations, then GRPO on online rollouts; an
  environment's success reward is sparse (one action of an episode earns it), so GRPO's reward
  adds the change of the progress the environment reports (potential-based shaping).

Hyper-parameters stay within what works for small models: group size 4-8, KL beta 0-0.04,
learning rate 1e-6..5e-5 for full weights and ~1e-4 for LoRA, short completions on CPU.
Feedback: reward flat at 0 -> warm up first; KL blow-up or NaN -> smaller steps (and a KL
penalty); replies not in the expected format -> SFT on the format; a reward that raises -> a
supervised route that does not depend on it.
"""

from __future__ import annotations

from typing import Any

from ascent.drivers.heuristic.ft import classify_error
from ascent.drivers.models import Diagnosis, Hypothesis, Outcome, TaskBrief
from ascent.tasks.rl.skills.plan import RlPlan, default_lr

DIRECTIONS = (
    "warmup",
    "shape",
    "rl",
    "format",
    "stabilise",
    "length",
    "preference",
    "underfit",
    "explore",
    "reward_broken",
    "no_judge",
    "oom",
    "timeout",
    "config",
    "tune",
)
GROUP = (4, 8)
KL_BETA = (0.0, 0.04)
LR_FULL = (1e-6, 5e-5)
LR_LORA = 1e-4
KL_LIMIT = 1.0  # mean KL to the reference beyond which the policy has run away


def lr_bounds(plan: RlPlan) -> tuple[float, float]:
    return (1e-6, 2 * LR_LORA) if plan.method == "lora" else LR_FULL


def clamp_lr(plan: RlPlan, value: float) -> float:
    low, high = lr_bounds(plan)
    return min(high, max(low, value))


def _level(brief: TaskBrief) -> int:
    return int(brief.profile.get("level", 1))


def _has_demos(brief: TaskBrief) -> bool:
    return bool(brief.profile.get("demonstrations"))


def diagnose(brief: TaskBrief, plan: RlPlan | None, outcome: Outcome) -> Diagnosis:
    extra = outcome.extra
    evidence = [f"dev score {outcome.valid_score}"]
    if plan is not None:
        evidence.append(f"route {plan.route}")

    def found(
        problem: str, direction: str, gain: float, confidence: float, *more: str
    ) -> Diagnosis:
        return Diagnosis(
            problem=problem,
            evidence=[*evidence, *more],
            direction=direction,
            expected_gain=gain,
            confidence=confidence,
        )

    if not outcome.ok:
        error = outcome.error or ""
        tail = error[-300:]
        if "no /judge route" in error or "no judge available" in error:
            return found("judge verdicts are not available", "no_judge", 0.05, 0.9, tail)
        if "no preference pairs" in error:
            return found("every candidate was judged alike", "explore", 0.03, 0.7, tail)
        if "no demonstrations" in error:
            return found("there is nothing to imitate", "rl", 0.03, 0.7, tail)
        kind, direction = classify_error(error)
        if kind == "DIVERGED":
            return found("training diverged (NaN / inf)", "stabilise", 0.05, 0.9, tail)
        if direction not in DIRECTIONS:
            direction = "config"
        return found(f"the run failed ({kind})", direction, 0.05, 0.8, tail)
    route = plan.route if plan is not None else extra.get("route")
    if extra.get("reward_errors"):
        return found(
            "the reward function raises on some samples",
            "reward_broken",
            0.05,
            0.8,
            f"{extra['reward_errors']} reward errors, last: {extra.get('reward_error')}",
        )
    kl = extra.get("kl_last")
    if kl is not None and kl > KL_LIMIT:
        return found("the policy ran away from the reference", "stabilise", 0.05, 0.8, f"KL {kl}")
    flat = (
        route in ("grpo", "sft_then_grpo")
        and extra.get("reward_last") == 0
        and not extra.get("reward_first")
    )
    if flat and _level(brief) == 3 and plan is not None and not plan.progress_weight:
        return found(
            "GRPO rewards stayed at 0: success alone is too sparse a reward for single steps",
            "shape",
            0.1,
            0.8,
            f"reward {extra.get('reward_first')} -> {extra.get('reward_last')}",
        )
    if flat:
        return found(
            "GRPO rewards stayed at 0: every group is all-fail, no advantage to learn from",
            "warmup",
            0.1,
            0.85,
            f"reward {extra.get('reward_first')} -> {extra.get('reward_last')}",
        )
    if route in ("grpo", "dpo") and extra.get("well_formed", 1.0) < 0.5 and _has_demos(brief):
        return found(
            "replies are mostly not in the expected format",
            "format",
            0.1,
            0.75,
            f"{extra['well_formed']:.0%} well-formed",
        )
    reply, reference = extra.get("reply_words"), extra.get("reference_words")
    if route == "dpo" and reply and reference and reply > 1.5 * reference:
        return found(
            "replies grow far longer than the references: the judge's length bias is being "
            "exploited, which length-controlled scoring does not reward",
            "length",
            0.05,
            0.7,
            f"{reply:.0f} words a reply vs {reference:.0f} in references",
        )
    if route == "sft_rejection":
        sampled, accepted = extra.get("sampled") or 0, extra.get("accepted") or 0
        if accepted > 0:
            return found(
                "the base model sometimes succeeds: a rule reward has signal for GRPO",
                "rl",
                0.08,
                0.7,
                f"{accepted}/{sampled} samples accepted",
            )
        return found(
            "no sample was correct: imitate worked solutions first",
            "warmup",
            0.08,
            0.7,
            f"0/{sampled} samples accepted",
        )
    if route == "sft" and _level(brief) == 2:
        return found("references learned: refine with judge preferences", "preference", 0.05, 0.6)
    if route == "sft" and _level(brief) in (1, 3) and (outcome.valid_score or 0) > 0:
        return found("supervision works: refine online with GRPO", "rl", 0.05, 0.5)
    sft_loss = extra.get("sft_loss")
    if sft_loss is not None and sft_loss > 1.0:
        return found("the supervised phase has not fitted", "underfit", 0.05, 0.6, f"{sft_loss}")
    if route == "sft_then_grpo" and _level(brief) == 3 and not extra.get("rollout_return"):
        return found("online episodes never succeed yet", "warmup", 0.08, 0.6)
    return found("no weakness stands out: explore more per prompt", "tune", 0.02, 0.3)


def wrong_diagnosis(correct: Diagnosis, pick: int) -> Diagnosis:
    opposite = {
        "warmup": "rl",
        "rl": "warmup",
        "format": "tune",
        "stabilise": "tune",
        "length": "preference",
        "preference": "length",
        "underfit": "stabilise",
        "tune": "stabilise",
    }
    direction = opposite.get(correct.direction, DIRECTIONS[pick % len(DIRECTIONS)])
    return Diagnosis(
        problem=f"looks like {direction}",
        evidence=correct.evidence[:1],
        direction=direction,
        expected_gain=correct.expected_gain or 0.01,
        confidence=0.7,
    )


def _route(plan: RlPlan, route: str, **more: Any) -> dict[str, Any]:
    edit: dict[str, Any] = {"route": route, "learning_rate": default_lr(plan.method, route)}
    return {**edit, **more}


def changes(direction: str, brief: TaskBrief, plan: RlPlan) -> list[Hypothesis]:
    out: list[tuple[str, dict[str, Any], float, str]] = []
    demos = _has_demos(brief)
    group = min(GROUP[1], max(GROUP[0], plan.num_generations))
    if direction == "warmup":
        if demos:
            out.append(
                (
                    "route:sft_then_grpo",
                    _route(plan, "sft_then_grpo", num_generations=group),
                    1.0,
                    "warm up on demonstrations so that GRPO groups contain successes",
                )
            )
            out.append(("route:sft", _route(plan, "sft"), 0.8, "imitate the demonstrations"))
        out.append(
            (
                "route:sft_rejection",
                _route(plan, "sft_rejection", samples=min(16, plan.samples * 2)),
                0.5,
                "sample more per prompt and keep the correct ones",
            )
        )
        if plan.route == "sft_then_grpo":
            out.append(("warmup:longer", {"scale": {"sft_steps": 2}}, 0.9, "a longer warm-up"))
    elif direction == "shape":
        out.append(
            (
                "reward:progress",
                {"progress_weight": 0.5},
                1.0,
                "pay each step's progress toward the goal, not only the final success",
            )
        )
    elif direction == "rl":
        route = "sft_then_grpo" if demos else "grpo"
        out.append(
            (
                f"route:{route}",
                _route(plan, route, num_generations=max(group, 8) if _level(brief) == 1 else group),
                1.0,
                "GRPO with the task's reward, now that it has signal",
            )
        )
    elif direction == "format":
        route = "sft_then_grpo" if plan.route == "grpo" else "sft"
        out.append((f"route:{route}", _route(plan, route), 1.0, "SFT teaches the answer format"))
    elif direction == "stabilise":
        out.append(
            (
                "stabilise:lr",
                {
                    "learning_rate": clamp_lr(plan, plan.learning_rate * 0.3),
                    "sft_learning_rate": plan.sft_learning_rate * 0.5,
                    "kl_beta": max(plan.kl_beta, KL_BETA[1]),
                },
                1.0,
                "smaller steps and a KL penalty keep the policy near the reference",
            )
        )
    elif direction == "length":
        out.append(
            (
                "length:control",
                {
                    "dpo_beta": min(0.5, plan.dpo_beta * 3),
                    "min_margin": min(0.5, plan.min_margin * 2),
                    "max_completion_length": max(16, plan.max_completion_length // 2),
                },
                1.0,
                "a stronger beta, only clear preferences and shorter samples curb length drift",
            )
        )
    elif direction == "preference":
        out.append(
            (
                "route:dpo",
                _route(plan, "dpo", dpo_beta=0.1),
                1.0,
                "DPO on pairs ranked by the judge (beta 0.1)",
            )
        )
    elif direction == "underfit":
        out.append(("fit:sft-steps", {"scale": {"sft_steps": 2}}, 1.0, "more supervised steps"))
    elif direction == "explore":
        out.append(
            (
                "explore:samples",
                {"samples": min(16, plan.samples * 2), "temperature": 1.0, "min_margin": 0.02},
                1.0,
                "more, more varied samples make distinguishable pairs",
            )
        )
    elif direction in ("reward_broken", "no_judge"):
        route = "sft" if demos else "sft_rejection"
        out.append((f"route:{route}", _route(plan, route), 1.0, "a route that needs no verdicts"))
    elif direction in ("oom", "timeout"):
        out.append(
            (
                "exec:smaller",
                {
                    "num_generations": GROUP[0],
                    "max_completion_length": max(8, plan.max_completion_length // 2),
                    "scale": {"steps": 0.5, "sft_steps": 0.5, "batch_size": 0.5},
                },
                1.0,
                "smaller groups, shorter completions, fewer steps",
            )
        )
    elif direction == "config":
        out.append(("exec:reset", {}, 0.5, "go back to the known-good recipe"))
    else:  # tune
        if plan.route in ("grpo", "sft_then_grpo"):
            out += [
                (
                    "tune:group",
                    {"num_generations": GROUP[1]},
                    0.6,
                    "a larger group gives a better baseline for the advantage",
                ),
                ("tune:steps", {"scale": {"steps": 2}}, 0.5, "more GRPO steps"),
            ]
        out += [
            (
                "tune:lr-up",
                {"learning_rate": clamp_lr(plan, plan.learning_rate * 1.5)},
                0.4,
                "slightly larger steps",
            ),
            ("tune:sft-steps", {"scale": {"sft_steps": 1.5}}, 0.3, "a longer supervised phase"),
        ]
    return [
        Hypothesis(
            change=c,
            kind=c.split(":")[0],
            rationale=why,
            edit=edit,
            expected_gain=w,
            confidence=0.5,
        )
        for c, edit, w, why in out
    ]


def undirected(brief: TaskBrief, plan: RlPlan) -> list[Hypothesis]:
    pool: list[Hypothesis] = []
    for direction in ("warmup", "rl", "preference", "stabilise", "tune"):
        pool += changes(direction, brief, plan)
    if _level(brief) != 2:
        pool = [h for h in pool if h.edit.get("route") != "dpo"]
    return pool
