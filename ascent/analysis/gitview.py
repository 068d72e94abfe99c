"""Read-only access to a run's code snapshots (`snapshots.git`, a bare shadow repository).

Commits given by users (the web UI's diff viewer) are checked to be hex object names before they
reach git; git runs without system or global config, external diff drivers or text filters.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Iterable
from pathlib import Path

from ascent.errors import AscentError

_COMMIT = re.compile(r"^[0-9a-f]{7,40}$")
MAX_DIFF_BYTES = 2 * 2**20


class SnapshotRepo:
    def __init__(self, git_dir: Path) -> None:
        self.git_dir = git_dir.resolve()
        self._git = shutil.which("git")

    @property
    def available(self) -> bool:
        return self._git is not None and (self.git_dir / "HEAD").is_file()

    def churn(self) -> dict[str, tuple[int, int]]:
        """Lines (added, removed) of every snapshot against the one before it."""
        if not self.available:
            return {}
        out = self._run("log", "--reverse", "--numstat", "--format=@%H", "HEAD", check=False)
        churn: dict[str, tuple[int, int]] = {}
        commit = None
        for line in out.splitlines():
            if line.startswith("@"):
                commit = line[1:].strip()
                churn[commit] = (0, 0)
            elif commit and line.strip():
                added, removed, *_ = line.split("\t")
                a, r = churn[commit]
                churn[commit] = (
                    a + (int(added) if added.isdigit() else 0),
                    r + (int(removed) if removed.isdigit() else 0),
                )
        return churn

    def diff(self, old: str, new: str) -> str:
        """Unified diff between two snapshots (cut at MAX_DIFF_BYTES)."""
        old, new = check_commit(old), check_commit(new)
        if not self.available:
            return ""
        return self._run(
            "diff", "--no-color", "--no-ext-diff", "--no-textconv", old, new, "--", max_bytes=True
        )

    def tree(self, commit: str) -> list[tuple[str, str]]:
        """(path, blob id) of every file in a snapshot."""
        out = self._run("ls-tree", "-r", "-z", check_commit(commit))
        files = []
        for item in out.split("\0"):
            if not item:
                continue
            meta, _, path = item.partition("\t")
            parts = meta.split()
            if len(parts) == 3 and parts[1] == "blob":
                files.append((path, parts[2]))
        return files

    def read_blobs(self, blob_ids: Iterable[str]) -> dict[str, bytes]:
        ids = [b for b in dict.fromkeys(blob_ids) if _COMMIT.match(b)]
        if not ids or not self.available:
            return {}
        assert self._git is not None
        result = subprocess.run(
            [*self._base(), "cat-file", "--batch"],
            input=("\n".join(ids) + "\n").encode(),
            capture_output=True,
            env=self._env(),
            check=True,
        )
        data, blobs, pos = result.stdout, {}, 0
        for blob in ids:
            end = data.index(b"\n", pos)
            header = data[pos:end].split()
            pos = end + 1
            if len(header) < 3 or header[1] == b"missing":
                continue
            size = int(header[2])
            blobs[blob] = data[pos : pos + size]
            pos += size + 1
        return blobs

    def _base(self) -> list[str]:
        assert self._git is not None
        return [self._git, "-c", f"safe.directory={self.git_dir}", f"--git-dir={self.git_dir}"]

    def _env(self) -> dict[str, str]:
        return {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": str(self.git_dir),
            "GIT_CONFIG_NOSYSTEM": "1",
            "GIT_CONFIG_GLOBAL": os.devnull,
            "GIT_TERMINAL_PROMPT": "0",
            "GIT_PAGER": "cat",
            "LC_ALL": "C",
        }

    def _run(self, *args: str, check: bool = True, max_bytes: bool = False) -> str:
        if not self.available:
            raise AscentError(f"{self.git_dir} holds no code snapshots (or git is missing)")
        limit = MAX_DIFF_BYTES if max_bytes else None
        with tempfile.TemporaryFile() as errors:
            process = subprocess.Popen(
                [*self._base(), *args], stdout=subprocess.PIPE, stderr=errors, env=self._env()
            )
            assert process.stdout is not None
            out = process.stdout.read(limit + 1) if limit else process.stdout.read()
            truncated = limit is not None and len(out) > limit
            if truncated:
                process.kill()
                out = out[:limit]
            process.stdout.close()
            code = process.wait()
            errors.seek(0)
            err = errors.read().decode(errors="replace").strip()
        if check and code != 0 and not truncated:
            raise AscentError(f"git {args[0]} failed on {self.git_dir}: {err[:300]}")
        text = out.decode("utf-8", errors="replace")
        return text + ("\n[diff cut at 2 MB]\n" if truncated else "")


def check_commit(commit: str) -> str:
    if not isinstance(commit, str) or not _COMMIT.match(commit):
        raise AscentError(f"'{str(commit)[:60]}' is not a snapshot commit (7-40 hex digits)")
    return commit
