"""RL skills fixtures: a tiny random Llama, small public data sets of each reward kind, and a
runner that renders a route into a script and runs it the way the sandbox does."""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from ascent.drivers.models import Outcome
from ascent.tasks.ft.models import build_tiny_model
from ascent.tasks.rl.skills import RlPlan, RlSkills

TINY_PLAN = {
    "max_completion_length": 8,
    "samples": 2,
    "steps": 2,
    "sft_steps": 2,
    "batch_size": 4,
    "max_length": 96,
    "eval_limit": 4,
    "max_turns": 3,
}


def write_jsonl(path: Path, rows: list[dict[str, Any]]) -> None:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))


def arithmetic_rows(n: int, answer: Callable[[int], str] = lambda i: str(2 * i)) -> list[dict]:
    return [
        {
            "id": f"q{i}",
            "prompt": f"What is {i} + {i}? End with Answer: <number>.",
            "answer": answer(i),
            "solution": f"{i} + {i} = {2 * i}\nAnswer: {2 * i}",
            "category": "two-step",
        }
        for i in range(n)
    ]


def code_rows(n: int) -> list[dict]:
    rows = []
    for i in range(n):
        stub = f'def add_{i}(x: int) -> int:\n    """Return x plus {i}."""\n'
        rows.append(
            {
                "id": f"c{i}",
                "prompt": f"Write the function.\n```python\n{stub}```",
                "stub": stub,
                "entry_point": f"add_{i}",
                "tests": [f"assert add_{i}({k}) == {k + i}" for k in range(3)],
                "solution": f"```python\n{stub}    return x + {i}\n```",
                "category": "numbers",
            }
        )
    return rows


def judge_rows(n: int) -> list[dict]:
    return [
        {
            "id": f"j{i}",
            "prompt": f"Name {i + 2} colours, one a line.",
            "reference": "\n".join(["red", "green", "blue", "cyan", "pink"][: i % 4 + 2]),
            "category": "lists",
        }
        for i in range(n)
    ]


@pytest.fixture(scope="session")
def tiny_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_tiny_model(tmp_path_factory.mktemp("rl-tiny") / "model")


def make_public(root: Path, train: list[dict], dev: list[dict]) -> Path:
    public = root / "public"
    public.mkdir(parents=True, exist_ok=True)
    write_jsonl(public / "train.jsonl", train)
    write_jsonl(public / "dev.jsonl", dev)
    return root


def run_route(
    workspace: Path,
    model: Path,
    plan: dict[str, Any],
    env: dict[str, str] | None = None,
    debug: bool = True,
) -> tuple[Outcome, str]:
    """Render the plan for the workspace's data, run it, and read its outcome."""
    skills = RlSkills()
    brief = skills.brief(workspace, {"task_id": "t", "family": "rl"}, "at most **8 new tokens**")
    solution = skills.solution(RlPlan(**{**TINY_PLAN, **plan}), brief)
    script = workspace / "train.py"
    script.write_text(solution.code)
    home = workspace / ".home"
    home.mkdir(exist_ok=True)
    variables = {
        **os.environ,
        "DATA_PATH": str(workspace / "public"),
        "BASE_MODEL": str(model),
        "HOME": str(home),
        "OMP_NUM_THREADS": "1",
        "TRL_EXPERIMENTAL_SILENCE": "1",
        **(env or {}),
    }
    out = workspace / "output" / "model"
    argv = skills.command(str(script), str(out), quick=debug)
    done = subprocess.run(
        argv, capture_output=True, text=True, env=variables, cwd=workspace, timeout=840
    )
    text = done.stdout + done.stderr
    return skills.outcome(done.returncode, text, 0.0, debug), text
