"""The run folder the Ray head packs for an attempt: taken only once no other attempt writes in
it. A real second process holds the run's lock and keeps saving state the way a cell process
that lost its Ray worker does while it stops."""

from __future__ import annotations

import io
import json
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest

from ascent.errors import AscentError
from ascent.execution.ray_executor import snapshot, unpack
from tests.execution.conftest import wait_for

# Holds the lock, then saves run.json 200 times through a temporary file renamed into place
# (as the run state is saved), then leaves a marker and lets go.
STOPPING_CELL = """
import os, sys, time
from pathlib import Path
from ascent.execution.cellproc import LOCK_NAME, file_lock

run_dir, ready, saves = Path(sys.argv[1]), Path(sys.argv[2]), int(sys.argv[3])
with file_lock(run_dir / LOCK_NAME, 10, "test"):
    ready.touch()
    for n in range(saves):
        tmp = run_dir / "run.json.tmp"
        tmp.write_text('{"saved": %d}' % n)
        os.replace(tmp, run_dir / "run.json")
        (run_dir / f"scratch-{n}").write_text("x")
        (run_dir / f"scratch-{n}").unlink()
        time.sleep(0.005)
    (run_dir / "saved-last").write_text("done")
"""


def _start(run_dir: Path, ready: Path, saves: int) -> subprocess.Popen:
    child = subprocess.Popen(
        [sys.executable, "-c", STOPPING_CELL, str(run_dir), str(ready), str(saves)]
    )
    wait_for(ready.exists, 30, "the stopping cell to take the lock")
    return child


def test_the_folder_is_packed_after_the_stopping_attempt_lets_go(tmp_path):
    run_dir = tmp_path / "runs" / "r1"
    run_dir.mkdir(parents=True)
    (run_dir / "run.json").write_text('{"saved": -1}')
    child = _start(run_dir, tmp_path / "ready", saves=200)
    try:
        data = snapshot(run_dir, timeout=60)
    finally:
        assert child.wait(30) == 0
    with tarfile.open(fileobj=io.BytesIO(data)) as tar:
        names = tar.getnames()
    assert "r1/saved-last" in names
    assert not [n for n in names if n.endswith(".tmp") or "scratch-" in n or ".cell.lock" in n]
    copy = unpack(data, tmp_path / "node" / "runs", "r1")
    assert json.loads((copy / "run.json").read_text()) == {"saved": 199}


def test_a_lock_never_let_go_is_a_clear_error(tmp_path):
    run_dir = tmp_path / "runs" / "r2"
    run_dir.mkdir(parents=True)
    (run_dir / "run.json").write_text("{}")
    child = _start(run_dir, tmp_path / "ready", saves=100_000)  # ~10 minutes of saving
    try:
        with pytest.raises(AscentError, match="previous attempt at r2 is still held"):
            snapshot(run_dir, timeout=1)
    finally:
        child.kill()
        child.wait(30)
