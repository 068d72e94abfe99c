"""A task folder, loaded: its spec, its files, and its prepare/grade functions."""

from __future__ import annotations

import hashlib
import importlib.util
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any, Literal

from ascent.errors import TaskSpecError
from ascent.tasks.spec import TaskSpec, load_spec

Layout = Literal["native", "mlebench"]
# Spec fields that shape prepared data; editing others (title, budget...) keeps the cache.
_DATA_FIELDS = {"id", "family", "version", "seed", "public_fraction", "mle"}


@dataclass(frozen=True)
class Task:
    """One task, wherever it came from (bundled, a folder, a plug-in package, MLE-bench)."""

    spec: TaskSpec
    root: Path
    source: str
    layout: Layout = "native"
    # MLE-bench folders keep their own file names; these say where the pieces are.
    answers_name: str | None = None
    _modules: dict[str, ModuleType] = field(default_factory=dict, compare=False, repr=False)

    @property
    def id(self) -> str:
        return self.spec.id

    @property
    def family(self) -> str:
        return self.spec.family

    @property
    def description_path(self) -> Path:
        return self.root / "description.md"

    def description(self) -> str:
        if not self.description_path.is_file():
            raise TaskSpecError(f"task '{self.id}' has no description.md in {self.root}")
        return self.description_path.read_text(encoding="utf-8")

    @property
    def raw_dir(self) -> Path | None:
        raw = self.root / "raw"
        return raw if raw.is_dir() else None

    @property
    def leaderboard_path(self) -> Path | None:
        if self.spec.medals is None:
            return None
        return self.root / self.spec.medals.leaderboard

    def with_base_model(self, name: str) -> Task:
        """The same task on another base model (e.g. a tiny one, to smoke-test a pipeline);
        its baseline, measured on the original model, no longer applies."""
        spec = self.spec.model_copy(update={"base_model": name, "baseline": None})
        return Task(
            spec=spec,
            root=self.root,
            source=self.source,
            layout=self.layout,
            answers_name=self.answers_name,
        )

    def prepare_fn(self) -> Callable[..., Any]:
        return self._function("prepare.py", "prepare")

    def grade_fn(self) -> Callable[..., Any]:
        return self._function("grade.py", "grade")

    def score_fn(self) -> Callable[..., Any]:
        """ft/rl tasks: `score(prediction, example) -> float` for one answer."""
        return self._function("grade.py", "score")

    def ft_spec(self):
        from ascent.tasks.ft.spec import load_ft_spec

        return load_ft_spec(self.root)

    def fingerprint(self) -> str:
        """Changes whenever prepared data could change: spec, prepare code, raw files."""
        digest = hashlib.sha256()
        digest.update(self.spec.model_dump_json(include=_DATA_FIELDS).encode())
        files = [self.root / "prepare.py", self.root / "ft.yaml"]
        if self.raw_dir is not None:
            files += sorted(p for p in self.raw_dir.rglob("*") if p.is_file())
        for path in files:
            if path.is_file():
                digest.update(path.relative_to(self.root).as_posix().encode())
                digest.update(path.read_bytes())
        return digest.hexdigest()[:16]

    def _function(self, filename: str, name: str) -> Callable[..., Any]:
        module = self._module(filename)
        fn = getattr(module, name, None)
        if not callable(fn):
            raise TaskSpecError(f"task '{self.id}': {filename} defines no function {name}()")
        return fn

    def _module(self, filename: str) -> ModuleType:
        if filename not in self._modules:
            path = self.root / filename
            if not path.is_file():
                raise TaskSpecError(
                    f"task '{self.id}' has no {filename} in {self.root}",
                    hint="every task folder needs task.yaml, description.md, prepare.py, grade.py",
                )
            if self.layout == "mlebench":
                from ascent.tasks.mlebench import install_compat

                install_compat()
            self._modules[filename] = load_module(path, f"ascent_task_{self.id}")
        return self._modules[filename]


def load_module(path: Path, prefix: str) -> ModuleType:
    """Import a Python file by path under a unique module name."""
    name = f"{prefix}_{path.stem}_{hashlib.sha1(str(path).encode()).hexdigest()[:8]}"
    name = "".join(c if c.isalnum() or c == "_" else "_" for c in name)
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise TaskSpecError(f"cannot import {path}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    except Exception as exc:
        del sys.modules[name]
        raise TaskSpecError(f"importing {path} failed: {type(exc).__name__}: {exc}") from exc
    return module


def load_task_dir(root: Path, source: str) -> Task:
    """A native task folder (task.yaml) or an MLE-bench competition folder (config.yaml)."""
    root = root.resolve()
    if (root / "task.yaml").is_file():
        return Task(spec=load_spec(root / "task.yaml"), root=root, source=source)
    if (root / "config.yaml").is_file():
        from ascent.tasks.mlebench import load_mlebench_dir

        return load_mlebench_dir(root, source)
    raise TaskSpecError(
        f"{root} is not a task folder",
        hint="a task folder holds task.yaml (or an MLE-bench config.yaml)",
    )
