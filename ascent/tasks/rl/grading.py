"""Grading RL tasks of levels 1 and 2: a model directory, evaluated on held-out prompts.

Generation, model checks and the `copy_model` flag are the fine-tuning family's (`FtGrader`,
driven by the task's `ft.yaml`); what differs is the reward that scores each reply:

- level 1, a rule in `grade.py` (`score(prediction, example)`), which may run code in the
  sandbox: replies are then scored by a small pool of threads, each waiting on its own sandboxed
  process;
- level 2, a judge shipped in `private/`: `grade.py` defines `scorer(private_dir)`, which returns
  the `score` function.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from ascent.errors import GraderError
from ascent.tasks.ft.grading import FtGrader
from ascent.tasks.prepare import PreparedTask

SCORE_WORKERS = 2


class RlGrader(FtGrader):
    def __init__(self, prepared: PreparedTask) -> None:
        super().__init__(prepared)
        module = self.task._module("grade.py")
        make = getattr(module, "scorer", None)
        if callable(make):
            try:
                self._score = make(prepared.private)
            except Exception as exc:
                raise GraderError(
                    f"the judge of '{self.task.id}' cannot be loaded: {type(exc).__name__}: {exc}"
                ) from exc
        self._workers = int(getattr(module, "SCORE_WORKERS", 1))

    def _scores(self, answers: list[str], examples: list[dict]) -> list[float]:
        if self._workers <= 1:
            return super()._scores(answers, examples)
        with ThreadPoolExecutor(max_workers=self._workers) as pool:
            return list(pool.map(self._score_one, answers, examples))


def rl_grader(prepared: PreparedTask) -> RlGrader:
    level = prepared.task.spec.level
    if level not in (1, 2):
        raise GraderError(f"no grader for RL level {level} tasks yet")
    return RlGrader(prepared)
