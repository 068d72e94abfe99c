"""The structured plan of a fine-tuning solution: a data recipe and a training recipe."""

from __future__ import annotations

import copy
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field


class FtPlan(BaseModel):
    model_config = ConfigDict(extra="forbid")

    # data recipe
    sources: list[str] | None = Field(None, description="Raw sources to use (None: all).")
    dedupe: bool = True
    filter_pattern: bool = True
    normalize_prompts: bool = True
    max_examples: int = Field(1500, ge=8)
    # training recipe
    method: Literal["lora", "full"] = "lora"
    lora_r: int = Field(16, ge=1, le=256)
    lora_alpha: int = Field(32, ge=1)
    lora_dropout: float = Field(0.05, ge=0.0, lt=1.0)
    learning_rate: float = Field(3e-4, gt=0)
    epochs: float = Field(2.0, gt=0)
    max_steps: int = -1
    batch_size: int = Field(8, ge=1)
    max_length: int = Field(256, ge=16)
    # Off by default: a small model's activations fit, and recomputing them costs a third more time.
    gradient_checkpointing: bool = False
    seed: int = 0
    eval_limit: int = Field(60, ge=1)

    def summary(self) -> str:
        data = "all sources" if self.sources is None else f"sources {','.join(self.sources)}"
        if self.dedupe:
            data += ", deduplicated"
        if self.filter_pattern:
            data += ", well-formed answers only"
        train = (
            f"{self.method} r={self.lora_r}" if self.method == "lora" else "full fine-tuning"
        ) + f", lr={self.learning_rate:g}, {self.epochs:g} epochs, batch {self.batch_size}"
        return f"{data}; {train}"


def draft_plan(index: int, seed: int = 0) -> FtPlan:
    """Different first recipes: a careful LoRA, a stronger LoRA, full fine-tuning."""
    variants = [
        {},
        {"lora_r": 32, "lora_alpha": 64, "learning_rate": 5e-4, "epochs": 3.0},
        {"method": "full", "learning_rate": 5e-5, "epochs": 2.0},
    ]
    return FtPlan(seed=seed + index, **variants[index % len(variants)])


def apply_edit(plan: FtPlan, edit: dict[str, Any]) -> FtPlan:
    data = plan.model_dump()
    edit = copy.deepcopy(edit)
    for key, factor in edit.pop("scale", {}).items():
        value = data[key] * factor
        data[key] = max(1, round(value)) if isinstance(data[key], int) else value
    if "drop_sources" in edit:
        drop = set(edit.pop("drop_sources"))
        current = data["sources"] or edit.pop("all_sources", [])
        data["sources"] = [s for s in current if s not in drop]
    edit.pop("all_sources", None)
    data.update(edit)
    return FtPlan.model_validate(data)
