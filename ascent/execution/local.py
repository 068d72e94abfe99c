"""The local executor: a pool of child processes sized to this machine's cores and memory.

Each attempt is a process of its own (forked from a preloaded fork server, see `forked`; the
same work as `ascent sweep run-cell RUN_ID`), in a session of its own, writing the run folder
and the SQLite index of this home directly. A cell takes as many slots as its `limits.cpus`
and as much memory as its `limits.memory_mb`, the way Ray accounts for them.
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import time
from dataclasses import dataclass
from multiprocessing.connection import wait
from multiprocessing.process import BaseProcess

import psutil

from ascent.config import Paths
from ascent.execution.base import CellJob, CellOutcome, describe_exit, tail
from ascent.execution.forked import start_cell, warm_up

log = logging.getLogger(__name__)


@dataclass
class _Child:
    job: CellJob
    process: BaseProcess
    cpus: int
    memory_mb: int
    started: float
    cancelled: bool = False


class LocalExecutor:
    name = "local"

    def __init__(self, paths: Paths, workers: int | None = None) -> None:
        self.paths = paths
        self.cpus = max(1, workers or os.cpu_count() or 1)
        self.memory_mb = int(psutil.virtual_memory().total / 2**20)
        self._children: list[_Child] = []

    def start(self) -> None:
        warm_up()

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
        process = start_cell(self.paths.home, job.run_id, job.env, job.log_path)
        self._children.append(_Child(job, process, cpus, memory, time.monotonic()))
        return process.pid

    def poll(self, timeout: float) -> list[CellOutcome]:
        if self._children and not any(c.process.exitcode is not None for c in self._children):
            wait([c.process.sentinel for c in self._children], timeout)
        elif not self._children:
            time.sleep(min(timeout, 0.2))
        done = [c for c in self._children if c.process.exitcode is not None]
        outcomes = []
        for child in done:
            self._children.remove(child)
            code = child.process.exitcode
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

    def cancel(self) -> None:
        for child in self._children:
            child.cancelled = True
            if child.process.exitcode is None and child.process.pid:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(child.process.pid, signal.SIGTERM)

    def kill(self) -> None:
        for child in self._children:
            child.cancelled = True
            if child.process.exitcode is None and child.process.pid:
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.killpg(child.process.pid, signal.SIGKILL)

    def close(self) -> None:
        self.kill()
        for child in self._children:
            child.process.join(10)
            if child.process.exitcode is None:
                log.warning("cell process %s did not exit", child.process.pid)
