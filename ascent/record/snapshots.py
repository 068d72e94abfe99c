"""Code snapshots of a workspace in a shadow git repository (never the agent's own `.git`).

A snapshot is the workspace's code: files below a size limit, skipping data, model weights,
caches and the agent's `.git`. Unchanged code makes no new commit. Each snapshot is recorded as a
`code_snapshot` event whose commit can be diffed against any other.
"""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
import threading
from dataclasses import dataclass
from pathlib import Path

log = logging.getLogger(__name__)

SKIP_DIRS = {
    ".git",
    ".home",
    "public",
    "base_model",
    "__pycache__",
    ".ipynb_checkpoints",
    "node_modules",
    ".venv",
    "venv",
    ".cache",
    "wandb",
    "mlruns",
    "checkpoints",
}
SKIP_SUFFIXES = {
    ".csv",
    ".tsv",
    ".parquet",
    ".feather",
    ".arrow",
    ".npy",
    ".npz",
    ".pkl",
    ".pickle",
    ".joblib",
    ".pt",
    ".pth",
    ".bin",
    ".safetensors",
    ".gguf",
    ".h5",
    ".hdf5",
    ".onnx",
    ".ckpt",
    ".zip",
    ".tar",
    ".gz",
    ".bz2",
    ".xz",
    ".7z",
    ".png",
    ".jpg",
    ".jpeg",
    ".gif",
    ".mp4",
    ".wav",
    ".db",
    ".sqlite",
    ".pyc",
    ".so",
    ".o",
    ".jsonl",
}
MAX_FILE_BYTES = 512 * 1024
MAX_FILES = 5000
_ENV = {
    "GIT_AUTHOR_NAME": "ascent",
    "GIT_AUTHOR_EMAIL": "ascent@localhost",
    "GIT_COMMITTER_NAME": "ascent",
    "GIT_COMMITTER_EMAIL": "ascent@localhost",
    "GIT_CONFIG_NOSYSTEM": "1",
    "GIT_TERMINAL_PROMPT": "0",
}


@dataclass(frozen=True)
class Snapshot:
    commit: str
    files: int
    changed: int


def code_files(root: Path) -> list[str]:
    """Relative paths of the files a snapshot keeps."""
    kept: list[str] = []
    for folder, dirs, files in os.walk(root):
        dirs[:] = sorted(
            d for d in dirs if d not in SKIP_DIRS and not os.path.islink(Path(folder) / d)
        )
        for name in sorted(files):
            path = Path(folder) / name
            if path.suffix.lower() in SKIP_SUFFIXES or path.is_symlink():
                continue
            try:
                if not path.is_file() or path.stat().st_size > MAX_FILE_BYTES:
                    continue
            except OSError:
                continue
            kept.append(path.relative_to(root).as_posix())
            if len(kept) >= MAX_FILES:
                return kept
    return kept


class Snapshotter:
    def __init__(self, git_dir: Path, work_tree: Path) -> None:
        self.git_dir = git_dir
        self.work_tree = work_tree
        self._git = shutil.which("git")
        self._lock = threading.Lock()
        if self._git is None:
            log.warning("git is not installed: code snapshots are off")
        elif not (git_dir / "HEAD").exists():
            self._run("init", "--quiet", "--bare", str(git_dir), bare=True)

    @property
    def enabled(self) -> bool:
        return self._git is not None

    def snapshot(self, message: str) -> Snapshot | None:
        if self._git is None:
            return None
        with self._lock:
            files = code_files(self.work_tree)
            self._run("read-tree", "--empty")
            if files:
                self._run("add", "--force", "--pathspec-from-file=-", stdin="\n".join(files))
            tree = self._run("write-tree").strip()
            parent = self._head()
            if parent is not None and self._run("rev-parse", f"{parent}^{{tree}}").strip() == tree:
                return Snapshot(parent, len(files), 0)
            args = ["commit-tree", tree, "-m", message]
            if parent is not None:
                args += ["-p", parent]
            commit = self._run(*args).strip()
            self._run("update-ref", "HEAD", commit)
            changed = self._changed(parent, commit)
            return Snapshot(commit, len(files), changed)

    def diff(self, old: str, new: str) -> str:
        return self._run("diff", "--no-color", old, new) if self._git else ""

    def _changed(self, parent: str | None, commit: str) -> int:
        if parent is None:
            return len(self._run("ls-tree", "-r", "--name-only", commit).split())
        return len(
            self._run("diff-tree", "--no-commit-id", "--name-only", "-r", parent, commit).split()
        )

    def _head(self) -> str | None:
        try:
            return self._run("rev-parse", "--verify", "--quiet", "HEAD").strip() or None
        except subprocess.CalledProcessError:
            return None

    def _run(self, *args: str, stdin: str | None = None, bare: bool = False) -> str:
        assert self._git is not None
        env = {**_ENV, "PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(self.git_dir)}
        command = (
            [self._git, *args]
            if bare
            else [self._git, f"--git-dir={self.git_dir}", f"--work-tree={self.work_tree}", *args]
        )
        return subprocess.run(
            command,
            input=stdin,
            capture_output=True,
            text=True,
            check=True,
            env=env,
            cwd=self.work_tree,
        ).stdout
