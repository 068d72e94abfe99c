"""The offline driver: reasoning by rules of ML practice, no model, no network.

A `quality` knob in [0, 1] degrades it the way a weaker LLM is degraded: with probability
1 - quality a diagnosis is replaced by a plausible wrong one, and an edit, draft or fix carries a
bug. Randomness is derived from the seed and the request itself, so the same request gets the
same answer whichever thread asks and in whatever order: same seed, same trajectory.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

import numpy as np

from ascent.drivers.base import Driver
from ascent.drivers.heuristic import mle
from ascent.drivers.models import (
    DebugRequest,
    DiagnoseRequest,
    Diagnosis,
    DraftRequest,
    Hypothesis,
    ImplementRequest,
    ProposeRequest,
    Solution,
    TaskBrief,
)
from ascent.errors import DriverError
from ascent.tasks.skills import skills_for

# Small mistakes a weak implementer makes in generated code; each breaks the run in its own way.
BUGS = [
    ('TASK["id_column"]: str', 'TASK["id_col"]: str'),
    ("submission[column] = values[:, j]", "submission[column] = values[:, j + 1]"),
    ("    pipeline.fit(xt, y)\n", "    pipeline.fit(xt, y[: len(y) // 2])\n"),
    ("return np.mean(outputs, axis=0)", "return np.mean(outputs, axis=1)"),
]


def _key(request: Any) -> str:
    """What an answer may depend on: the request without wall-clock readings, so that the same
    question gets the same answer in every run."""
    return json.dumps(_without_timing(request.model_dump()), sort_keys=True, default=str)


def _without_timing(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _without_timing(v) for k, v in value.items() if k != "seconds"}
    if isinstance(value, list):
        return [_without_timing(v) for v in value]
    return value


def _rules(family: str):
    """The rule book of a task family."""
    if family == "ft":
        from ascent.drivers.heuristic import ft

        return ft
    if family == "rl":
        from ascent.drivers.heuristic import rl

        return rl
    return mle


class HeuristicDriver(Driver):
    name = "heuristic"

    def __init__(self, quality: float = 1.0, seed: int = 0) -> None:
        if not 0.0 <= quality <= 1.0:
            raise DriverError(f"quality must be in [0, 1], got {quality}")
        self.quality = quality
        self.seed = seed

    def describe(self) -> dict:
        return {"driver": self.name, "quality": self.quality}

    # -- the five calls ------------------------------------------------------------------------
    def draft(self, request: DraftRequest) -> Solution:
        skills = skills_for(request.brief.family)
        solution = skills.draft(request.brief, request.index, self.seed)
        # A family whose data can be judged before any training gets a first recipe that does.
        first_edit = getattr(_rules(request.brief.family), "draft_edit", None)
        plan = self._plan(request.brief, solution)
        if first_edit is not None and plan is not None:
            edit = first_edit(request.brief, plan)
            if edit:
                solution = skills.apply(solution, edit, request.brief)
        return self._maybe_bug(solution, "draft", _key(request))

    def diagnose(self, request: DiagnoseRequest) -> Diagnosis:
        plan = self._plan(request.brief, request.solution)
        rules = _rules(request.brief.family)
        correct = rules.diagnose(request.brief, plan, request.outcome)
        rng = self._rng("diagnose", _key(request))
        if rng.random() > self.quality:
            return rules.wrong_diagnosis(correct, int(rng.integers(0, 1000)))
        return correct

    def propose(self, request: ProposeRequest) -> list[Hypothesis]:
        plan = self._plan(request.brief, request.solution)
        if plan is None:
            raise DriverError(
                "the heuristic driver can only edit solutions it can read the plan of"
            )
        rules = _rules(request.brief.family)
        if request.diagnosis is not None:
            pool = rules.changes(request.diagnosis.direction, request.brief, plan)
            scale, confidence = request.diagnosis.expected_gain, request.diagnosis.confidence
        else:
            pool = rules.undirected(request.brief, plan)
            scale, confidence = 0.01, 0.3
        pool = [h for h in pool if self._changes_plan(request, h)]
        failed = set(request.failures)
        fresh = [h for h in pool if h.change not in failed]
        if not fresh and request.diagnosis is not None:
            # Everything this diagnosis suggests has been tried: look elsewhere.
            fresh = [h for h in rules.undirected(request.brief, plan) if h.change not in failed]
            scale, confidence = scale * 0.5, confidence * 0.5
        pool = fresh or pool
        rng = self._rng("propose", _key(request))
        scored = []
        for h in pool:
            gain = scale * h.expected_gain
            if request.diagnosis is None:
                gain *= rng.uniform(0.5, 1.5)  # undirected: no reason to prefer one change
            scored.append(
                h.model_copy(update={"expected_gain": round(gain, 8), "confidence": confidence})
            )
        if request.diagnosis is None:
            order = rng.permutation(len(scored))
            scored = [scored[i] for i in order]
        else:
            scored.sort(key=lambda h: -h.expected_gain)
        return scored[: request.n]

    def implement(self, request: ImplementRequest) -> Solution:
        skills = skills_for(request.brief.family)
        try:
            solution = skills.apply(request.solution, request.hypothesis.edit, request.brief)
        except ValueError as exc:
            raise DriverError(f"cannot apply {request.hypothesis.change}: {exc}") from exc
        return self._maybe_bug(solution, "implement", _key(request))

    def debug(self, request: DebugRequest) -> Solution:
        """Re-derive the code from its plan: every bug above lives in the code, not the plan."""
        skills = skills_for(request.brief.family)
        plan = self._plan(request.brief, request.solution)
        if plan is None:
            raise DriverError("cannot repair code without its plan")
        repaired = skills.apply(request.solution, {}, request.brief)
        return self._maybe_bug(repaired, "debug", _key(request))

    # -- helpers -------------------------------------------------------------------------------
    @staticmethod
    def _changes_plan(request: ProposeRequest, hypothesis: Hypothesis) -> bool:
        """An edit that leaves the plan as it is would only waste a run."""
        if hypothesis.edit.get("ensemble") or not hypothesis.edit:
            return True
        skills = skills_for(request.brief.family)
        try:
            edited = skills.apply(request.solution, hypothesis.edit, request.brief)
        except ValueError:
            return False
        return edited.plan != request.solution.plan

    def _plan(self, brief: TaskBrief, solution: Solution):
        return skills_for(brief.family).plan(solution)  # type: ignore[attr-defined]

    def _maybe_bug(self, solution: Solution, call: str, key: str) -> Solution:
        rng = self._rng(call, key)
        if rng.random() <= self.quality:
            return solution
        candidates = [(old, new) for old, new in BUGS if old in solution.code]
        if not candidates:
            return solution
        old, new = candidates[int(rng.integers(0, len(candidates)))]
        return solution.model_copy(update={"code": solution.code.replace(old, new, 1)})

    def _rng(self, *parts: str) -> np.random.Generator:
        digest = hashlib.sha256("\x1f".join((str(self.seed), *parts)).encode()).digest()
        return np.random.default_rng(int.from_bytes(digest[:8], "little"))
