"""What every command shares: the home folder, the store, the task registry, the consoles."""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from rich.console import Console
from rich.logging import RichHandler

from ascent.config import HOME_ENV, Paths, extra_task_dirs, get_paths
from ascent.store import Store
from ascent.tasks.registry import Registry

console = Console(soft_wrap=True)
err_console = Console(stderr=True, soft_wrap=True)

IMPORTED_TASKS = "imported"


@dataclass
class AppContext:
    home: Path | None = None
    task_dirs: list[Path] = field(default_factory=list)

    @cached_property
    def paths(self) -> Paths:
        return get_paths(self.home).ensure()

    @cached_property
    def store(self) -> Store:
        return Store(self.paths.db)

    @cached_property
    def registry(self) -> Registry:
        imported = self.paths.tasks / IMPORTED_TASKS
        dirs = [*([imported] if imported.is_dir() and any(imported.iterdir()) else [])]
        return Registry([*dirs, *extra_task_dirs(), *self.task_dirs])


_state = AppContext()


def state() -> AppContext:
    return _state


def configure(home: Path | None, task_dirs: list[Path], verbose: bool) -> None:
    global _state
    _state = AppContext(home=home, task_dirs=list(task_dirs))
    if home is not None:
        # Child processes (prepare, graders, runs) see the same home.
        os.environ[HOME_ENV] = str(Path(home).expanduser().resolve())
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.WARNING,
        format="%(message)s",
        handlers=[RichHandler(console=err_console, show_path=False, show_time=False)],
        force=True,
    )
