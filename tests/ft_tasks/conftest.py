"""The bundled fine-tuning tasks, prepared once per session, and their modules."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import yaml

from ascent.config import Paths
from ascent.tasks.ft import kit
from ascent.tasks.prepare import prepare_task
from ascent.tasks.registry import Registry
from ascent.tasks.task import Task, load_module

FT_TASKS = [
    "math-word-problems",
    "finance-calc",
    "chem-element-counts",
    "table-qa",
    "protocol-ordering",
    "patent-classification",
]
# Which source is which, known from each task's prepare.py (never written into the task).
ROLES = {  # task: (clean, noisy, mislabeled, off-domain)
    "math-word-problems": ("textbook", "worksheets", "forum", "puzzles"),
    "finance-calc": ("calculator", "money_forum", "homework", "practice_set"),
    "chem-element-counts": ("compounds", "worksheets", "forum", "quiz_bank"),
    "table-qa": ("tables", "crowd", "forum", "reading"),
    "protocol-ordering": ("protocols", "lab_notes", "student_answers", "kitchen"),
    "patent-classification": ("examiner_labels", "office_export", "crowd_labels", "legal_forum"),
}


@dataclass
class Prepared:
    task: Task
    root: Path
    checksum: str
    ft: dict[str, Any]
    module: ModuleType  # prepare.py
    score: Any  # grade.score

    @property
    def public(self) -> Path:
        return self.root / "public"

    @property
    def dev(self) -> list[dict[str, str]]:
        return kit.read_jsonl(self.public / "dev.jsonl")

    @property
    def test(self) -> list[dict[str, str]]:
        return kit.read_jsonl(self.root / "private" / "test.jsonl")

    def sources(self) -> dict[str, list[dict[str, str]]]:
        return kit.read_sources(self.public)


def task_modules(task: Task) -> tuple[ModuleType, Any]:
    prepare = load_module(task.root / "prepare.py", f"ascent_task_{task.id}")
    grade = load_module(task.root / "grade.py", f"ascent_task_{task.id}")
    return prepare, grade.score


@pytest.fixture(scope="session")
def ft_registry() -> Registry:
    return Registry(plugins=False)


@pytest.fixture(scope="session")
def ft_prepared(ft_registry: Registry, tmp_path_factory: pytest.TempPathFactory):
    paths = Paths(tmp_path_factory.mktemp("ft-home")).ensure()
    cache: dict[str, Prepared] = {}

    def get(task_id: str) -> Prepared:
        if task_id not in cache:
            task = ft_registry.get(task_id)
            done = prepare_task(task, paths)
            ft = yaml.safe_load((task.root / "ft.yaml").read_text(encoding="utf-8"))
            module, score = task_modules(task)
            cache[task_id] = Prepared(task, done.root, done.checksum, ft, module, score)
        return cache[task_id]

    return get
