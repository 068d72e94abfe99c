"""A profile of an RL task's public data: which reward applies and what supervision exists.

Read from the files themselves, so that it holds for every RL task: rows with an `answer` are
scored by the exact-number rule, rows with `tests` by unit tests, rows with a `reference` by the
judge; a task with no training prompts (or whose level is 3) is an environment.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

_TOKENS = re.compile(r"at most \*\*(\d+) new tokens", re.I)


def _rows(path: Path, limit: int = 5000) -> list[dict[str, Any]]:
    if not path.is_file():
        return []
    rows = []
    for line in path.read_text(encoding="utf-8").splitlines()[:limit]:
        if line.strip():
            rows.append(json.loads(line))
    return rows


def reward_of(rows: list[dict[str, Any]], level: int | None) -> str:
    """The concrete reward function a training script uses: numeric, code, judge or env."""
    if level == 3 or not rows:
        return "env"
    keys = set(rows[0])
    if {"tests", "entry_point", "stub"} <= keys:
        return "code"
    if "reference" in keys:
        return "judge"
    if "answer" in keys:
        return "numeric"
    return "env"


def profile_task(public: Path, facts: dict[str, Any], description: str) -> dict[str, Any]:
    rows = _rows(public / "train.jsonl")
    demos = _rows(public / "demonstrations.jsonl")
    level = facts.get("level")
    reward = reward_of(rows, level)
    if level is None:
        level = {"numeric": 1, "code": 1, "judge": 2, "env": 3}[reward]
    with_demo = sum(
        1
        for r in rows
        if any(isinstance(r.get(k), str) and r[k] for k in ("solution", "reference"))
    )
    found = _TOKENS.search(description)
    return {
        "level": int(level),
        "reward": reward,
        "reward_kind": {"numeric": "rule", "code": "rule"}.get(reward, reward),
        "train_prompts": len(rows),
        "demonstrations": with_demo + len(demos),
        "dev_prompts": len(_rows(public / "dev.jsonl")),
        "max_new_tokens": int(found.group(1)) if found else facts.get("max_new_tokens", 128),
    }
