"""From an MLE plan to the code of `solution.py`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ascent.tasks.mle.skills.plan import MlePlan
from ascent.tasks.rendering import parse_outcome, plan_of, render_template

TEMPLATE = Path(__file__).with_name("solution_template.py")
_FACT_KEYS = (
    "task_type",
    "metric",
    "higher_is_better",
    "id_column",
    "target_columns",
    "submission_columns",
    "prediction",
    "classes",
)

__all__ = ["parse_outcome", "plan_of", "render"]


def render(plan: MlePlan, facts: dict[str, Any]) -> str:
    return render_template(TEMPLATE, {k: facts.get(k) for k in _FACT_KEYS}, plan.model_dump())
