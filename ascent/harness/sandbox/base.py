"""One interface for running agent code under limits: `bwrap` (isolated) or `process` (not).

A `Sandbox` is made for one run: its workspace is the only writable place, its limits apply to
everything it starts, and `kill_all` ends every process it ever started, daemons included.
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import signal
import subprocess
import sys
import tempfile
import threading
import time
from abc import ABC, abstractmethod
from collections import deque
from pathlib import Path
from typing import IO, Literal

import psutil
from pydantic import BaseModel, Field

from ascent.harness.sandbox.cgroups import CgroupSet

log = logging.getLogger(__name__)

Network = Literal["none", "llm-only", "full"]
LAUNCHER = Path(__file__).with_name("launcher.py")
# Where launchers record the cores their sandboxes are pinned to (one machine, one user).
CPU_CLAIMS = Path(tempfile.gettempdir()) / f"ascent-cpu-claims-{os.getuid()}"
OUTPUT_CAP_BYTES = 20 * 1024 * 1024
TAIL_BYTES = 4000
_CONTROL = re.compile(r"\x1b\[[0-9;?]*[ -/]*[@-~]|\x1b[@-Z\\-_]|[\x00-\x08\x0b-\x1f\x7f]")


class Limits(BaseModel):
    memory_mb: int = Field(4096, gt=0)
    cpus: int = Field(2, gt=0)
    max_processes: int = Field(256, gt=0)
    max_file_mb: int = Field(2048, gt=0)
    max_open_files: int = Field(1024, gt=0)
    tmp_mb: int = Field(1024, gt=0)
    disk_mb: int = Field(10_240, gt=0, description="Workspace size; enforced by the run monitor.")


class Mount(BaseModel):
    source: Path
    target: str
    writable: bool = False


class SandboxSpec(BaseModel):
    name: str = Field(description="Unique per run; names the control groups.")
    workspace: Path
    mounts: list[Mount] = Field(default_factory=list)
    env: dict[str, str] = Field(default_factory=dict)
    network: Network = "none"
    limits: Limits = Limits()


class ExecResult(BaseModel):
    argv: list[str]
    exit_code: int | None
    seconds: float
    timed_out: bool = False
    killed_reason: str | None = None
    oom: bool = False
    output_tail: str = ""


def sanitize(text: str) -> str:
    """Drop terminal escape sequences and control characters (logs are shown in UIs)."""
    return _CONTROL.sub("", text)


class OutputSink:
    """Copies a process's output to a log file up to a cap, keeping a sanitized tail."""

    def __init__(self, stream: IO[bytes], log_path: Path | None, cap: int | None = None):
        self._stream = stream
        self._tail: deque[bytes] = deque()
        self._tail_size = 0
        self._written = 0
        self._cap = cap if cap is not None else OUTPUT_CAP_BYTES
        self._log = log_path.open("ab") if log_path else None
        self._thread = threading.Thread(target=self._pump, daemon=True)
        self._thread.start()

    def _pump(self) -> None:
        truncated = False
        for chunk in iter(lambda: self._stream.read1(65536), b""):  # type: ignore[attr-defined]
            self._tail.append(chunk)
            self._tail_size += len(chunk)
            while self._tail_size > TAIL_BYTES * 2 and len(self._tail) > 1:
                self._tail_size -= len(self._tail.popleft())
            if self._log is None or truncated:
                continue
            room = self._cap - self._written
            self._log.write(chunk[:room])
            self._written += min(room, len(chunk))
            if len(chunk) > room:
                self._log.write(f"\n[output truncated at {self._cap // 2**20} MB]\n".encode())
                truncated = True
            self._log.flush()
        if self._log is not None:
            self._log.close()

    def join(self, timeout: float = 5.0) -> None:
        self._thread.join(timeout)

    def tail(self) -> str:
        text = b"".join(self._tail)[-TAIL_BYTES:].decode("utf-8", "replace")
        return sanitize(text)


class SandboxProcess:
    """A process started in a sandbox, with its own control group when cgroups work."""

    def __init__(
        self,
        popen: subprocess.Popen[bytes],
        argv: list[str],
        sink: OutputSink,
        cgroup: CgroupSet | None,
        started: float,
    ) -> None:
        self.popen = popen
        self.argv = argv
        self.sink = sink
        self.cgroup = cgroup
        self.started = started
        self.killed_reason: str | None = None

    @property
    def pid(self) -> int:
        return self.popen.pid

    def poll(self) -> int | None:
        return self.popen.poll()

    def wait(self, timeout: float | None = None) -> int | None:
        try:
            return self.popen.wait(timeout)
        except subprocess.TimeoutExpired:
            return None

    def kill(self, reason: str) -> None:
        """End this process and everything it started."""
        if self.killed_reason is None:
            self.killed_reason = reason
        kill_tree(self.popen.pid, self.cgroup)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.popen.wait(5)

    def result(self) -> ExecResult:
        self.sink.join()
        oom = bool(self.cgroup and self.cgroup.oom_killed())
        return ExecResult(
            argv=self.argv,
            exit_code=self.popen.returncode,
            seconds=round(time.monotonic() - self.started, 3),
            timed_out=self.killed_reason == "timeout",
            killed_reason=self.killed_reason or ("out of memory" if oom else None),
            oom=oom,
            output_tail=self.sink.tail(),
        )


