"""Grading a fine-tuned model directory on the held-out examples of one split."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pandas as pd

from ascent.config import get_paths
from ascent.errors import GraderError, InvalidSubmission
from ascent.tasks.ft.checks import inspect_model_dir
from ascent.tasks.ft.evaluate import generate, load_model, mean
from ascent.tasks.ft.models import ensure_base_model
from ascent.tasks.prepare import PreparedTask

log = logging.getLogger(__name__)


class FtGrader:
    accepts_directory = True

    def __init__(self, prepared: PreparedTask) -> None:
        self.task = prepared.task
        self.spec = self.task.ft_spec()
        try:
            lines = (prepared.private / "test.jsonl").read_text().splitlines()
            self.examples = [json.loads(line) for line in lines if line.strip()]
            splits = pd.read_csv(prepared.split_file, dtype={"id": str})
        except (OSError, ValueError) as exc:
            raise GraderError(
                f"the held-out examples of '{self.task.id}' cannot be read: {exc}"
            ) from exc
        split_of = dict(zip(splits["id"], splits["split"], strict=True))
        for example in self.examples:
            example["split"] = split_of.get(str(example["id"]), "private")
        self._score = self.task.score_fn()
        self.base = ensure_base_model(self.task.spec.base_model or "", get_paths())
        self.on_progress = None

    def baseline(self, split: str = "private"):
        """The untuned base model's score: what a submission must beat."""
        return self.score(self.base, split, measure_base=True)

    def score(self, submission: Path, split: str, measure_base: bool = False):
        from ascent.tasks.grading import Scored

        info = inspect_model_dir(submission, self.base, self.spec.max_model_mb)
        examples = [e for e in self.examples if split == "all" or e["split"] == split]
        if not examples:
            raise GraderError(f"no held-out examples of '{self.task.id}' for split '{split}'")
        if "copy_model" in info.flags and self.task.spec.baseline is not None and not measure_base:
            return Scored(self.task.spec.baseline, len(examples), {"copy_model": True}, info.flags)
        model, tokenizer = load_model(info, self.base)
        try:
            answers = generate(
                model,
                tokenizer,
                [e["prompt"] for e in examples],
                self.spec.max_new_tokens,
                self.spec.eval_batch_size,
                self.on_progress,
            )
        except Exception as exc:  # a model that loads but cannot generate: the submission's fault
            raise InvalidSubmission(
                f"the model failed to generate: {type(exc).__name__}: {exc}"
            ) from exc
        scores = self._scores(answers, examples)
        by_category: dict[str, list[float]] = {}
        for value, example in zip(scores, examples, strict=True):
            by_category.setdefault(str(example.get("category", "all")), []).append(value)
        pattern_ok = sum(1 for a in answers if _matches(self.spec.answer_pattern, a))
        details = {
            "categories": {k: round(mean(v), 5) for k, v in sorted(by_category.items())},
            "well_formed": round(pattern_ok / len(answers), 5),
            "model_kind": info.kind,
        }
        if not answers:
            raise InvalidSubmission("the model produced no answers")
        return Scored(mean(scores), len(examples), details, info.flags)

    def _scores(self, answers: list[str], examples: list[dict]) -> list[float]:
        return [self._score_one(a, e) for a, e in zip(answers, examples, strict=True)]

    def _score_one(self, answer: str, example: dict) -> float:
        try:
            value = float(self._score(answer, example))
        except Exception as exc:
            raise GraderError(
                f"score() of '{self.task.id}' raised {type(exc).__name__}: {exc}"
            ) from exc
        if not 0.0 <= value <= 1.0:
            raise GraderError(f"score() of '{self.task.id}' returned {value}, outside [0, 1]")
        return value


def _matches(pattern: str, text: str) -> bool:
    import re

    try:
        return re.fullmatch(pattern, text.strip()) is not None
    except re.error:
        return False
