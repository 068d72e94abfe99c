"""HumanEval (Chen et al., 2021) from its official files, read on this machine, never downloaded.

Each record is `{"task_id", "prompt", "canonical_solution", "test", "entry_point"}`: `prompt`
holds the imports, the signature and the docstring; `canonical_solution` the body completing
it; `test` a program defining `check(candidate)`. The data is found by
`ascent.tasks.rl.kit.load_real`: this task's `raw/` folder, `$ASCENT_HUMANEVAL_DIR`,
`$ASCENT_RL_DATA/humaneval/`, or the Hugging Face cache (`openai/openai_humaneval`), in either
layout: the original `HumanEval.jsonl.gz` or the dataset repository's parquet file.

HumanEval has a single split of 164 problems. A seeded 40% of them is public: training problems
with their solutions and tests, and a dev quarter of those without solutions; the other 60% is
the held-out set, so the public files and the held-out set never share a problem.
"""

from __future__ import annotations

import ast
import random
from pathlib import Path
from typing import Any

from ascent.errors import TaskPrepareError
from ascent.tasks.rl import kit

TEMPLATE = (
    "Complete the following Python function. Reply with the complete function in a ```python "
    "code block.\n\n```python\n{prompt}```"
)
DATASET = kit.RealDataset(
    task_id="humaneval",
    name="HumanEval",
    hf_id="openai/openai_humaneval",
    hf_config=None,
    env_var="ASCENT_HUMANEVAL_DIR",
    files={
        "test": [
            "HumanEval.jsonl.gz",
            "HumanEval.jsonl",
            "data/HumanEval.jsonl.gz",
            "**/HumanEval.jsonl.gz",
            "openai_humaneval/test-*.parquet",
            "test.jsonl",
        ]
    },
    hf_aliases=("openai_humaneval",),
)
FIELDS = ("task_id", "prompt", "canonical_solution", "test", "entry_point")
PUBLIC_SHARE = 0.4  # train and dev; the rest is held out
DEV_SHARE = 0.25  # of the public share


def _problem(row: dict[str, Any], index: int) -> dict[str, str]:
    missing = [f for f in FIELDS if not isinstance(row.get(f), str) or not row[f].strip()]
    if missing:
        raise TaskPrepareError(
            f"HumanEval record {index} lacks {', '.join(missing)}",
            hint="the file must be the official HumanEval.jsonl.gz (or openai/openai_humaneval)",
        )
    problem = {f: str(row[f]) for f in FIELDS}
    try:
        ast.parse(problem["prompt"] + problem["canonical_solution"])
        tests = ast.parse(problem["test"])
    except SyntaxError as exc:
        raise TaskPrepareError(
            f"HumanEval {problem['task_id']} is not valid Python: {exc}"
        ) from exc
    if not any(isinstance(s, ast.FunctionDef) and s.name == "check" for s in tests.body):
        raise TaskPrepareError(f"the tests of HumanEval {problem['task_id']} define no check()")
    return problem


def prepare(raw: Path, public: Path, private: Path, seed: int = 1640) -> None:
    rows = kit.load_real(DATASET, raw)["test"]
    problems = [_problem(row, i) for i, row in enumerate(rows)]
    ids = [p["task_id"] for p in problems]
    if len(set(ids)) != len(ids):
        raise TaskPrepareError("HumanEval task ids repeat: the file is not the official one")
    if len(problems) < 2:
        raise TaskPrepareError(f"HumanEval holds {len(problems)} problem(s); it needs at least 2")
    n_public = min(len(problems) - 1, max(1, round(len(problems) * PUBLIC_SHARE)))
    rng = random.Random(seed)
    public_ids = rng.sample(ids, n_public)
    dev_ids = set(public_ids[: round(n_public * DEV_SHARE)])
    train_ids = set(public_ids) - dev_ids

    def row(p: dict[str, str], solution: bool) -> dict[str, str]:
        record = {
            "id": p["task_id"],
            "prompt": TEMPLATE.format(prompt=p["prompt"]),
            "stub": p["prompt"],
            "entry_point": p["entry_point"],
            "tests": p["test"],
        }
        if solution:
            record["solution"] = p["prompt"] + p["canonical_solution"]
        return record

    held_out = set(ids) - set(public_ids)
    kit.write_jsonl(
        public / "train.jsonl", [row(p, True) for p in problems if p["task_id"] in train_ids]
    )
    kit.write_jsonl(
        public / "dev.jsonl", [row(p, False) for p in problems if p["task_id"] in dev_ids]
    )
    kit.write_jsonl(
        private / "test.jsonl", [row(p, False) for p in problems if p["task_id"] in held_out]
    )
