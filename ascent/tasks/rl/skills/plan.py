"""The structured plan of an RL post-training solution: a route and its training recipe."""

from __future__ import annotations

import copy
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

Route = Literal["sft", "sft_rejection", "grpo", "dpo", "sft_then_grpo"]
RewardKind = Literal["rule", "judge", "env"]
ROUTES: tuple[str, ...] = ("sft", "sft_rejection", "grpo", "dpo", "sft_then_grpo")


class RlPlan(BaseModel):
    model_config = ConfigDict(extra="forbid")

    route: Route = "sft"
    reward: RewardKind = "rule"
    method: Literal["lora", "full"] = "lora"
    lora_r: int = Field(16, ge=1, le=256)
    # the RL phase (GRPO / DPO)
    learning_rate: float = Field(1e-4, gt=0, le=1e-2)
    steps: int = Field(30, ge=1)
    num_generations: int = Field(4, ge=2, le=64, description="GRPO group size.")
    prompts_per_step: int = Field(1, ge=1)
    kl_beta: float = Field(0.0, ge=0.0, le=1.0, description="GRPO KL penalty to the reference.")
    dpo_beta: float = Field(0.1, gt=0.0, le=5.0)
    max_completion_length: int = Field(64, ge=4)
    temperature: float = Field(1.0, gt=0.0, le=2.0)
    # supervised phases (SFT, warm-up, rejection sampling)
    sft_learning_rate: float = Field(2e-4, gt=0, le=1e-2)
    sft_steps: int = Field(60, ge=1)
    samples: int = Field(4, ge=1, le=32, description="Replies sampled a prompt (rejection, DPO).")
    accept_threshold: float = Field(1.0, ge=0.0, le=1.0)
    min_margin: float = Field(0.05, ge=0.0, le=1.0, description="Least verdict gap of a DPO pair.")
    dpo_prompts: int = Field(64, ge=1)
    batch_size: int = Field(8, ge=1)
    max_length: int = Field(384, ge=16)
    max_prompts: int = Field(1000, ge=1)
    # environments (level 3)
    max_turns: int = Field(8, ge=1, le=100)
    progress_weight: float = Field(
        0.0,
        ge=0.0,
        le=1.0,
        description="Weight of the environment's progress change in the GRPO reward (shaping "
        "for sparse success rewards; 0: success alone).",
    )
    env_seeds: list[int] | None = None
    env_eval_seeds: list[int] | None = None
    seed: int = 0
    eval_limit: int = Field(60, ge=1)

    def summary(self) -> str:
        train = f"{self.method}" + (f" r={self.lora_r}" if self.method == "lora" else "")
        if self.route in ("sft", "sft_rejection"):
            what = "SFT on demonstrations" if self.route == "sft" else "rejection-sampled SFT"
            detail = f"lr={self.sft_learning_rate:g}, {self.sft_steps} steps"
            if self.route == "sft_rejection":
                detail += f", {self.samples} samples a prompt"
        elif self.route == "dpo":
            what, detail = "DPO from judge preferences", f"beta={self.dpo_beta:g}"
            detail += f", lr={self.learning_rate:g}, {self.steps} steps"
        else:
            what = (
                "GRPO" if self.route == "grpo" else f"SFT warm-up ({self.sft_steps} steps) + GRPO"
            )
            detail = (
                f"group {self.num_generations}, beta={self.kl_beta:g}, lr={self.learning_rate:g}, "
                f"{self.steps} steps, {self.max_completion_length} tokens"
            )
            if self.reward == "env" and self.progress_weight:
                detail += f", progress shaping {self.progress_weight:g}"
        return f"{what}; {train}, {detail}"


def default_lr(method: str, route: str) -> float:
    """RL phases move the policy little: ~1e-4 with LoRA, ~1e-5 for full weights."""
    if method == "lora":
        return 1e-4 if route != "dpo" else 5e-5
    return 1e-5 if route != "dpo" else 5e-6


def apply_edit(plan: RlPlan, edit: dict[str, Any]) -> RlPlan:
    data = plan.model_dump()
    edit = copy.deepcopy(edit)
    for key, factor in edit.pop("scale", {}).items():
        value = data[key] * factor
        data[key] = max(1, round(value)) if isinstance(data[key], int) else value
    data.update(edit)
    return RlPlan.model_validate(data)