def kill_tree(pid: int, cgroup: CgroupSet | None) -> None:
    if cgroup is not None:
        cgroup.kill()
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, signal.SIGKILL)  # the launcher made its own session
    with contextlib.suppress(psutil.Error):
        for child in psutil.Process(pid).children(recursive=True):
            with contextlib.suppress(psutil.Error):
                child.kill()
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGKILL)


class Sandbox(ABC):
    """Runs commands for one run. Subclasses turn an argv into the argv that isolates it."""

    name: str = "abstract"
    isolated: bool = False

    def __init__(self, spec: SandboxSpec) -> None:
        self.spec = spec
        self.cgroup = CgroupSet.create(f"{spec.name}-{os.getpid()}")
        if self.cgroup is not None:
            self.cgroup.limit(
                memory_mb=spec.limits.memory_mb,
                pids=spec.limits.max_processes,
                cpus=spec.limits.cpus,
            )
        self._processes: list[SandboxProcess] = []
        self._counter = 0
        self._lock = threading.Lock()

    @property
    @abstractmethod
    def workspace_path(self) -> str:
        """Where the workspace appears to code running inside."""

    @abstractmethod
    def wrap(
        self, argv: list[str], cwd: str, env: dict[str, str]
    ) -> tuple[list[str], dict[str, str]]:
        """The host-side argv and environment that run `argv` inside this sandbox."""

    def rlimits(self) -> dict[str, tuple[int, int]]:
        limits = self.spec.limits
        mb = 1024 * 1024
        return {
            "RLIMIT_FSIZE": (limits.max_file_mb * mb, limits.max_file_mb * mb),
            "RLIMIT_NOFILE": (limits.max_open_files, limits.max_open_files),
            "RLIMIT_CORE": (0, 0),
        }

    def start(
        self,
        argv: list[str],
        *,
        cwd: str | None = None,
        env: dict[str, str] | None = None,
        log_path: Path | None = None,
    ) -> SandboxProcess:
        with self._lock:
            self._counter += 1
            number = self._counter
        cgroup = self.cgroup.child(f"p{number}") if self.cgroup else None
        full_env = {**self.spec.env, **(env or {})}
        wrapped, host_env = self.wrap(argv, cwd or self.workspace_path, full_env)
        config = {
            "argv": wrapped,
            "rlimits": self.rlimits(),
            "cgroup_procs": cgroup.procs_files() if cgroup else [],
            "cpus": self.spec.limits.cpus,
            "cpu_claims": str(CPU_CLAIMS),
            "die_with_parent": True,
            "parent_pid": os.getpid(),
        }
        import json

        popen = subprocess.Popen(
            [sys.executable, "-I", "-S", str(LAUNCHER), json.dumps(config)],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            env=host_env,
            cwd=str(self.spec.workspace),
        )
        assert popen.stdout is not None
        process = SandboxProcess(
            popen, argv, OutputSink(popen.stdout, log_path), cgroup, time.monotonic()
        )
        with self._lock:
            self._processes.append(process)
        return process

    def run(
        self,
        argv: list[str],
        *,
        timeout: float,
        cwd: str | None = None,
        env: dict[str, str] | None = None,
        log_path: Path | None = None,
    ) -> ExecResult:
        process = self.start(argv, cwd=cwd, env=env, log_path=log_path)
        if process.wait(timeout) is None:
            process.kill("timeout")
        else:
            kill_tree(process.pid, process.cgroup)  # leftovers it put in the background
        return process.result()

    def usage(self) -> dict[str, float]:
        """CPU seconds, resident memory (MB) and process count of everything running here."""
        if self.cgroup is not None:
            return {
                "cpu_seconds": self.cgroup.cpu_seconds(),
                "rss_mb": self.cgroup.memory_bytes() / 2**20,
                "processes": float(len(self.cgroup._all_pids())),
            }
        cpu = rss = count = 0.0
        for process in list(self._processes):
            with contextlib.suppress(psutil.Error):
                root = psutil.Process(process.pid)
                for p in [root, *root.children(recursive=True)]:
                    with contextlib.suppress(psutil.Error):
                        times = p.cpu_times()
                        cpu += times.user + times.system
                        rss += p.memory_info().rss / 2**20
                        count += 1
        return {"cpu_seconds": cpu, "rss_mb": rss, "processes": count}

    def kill_all(self, reason: str = "sandbox closed") -> None:
        for process in list(self._processes):
            if process.poll() is None:
                process.killed_reason = process.killed_reason or reason
            kill_tree(process.pid, process.cgroup)
        if self.cgroup is not None:
            self.cgroup.kill()

    def close(self) -> None:
        self.kill_all()
        if self.cgroup is not None:
            self.cgroup.remove()
