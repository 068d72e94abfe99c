"""The local executor: a pool of child processes sized to this machine's cores and memory.

Each attempt is `python -m ascent sweep run-cell RUN_ID` in a session of its own, writing the
run folder and the SQLite index of this home directly. A cell takes as many slots as its
`limits.cpus` and as much memory as its `limits.memory_mb`, the way Ray accounts for them.
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass

import psutil

from ascent.config import HOME_ENV, Paths
from ascent.execution.base import CellJob, CellOutcome, describe_exit, tail
from ascent.execution.cellproc import PARENT_ENV

log = logging.getLogger(__name__)


@dataclass
class _Child:
    job: CellJob
    process: subprocess.Popen
    cpus: int
    memory_mb: int
    started: float
    cancelled: bool = False


def cell_command(run_id: str) -> list[str]:
    return [sys.executable, "-m", "ascent", "sweep", "run-cell", run_id]


class LocalExecutor:
    name = "local"

    def __init__(self, paths: Paths, workers: int | None = None) -> None:
        self.paths = paths
        self.cpus = max(1, workers or os.cpu_count() or 1)
        self.memory_mb = int(psutil.virtual_memory().total / 2**20)
        self._children: list[_Child] = []

    def start(self) -> None:
        pass

    def _fit(self, job: CellJob) -> tuple[int, int]:
        """A cell asking more than the machine has runs alone rather than never."""
        return min(job.cpus, self.cpus), min(job.memory_mb, self.memory_mb)

    def check(self, job: CellJob) -> None:
        if job.cpus > self.cpus or job.memory_mb > self.memory_mb:
            log.warning(
                "%s asks %d CPUs and %d MB; this machine has %d and %d MB: it will run alone",
                job.key,
                job.cpus,
                job.memory_mb,
                self.cpus,
                self.memory_mb,
            )

    def has_room(self, job: CellJob) -> bool:
        cpus, memory = self._fit(job)
        used_cpus = sum(c.cpus for c in self._children)
        used_memory = sum(c.memory_mb for c in self._children)
        return used_cpus + cpus <= self.cpus and used_memory + memory <= self.memory_mb

    def submit(self, job: CellJob) -> int | None:
        cpus, memory = self._fit(job)
        env = {
            **os.environ,
            **job.env,
            HOME_ENV: str(self.paths.home),
            PARENT_ENV: str(os.getpid()),
            "PYTHONUNBUFFERED": "1",
        }
        job.log_path.parent.mkdir(parents=True, exist_ok=True)
        with job.log_path.open("ab") as out:
            process = subprocess.Popen(
                cell_command(job.run_id),
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self._children.append(_Child(job, process, cpus, memory, time.monotonic()))
        return process.pid

    def poll(self, timeout: float) -> list[CellOutcome]:
        deadline = time.monotonic() + timeout
        while True:
            done = [c for c in self._children if c.process.poll() is not None]
            if done or time.monotonic() >= deadline or not self._children:
                break
            time.sleep(min(0.2, max(0.0, deadline - time.monotonic())))
        outcomes = []
        for child in done:
            self._children.remove(child)
            code = child.process.returncode
            error = None
            if code != 0:
                last = tail(child.job.log_path)
                error = describe_exit(code) + (f": {last}" if last else "")
            outcomes.append(
                CellOutcome(
                    key=child.job.key,
                    run_id=child.job.run_id,
                    exit_code=code,
                    error=error,
                    cancelled=child.cancelled,
                    node="local",
                    seconds=time.monotonic() - child.started,
                )
            )
        return outcomes

    def in_flight(self) -> int:
        return len(self._children)

    def pids(self) -> dict[str, int]:
        """Process id of each running cell (tests kill them)."""
        return {c.job.key: c.process.pid for c in self._children}

    def cancel(self) -> None:
        for child in self._children:
            child.cancelled = True
            if child.process.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    child.process.send_signal(signal.SIGTERM)

    def kill(self) -> None:
        for child in self._children:
            child.cancelled = True
            if child.process.poll() is None:
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.killpg(child.process.pid, signal.SIGKILL)

    def close(self) -> None:
        self.kill()
        for child in self._children:
            try:
                child.process.wait(10)
            except subprocess.TimeoutExpired:
                log.warning("cell process %d did not exit", child.process.pid)
