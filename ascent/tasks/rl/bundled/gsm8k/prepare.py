"""GSM8K (Cobbe et al., 2021) from its official files, read on this machine, never downloaded.

Each record is `{"question": ..., "answer": ...}`; the answer is a worked solution whose
calculations carry calculator annotations (`<<48/2=24>>`) and whose last line is `#### <number>`.
The data is found by `ascent.tasks.rl.kit.load_real`: this task's `raw/` folder,
`$ASCENT_GSM8K_DIR`, `$ASCENT_RL_DATA/gsm8k/`, or the Hugging Face cache (`openai/gsm8k`,
config `main`), in either layout: the dataset repository (`main/train-*.parquet`,
`main/test-*.parquet`) or the original files (`train.jsonl`, `test.jsonl`).

Splits: the official train split, less a seeded dev sample, is public with worked solutions;
the official test split (1319 problems) is the held-out set.
"""

from __future__ import annotations

import random
import re
from pathlib import Path
from typing import Any

from ascent.errors import TaskPrepareError
from ascent.tasks.rl import kit

TEMPLATE = (
    "{question}\nSolve the problem step by step, then give the final answer on the last line "
    'as "Answer: <number>".'
)
DATASET = kit.RealDataset(
    task_id="gsm8k",
    name="GSM8K",
    hf_id="openai/gsm8k",
    hf_config="main",
    env_var="ASCENT_GSM8K_DIR",
    files={
        "train": ["main/train-*.parquet", "train.jsonl", "data/train.jsonl", "**/data/train.jsonl"],
        "test": ["main/test-*.parquet", "test.jsonl", "data/test.jsonl", "**/data/test.jsonl"],
    },
    hf_aliases=("gsm8k",),
)
DEV_SHARE = 0.03  # of the official train split, at least one problem
MAX_DEV = 250

_FINAL = re.compile(r"####\s*(-?[\d,]*\.?\d+)\s*$")
_CALCULATOR = re.compile(r"<<[^<>]*>>")


def final_answer(answer: str) -> str:
    """The number after GSM8K's closing `####`, without thousands separators."""
    match = _FINAL.search(answer.strip())
    if match is None:
        raise ValueError("the answer does not end with '#### <number>'")
    return match.group(1).replace(",", "")


def worked_solution(answer: str) -> str:
    """The solution without calculator annotations, closed by `Answer: <number>` as the task
    asks replies to end."""
    body = _FINAL.sub("", _CALCULATOR.sub("", answer.strip())).rstrip()
    return f"{body}\nAnswer: {final_answer(answer)}".lstrip()


def _problems(rows: list[dict[str, Any]], split: str) -> list[dict[str, str]]:
    out = []
    for index, row in enumerate(rows):
        question, answer = row.get("question"), row.get("answer")
        if not isinstance(question, str) or not isinstance(answer, str) or not question.strip():
            raise TaskPrepareError(
                f"GSM8K {split} record {index} has no 'question' and 'answer' strings",
                hint="the files must be the official GSM8K ones (jsonl or the parquet of openai/gsm8k)",
            )
        try:
            number = final_answer(answer)
        except ValueError as exc:
            raise TaskPrepareError(f"GSM8K {split} record {index}: {exc}") from exc
        out.append(
            {
                "id": f"{split}-{index:05d}",
                "question": question.strip(),
                "answer": number,
                "solution": worked_solution(answer),
            }
        )
    return out


def prepare(raw: Path, public: Path, private: Path, seed: int = 8501) -> None:
    data = kit.load_real(DATASET, raw)
    train = _problems(data["train"], "train")
    test = _problems(data["test"], "test")
    if not train or not test:
        raise TaskPrepareError("the GSM8K train or test split is empty")
    n_dev = min(MAX_DEV, max(1, round(len(train) * DEV_SHARE))) if len(train) > 1 else 0
    dev_ids = set(random.Random(seed).sample([p["id"] for p in train], n_dev))

    def row(problem: dict[str, str], solution: bool) -> dict[str, str]:
        record = {
            "id": problem["id"],
            "prompt": TEMPLATE.format(question=problem["question"]),
            "question": problem["question"],
            "answer": problem["answer"],
        }
        if solution:
            record["solution"] = problem["solution"]
        return record

    kit.write_jsonl(public / "train.jsonl", [row(p, True) for p in train if p["id"] not in dev_ids])
    kit.write_jsonl(public / "dev.jsonl", [row(p, False) for p in train if p["id"] in dev_ids])
    kit.write_jsonl(private / "test.jsonl", [row(p, False) for p in test])
