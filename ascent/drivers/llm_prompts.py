"""The messages of each driver call, rendered from the template files in `prompts/`.

One template per call (`draft.md`, `diagnose.md`, `propose.md`, `implement.md`, `debug.md`), a
family folder (`prompts/<family>/`) that can override a call or add its solution contract and
edit vocabulary, `system.md` for the role and `repair.md` for the request that follows a
malformed answer. Request data is shown as JSON; long fields are shortened.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jinja2
from pydantic import BaseModel

from ascent.drivers.models import (
    DebugRequest,
    DiagnoseRequest,
    Diagnosis,
    DraftRequest,
    ImplementRequest,
    Outcome,
    Proposals,
    ProposeRequest,
    TaskBrief,
)

PROMPTS = Path(__file__).with_name("prompts")
CODE_CALLS = ("draft", "implement", "debug")
ANSWERS: dict[str, type[BaseModel]] = {"diagnose": Diagnosis, "propose": Proposals}

# What the code of a family's solution must contain: (marker, what the contract says).
CODE_REQUIREMENTS: dict[str, list[tuple[str, str]]] = {
    "mle": [
        (
            "ASCENT_RESULT",
            'it must print one line `ASCENT_RESULT {"valid_score": ..., "valid_std": ..., '
            '"train_score": ...}`',
        ),
        ("--out", "it must accept `--out PATH` and write the submission there"),
        ("DATA_PATH", "it must read train.csv and test.csv from $DATA_PATH"),
    ]
}

# Where the harness put things on its side: no use to the model, and the code reads $DATA_PATH.
_HOST_FACTS = {"workspace", "data_path", "output_dir"}

Request = DraftRequest | DiagnoseRequest | ProposeRequest | ImplementRequest | DebugRequest


class Prompts:
    def __init__(self, folder: Path = PROMPTS) -> None:
        self.env = jinja2.Environment(
            loader=jinja2.FileSystemLoader(str(folder)),
            undefined=jinja2.StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
            keep_trailing_newline=True,
            autoescape=False,
        )

    def messages(self, call: str, request: Request) -> list[dict[str, str]]:
        context = self.context(call, request)
        family = request.brief.family
        system = self._render(family, "system.md", context)
        user = self._render(family, f"{call}.md", context)
        return [{"role": "system", "content": system}, {"role": "user", "content": user}]

    def repair(self, call: str, family: str, problem: str) -> str:
        context = {"call": call, "problem": problem, "code_call": call in CODE_CALLS}
        return self._render(family, "repair.md", context)

    def context(self, call: str, request: Request) -> dict[str, Any]:
        brief = request.brief
        facts = brief.facts
        context: dict[str, Any] = {
            "call": call,
            "family": brief.family,
            "task_id": brief.task_id,
            "description": brief.description,
            "facts": _json({k: v for k, v in facts.items() if k not in _HOST_FACTS}),
            "profile": _json(brief.profile, limit=4000),
            "metric": facts.get("metric", "the task metric"),
            "higher_is_better": bool(facts.get("higher_is_better", True)),
            "solution_file": _solution_file(brief),
            "reference": "",
            "schema": schema_text(ANSWERS[call]) if call in ANSWERS else "",
        }
        solution = getattr(request, "solution", None)
        if solution is not None:
            context["code"] = solution.code
            context["summary"] = solution.summary
        outcome = getattr(request, "outcome", None)
        if outcome is not None:
            context["outcome"] = outcome_text(outcome)
            context["error"] = (outcome.error or "no error text")[-3000:]
        if isinstance(request, DraftRequest):
            context["index"] = request.index
            context["avoid"] = request.avoid
            context["reference"] = reference_code(brief, request.index)
        elif isinstance(request, DiagnoseRequest):
            context["history"] = _json(request.history[-8:]) if request.history else ""
        elif isinstance(request, ProposeRequest):
            context["diagnosis"] = (
                _json(request.diagnosis.model_dump()) if request.diagnosis else ""
            )
            context["successes"] = _json(request.successes[:12]) if request.successes else ""
            context["failures"] = request.failures[-20:]
            context["n"] = request.n
            context.update(edit_vocabulary(brief))
        elif isinstance(request, ImplementRequest | DebugRequest):
            if isinstance(request, ImplementRequest):
                context["hypothesis"] = _json(request.hypothesis.model_dump())
            if not request.solution.plan:  # code not built from the reference: show it
                context["reference"] = reference_code(brief, 0)
        return context

    def _render(self, family: str, name: str, context: dict[str, Any]) -> str:
        template = self.env.select_template([f"{family}/{name}", name])
        return template.render(**context).strip() + "\n"


def schema_text(model: type[BaseModel]) -> str:
    """The JSON schema of an answer, without the noise of titles."""
    return json.dumps(_untitled(model.model_json_schema()), indent=1)


def outcome_text(outcome: Outcome) -> str:
    data = outcome.model_dump(exclude_none=True)
    data.pop("error", None)  # shown on its own
    data["extra"] = {k: v for k, v in data.get("extra", {}).items() if k != "submission_path"}
    return _json(data, limit=3000)


def reference_code(brief: TaskBrief, index: int) -> str:
    """A complete, working solution of the family for this task (empty if the family has none)."""
    from ascent.tasks.skills import skills_for

    try:
        return skills_for(brief.family).draft(brief, index, 0).code
    except Exception:  # no skills for this family, or facts it cannot use
        return ""


def edit_vocabulary(brief: TaskBrief) -> dict[str, Any]:
    """What a structured `edit` may hold, for families whose solutions are built from plans."""
    if brief.family != "mle":
        return {}
    from ascent.tasks.mle.skills.plan import MlePlan

    schema = MlePlan.model_json_schema()["$defs"]["MlePlan"]["properties"]
    fields = {k: v for k, v in schema.items() if k not in ("members", "seed")}
    return {
        "models": ", ".join(schema["model"]["enum"]),
        "plan_fields": _json(_untitled(fields)),
    }


def code_requirements(family: str) -> list[tuple[str, str]]:
    return CODE_REQUIREMENTS.get(family, [])


def _solution_file(brief: TaskBrief) -> str:
    from ascent.tasks.skills import skills_for

    try:
        return skills_for(brief.family).solution_file
    except Exception:
        return "solution.py"


def _untitled(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _untitled(v) for k, v in value.items() if k != "title"}
    if isinstance(value, list):
        return [_untitled(v) for v in value]
    return value


def _json(value: Any, limit: int = 6000) -> str:
    text = json.dumps(value, indent=1, default=str)
    return text if len(text) <= limit else text[:limit] + "\n... (shortened)"
