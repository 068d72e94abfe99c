"""Where ascentlab keeps its state, and the few settings read from the environment.

`ASCENT_HOME` (default `~/.ascent`) holds the SQLite index, prepared task data and run folders.
The CLI's `--home` flag sets it for one command.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

HOME_ENV = "ASCENT_HOME"
TASK_PATH_ENV = "ASCENT_TASK_PATH"


@dataclass(frozen=True)
class Paths:
    """The layout of one ascentlab home directory."""

    home: Path

    @property
    def db(self) -> Path:
        return self.home / "ascent.db"

    @property
    def tasks(self) -> Path:
        """Prepared task data, one folder per task and fingerprint."""
        return self.home / "tasks"

    @property
    def runs(self) -> Path:
        return self.home / "runs"

    @property
    def cache(self) -> Path:
        """Large derived files: converted models, driver answer caches."""
        return self.home / "cache"

    def ensure(self) -> Paths:
        for folder in (self.home, self.tasks, self.runs, self.cache):
            folder.mkdir(parents=True, exist_ok=True)
        return self


def ascent_home(override: str | os.PathLike[str] | None = None) -> Path:
    """The home directory: an explicit override, else `$ASCENT_HOME`, else `~/.ascent`."""
    raw = override or os.environ.get(HOME_ENV) or "~/.ascent"
    return Path(raw).expanduser().resolve()


def get_paths(override: str | os.PathLike[str] | None = None) -> Paths:
    return Paths(ascent_home(override))


def extra_task_dirs() -> list[Path]:
    """Folders named by `$ASCENT_TASK_PATH` (separated like `$PATH`)."""
    raw = os.environ.get(TASK_PATH_ENV, "")
    return [Path(p).expanduser() for p in raw.split(os.pathsep) if p.strip()]
