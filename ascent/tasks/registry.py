"""Where tasks come from: bundled folders, `--task-dir` folders, and plug-in packages.

A plug-in package adds tasks with an entry point in the group `ascent.tasks` whose object is a
folder path, or a callable returning one path or a list of them. Each path is either a task folder
or a folder of task folders.
"""

from __future__ import annotations

import difflib
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from importlib.metadata import entry_points
from pathlib import Path

from ascent.errors import AscentError, TaskNotFound, TaskSpecError
from ascent.tasks.task import Task, load_task_dir

log = logging.getLogger(__name__)

ENTRY_POINT_GROUP = "ascent.tasks"
FAMILIES = ("mle", "ft", "rl")
_PACKAGE_DIR = Path(__file__).parent


def bundled_roots() -> list[Path]:
    return [_PACKAGE_DIR / family / "bundled" for family in FAMILIES]


def is_task_dir(path: Path) -> bool:
    return (path / "task.yaml").is_file() or (path / "config.yaml").is_file()


@dataclass(frozen=True)
class BrokenTask:
    path: Path
    error: str


class Registry:
    """All tasks visible to one command. Later sources win over earlier ones on id clashes:
    bundled, then plug-in packages, then `$ASCENT_TASK_PATH`, then `--task-dir`."""

    def __init__(
        self,
        task_dirs: Iterable[Path] = (),
        *,
        bundled: bool = True,
        plugins: bool = True,
    ) -> None:
        self._tasks: dict[str, Task] = {}
        self.broken: list[BrokenTask] = []
        if bundled:
            for root in bundled_roots():
                self._scan(root, source="bundled", explicit=False)
        if plugins:
            for name, root in _plugin_roots():
                self._scan(root, source=f"plugin:{name}", explicit=False)
        for root in task_dirs:
            self._scan(Path(root).expanduser(), source="dir", explicit=True)

    def all(self, family: str | None = None) -> list[Task]:
        tasks = sorted(self._tasks.values(), key=lambda t: (t.family, t.id))
        return [t for t in tasks if family is None or t.family == family]

    def ids(self) -> list[str]:
        return [t.id for t in self.all()]

    def get(self, task_id: str) -> Task:
        try:
            return self._tasks[task_id]
        except KeyError:
            close = difflib.get_close_matches(task_id, self._tasks, n=3)
            hint = f"did you mean {', '.join(close)}?" if close else "see `ascent tasks list`"
            raise TaskNotFound(f"no task with id '{task_id}'", hint=hint) from None

    def _scan(self, root: Path, source: str, explicit: bool) -> None:
        if not root.is_dir():
            if explicit:
                raise TaskSpecError(f"task folder {root} does not exist")
            return
        if is_task_dir(root):
            self._add(root, source, explicit)
            return
        children = sorted(p for p in root.iterdir() if p.is_dir() and is_task_dir(p))
        if explicit and not children:
            raise TaskSpecError(
                f"{root} holds no task folders",
                hint="a task folder holds task.yaml (or an MLE-bench config.yaml)",
            )
        for child in children:
            self._add(child, source, explicit=False)

    def _add(self, path: Path, source: str, explicit: bool) -> None:
        try:
            task = load_task_dir(path, source)
        except AscentError as exc:
            if explicit:
                raise
            log.warning("skipping broken task folder %s: %s", path, exc)
            self.broken.append(BrokenTask(path, str(exc)))
            return
        previous = self._tasks.get(task.id)
        if previous is not None and previous.root != task.root:
            log.info("task '%s' from %s replaces the one in %s", task.id, path, previous.root)
        self._tasks[task.id] = task


def _plugin_roots() -> list[tuple[str, Path]]:
    roots: list[tuple[str, Path]] = []
    for ep in entry_points(group=ENTRY_POINT_GROUP):
        try:
            obj = ep.load()
            found = obj() if callable(obj) else obj
        except Exception as exc:
            log.warning("task plug-in '%s' failed to load: %s", ep.name, exc)
            continue
        items = found if isinstance(found, list | tuple) else [found]
        roots.extend((ep.name, Path(item)) for item in items)
    return roots
