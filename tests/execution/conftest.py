"""Helpers for sweep tests: tiny runs of the `sweeper` fixture agent on penguin-species, the
`ascent` CLI as a subprocess, bounded waits, and run-folder integrity checks."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import psutil

from ascent.config import Paths
from ascent.execution.spec import SweepSpec, validate_spec
from ascent.execution.state import SweepFolder, SweepState
from ascent.record.recorder import read_events
from ascent.store import Store
from tests.conftest import FIXTURES

AGENTS = FIXTURES / "agents"
TASK = "penguin-species"


def tiny_spec(seeds: list[int], **extra) -> SweepSpec:
    raw = {
        "name": "t",
        "tasks": [TASK],
        "agents": ["sweeper"],
        "seeds": seeds,
        "budget": "90s",
        "sandbox": "auto",
        "limits": {"cpus": 1, "memory_mb": 1024},
        "agent_dirs": [str(AGENTS)],
        "forward_env": ["SWEEPER_SLEEP", "SWEEPER_SPIN", "SWEEPER_FAIL_TASK"],
        **extra,
    }
    return validate_spec(raw)


def sweep_flags(*seeds: int, tasks: str = TASK) -> list[str]:
    return [
        "sweep",
        "--task",
        tasks,
        "--agent",
        "sweeper",
        "--agent-dir",
        str(AGENTS),
        "--seeds",
        ",".join(map(str, seeds)),
        "--budget",
        "90s",
        "--cpus",
        "1",
        "--memory",
        "1024",
        "--forward-env",
        "SWEEPER_SLEEP",
        "--forward-env",
        "SWEEPER_FAIL_TASK",
    ]


def cli_env(home: Paths, **extra: str) -> dict[str, str]:
    return {**os.environ, "ASCENT_HOME": str(home.home), **extra}


def ascent(home: Paths, *args: str, timeout: float = 240, **env: str):
    return subprocess.run(
        [sys.executable, "-m", "ascent", *args],
        env=cli_env(home, **env),
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def wait_for(predicate, timeout: float, what: str, every: float = 0.2):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(every)
    raise AssertionError(f"timed out after {timeout:.0f}s waiting for {what}")


def only_sweep(home: Paths) -> SweepState:
    root = home.home / "sweeps"
    [folder] = [p for p in root.iterdir() if (p / "sweep.json").is_file()]
    return SweepFolder(home, folder.name).load()


def submitted(home: Paths, run_id: str | None) -> bool:
    if run_id is None:
        return False
    path = home.runs / run_id / "events.jsonl"
    return path.exists() and b'"kind":"submission"' in path.read_bytes()


def cell_process(run_dir: Path) -> psutil.Process | None:
    """The process running a cell of this run folder (it holds the folder's lock and wrote its
    id there)."""
    try:
        pid = int((run_dir / ".cell.lock").read_text().split()[0])
        process = psutil.Process(pid)
    except (OSError, ValueError, IndexError, psutil.Error):
        return None
    return process if process.is_running() else None


def ray_worker_of(process: psutil.Process) -> psutil.Process:
    for parent in process.parents():
        if "default_worker.py" in " ".join(parent.cmdline()) or parent.name().startswith("ray::"):
            return parent
    raise AssertionError(f"process {process.pid} does not run in a Ray worker")


def check_run(home: Paths, run_id: str, segments: int | None = None) -> list:
    """events.jsonl numbered 1..n with no gap or repeat, the same in SQLite, and every
    submission recorded once."""
    run_dir = home.runs / run_id
    events = read_events(run_dir / "events.jsonl")
    seqs = [e.seq for e in events]
    assert seqs == list(range(1, len(events) + 1)), "events lost, duplicated or reordered"
    with Store(home.db) as store:
        assert [e.seq for e in store.events(run_id)] == seqs, "SQLite differs from events.jsonl"
        indexed = [s.submission_id for s in store.submissions(run_id)]
        record = store.get_run(run_id)
    ledger = sorted(p.stem for p in (run_dir / "submissions").glob("s*.json"))
    assert indexed == ledger and len(set(indexed)) == len(indexed)
    graded = [e.submission_id for e in events if e.kind == "submission"]
    assert len(graded) == len(set(graded)), "a submission was graded twice"
    assert record is not None and record.status == "finished"
    starts = [e for e in events if e.kind == "run_start"]
    if segments is not None:
        assert len(starts) == segments
    return events


def run_dir_of(home: Paths, run_id: str) -> Path:
    return home.runs / run_id
