"""DeepSearchQA (Google DeepMind, 2025) over a local corpus, both read on this machine, never
downloaded.

The questions are `DSQA-full.csv` (Hugging Face `google/deepsearchqa`: `problem`,
`problem_category`, `answer`, `answer_type`) or a `questions.jsonl` of `{"question", "answer"}`
lines, found in this task's `raw/` folder, `$ASCENT_DEEPSEARCHQA_DIR` or
`$ASCENT_RL_DATA/deepsearchqa`. The documents to search are the folder `$ASCENT_DEEPSEARCHQA_CORPUS`
or a `corpus/` folder next to the questions (`ascent.tasks.rl.envs.deepsearchqa.read_corpus`).
DeepSearchQA has one split (900 questions): shuffled with the task's seed, half is held out.
"""

from __future__ import annotations

import json
import os
import random
from pathlib import Path

import pandas as pd

from ascent.errors import TaskPrepareError
from ascent.tasks.rl.envs import open_environment
from ascent.tasks.rl.envs.base import EnvConfig, EnvError, write_config
from ascent.tasks.rl.envs.build import finish
from ascent.tasks.rl.envs.deepsearchqa import DsqaQuestion, read_corpus, write_deepsearchqa
from ascent.tasks.rl.envs.rollout import expert_policy_rollout

ENV_VAR = "ASCENT_DEEPSEARCHQA_DIR"
CORPUS_VAR = "ASCENT_DEEPSEARCHQA_CORPUS"
QUESTION_FILES = ("DSQA-full.csv", "DSQA_full.csv", "questions.jsonl")
CSV_COLUMNS = ("problem", "answer")
DEMOS = 40
HINT = (
    "huggingface-cli download google/deepsearchqa --repo-type dataset --local-dir <dir> "
    f'(or write <dir>/questions.jsonl with one {{"question", "answer"}} a line); put the '
    f'documents to search in <dir>/corpus/ (.txt, .md or .jsonl of {{"title", "text"}}); '
    f"export {ENV_VAR}=<dir>, or {CORPUS_VAR}=<corpus folder>"
)


def data_roots(raw: Path) -> list[Path]:
    roots = [raw]
    if os.environ.get(ENV_VAR):
        roots.append(Path(os.environ[ENV_VAR]).expanduser())
    if os.environ.get("ASCENT_RL_DATA"):
        roots.append(Path(os.environ["ASCENT_RL_DATA"]).expanduser() / "deepsearchqa")
    return roots


def find_questions(raw: Path) -> Path:
    for root in data_roots(raw):
        for name in QUESTION_FILES:
            if (root / name).is_file():
                return root / name
    raise TaskPrepareError(
        "the DeepSearchQA questions are not on this machine (looked in raw/, "
        f"${ENV_VAR} and $ASCENT_RL_DATA/deepsearchqa for DSQA-full.csv from "
        "google/deepsearchqa, or questions.jsonl)",
        hint=HINT,
    )


def find_corpus(questions: Path) -> Path:
    folder = Path(os.environ[CORPUS_VAR]).expanduser() if os.environ.get(CORPUS_VAR) else None
    folder = folder or questions.parent / "corpus"
    if not folder.is_dir():
        raise TaskPrepareError(
            f"the document corpus {folder} is not on this machine: DeepSearchQA's questions are "
            "answered by searching documents you provide",
            hint=HINT,
        )
    return folder


def read_questions(path: Path) -> list[DsqaQuestion]:
    if path.suffix == ".csv":
        try:
            frame = pd.read_csv(path, dtype=str, keep_default_na=False)
        except (OSError, ValueError) as exc:
            raise TaskPrepareError(f"{path} cannot be read as CSV: {exc}") from exc
        missing = [c for c in CSV_COLUMNS if c not in frame.columns]
        if missing:
            raise TaskPrepareError(
                f"{path} lacks the column(s) {', '.join(missing)} of DeepSearchQA's "
                "DSQA-full.csv (problem, problem_category, answer, answer_type)"
            )
        rows = [
            (r["problem"], r["answer"], r.get("answer_type", ""), r.get("problem_category", ""))
            for r in frame.to_dict("records")
        ]
    else:
        rows = []
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except ValueError as exc:
                raise TaskPrepareError(f"{path} line {number} is not JSON") from exc
            if not isinstance(record, dict) or not {"question", "answer"} <= record.keys():
                raise TaskPrepareError(
                    f'{path} line {number} must be {{"question": ..., "answer": ...}}'
                )
            kind = str(record.get("answer_type") or "Single Answer")
            rows.append((record["question"], record["answer"], kind, ""))
    questions = [
        DsqaQuestion(
            seed=i,
            problem=str(problem).strip(),
            answer=str(answer).strip(),
            answer_type=str(kind).strip() or "Single Answer",
            category=str(category).strip(),
        )
        for i, (problem, answer, kind, category) in enumerate(rows)
    ]
    return [q for q in questions if q.problem and q.answer]


def prepare(raw: Path, public: Path, private: Path, seed: int = 0) -> None:
    questions_path = find_questions(raw)
    corpus_folder = find_corpus(questions_path)
    questions = read_questions(questions_path)
    try:
        corpus = read_corpus(corpus_folder)
    except EnvError as exc:
        raise TaskPrepareError(exc.message) from exc
    if len(questions) < 2 or not corpus:
        raise TaskPrepareError(
            f"{questions_path} gives {len(questions)} question(s) and {corpus_folder} "
            f"{len(corpus)} document(s); at least 2 questions and 1 document are needed"
        )
    order = [q.seed for q in questions]
    random.Random(seed).shuffle(order)
    n_test = len(order) // 2
    test, train = sorted(order[:n_test]), sorted(order[n_test:])
    write_deepsearchqa(private, corpus, questions)
    config = EnvConfig(
        env="deepsearchqa",
        max_steps=12,
        train_seeds=train,
        test_seeds=test,
        episode_budget=10000,
        max_new_tokens=48,
        eval_batch_size=16,
    )
    # demonstrations: the training questions whose expert episode ends well, listed first
    write_config(private, config)
    env = open_environment(private)
    solved = [s for s in train if expert_policy_rollout(env, s).success][:DEMOS]
    config = config.model_copy(
        update={"train_seeds": solved + [s for s in train if s not in set(solved)]}
    )
    finish(public, private, config, n_demos=len(solved))
