"""Per-run control groups (cgroup v1): memory, process count, CPU quota, and a clean kill.

Each sandbox gets a group under `ascent/<name>` in every controller it can write; each process it
starts gets a leaf below that, so one command can be killed alone and the whole run at once.
Where cgroups are not writable, `CgroupSet.create` returns None and callers fall back to rlimits
and process groups.
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import time
from dataclasses import dataclass
from pathlib import Path

log = logging.getLogger(__name__)

ROOT = Path("/sys/fs/cgroup")
CONTROLLERS = ("memory", "pids", "cpu", "freezer", "cpuacct")
PREFIX = "ascent"


def available() -> bool:
    """cgroup v1 controllers we need are mounted and writable here."""
    for controller in ("memory", "pids"):
        base = ROOT / controller
        if not (base / "cgroup.procs").exists() or not os.access(base, os.W_OK):
            return False
    return True


def shares_for_niceness(niceness: int | None = None) -> int:
    """The CPU weight of a group whose processes should be as polite as `niceness` (this
    process's by default). A control group is scheduled as one entity, so without this a
    sandbox started by `nice ascent ...` would compete at full weight; the scale follows the
    kernel's, about 1.25x per nice level (nice 0 -> 1024, nice 19 -> 15)."""
    if niceness is None:
        niceness = os.getpriority(os.PRIO_PROCESS, 0)
    return max(2, round(1024 / 1.25**niceness))


@dataclass
class CgroupSet:
    """The same relative group in several v1 controllers."""

    relative: str
    dirs: dict[str, Path]

    @classmethod
    def create(cls, relative: str) -> CgroupSet | None:
        if not available():
            return None
        dirs: dict[str, Path] = {}
        for controller in CONTROLLERS:
            base = ROOT / controller
            if not (base / "cgroup.procs").exists():
                continue
            path = base / PREFIX / relative
            try:
                path.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                log.debug("cgroup %s not writable: %s", path, exc)
                continue
            dirs[controller] = path
        if "memory" not in dirs or "pids" not in dirs:
            return None
        return cls(relative, dirs)

    def child(self, name: str) -> CgroupSet | None:
        return CgroupSet.create(f"{self.relative}/{name}")

    # -- limits --------------------------------------------------------------------------------
    def limit(
        self, memory_mb: int | None = None, pids: int | None = None, cpus: float | None = None
    ) -> None:
        if memory_mb is not None:
            limit = str(memory_mb * 1024 * 1024)
            self._write("memory", "memory.limit_in_bytes", limit)
            # With swap accounting, swap counts too: no escaping the limit by swapping.
            self._write("memory", "memory.memsw.limit_in_bytes", limit, required=False)
        if pids is not None:
            self._write("pids", "pids.max", str(pids))
        if cpus is not None and "cpu" in self.dirs:
            period = 100_000
            self._write("cpu", "cpu.cfs_period_us", str(period), required=False)
            self._write("cpu", "cpu.cfs_quota_us", str(int(cpus * period)), required=False)
        if "cpu" in self.dirs:
            self._write("cpu", "cpu.shares", str(shares_for_niceness()), required=False)

    def procs_files(self) -> list[str]:
        """The `cgroup.procs` files a new process writes its pid into."""
        return [str(path / "cgroup.procs") for path in self.dirs.values()]

    # -- readings ------------------------------------------------------------------------------
    def pids(self) -> list[int]:
        text = self._read("pids", "cgroup.procs") or ""
        return [int(p) for p in text.split()]

    def memory_bytes(self) -> int:
        return int(self._read("memory", "memory.usage_in_bytes") or 0)

    def memory_peak_bytes(self) -> int:
        return int(self._read("memory", "memory.max_usage_in_bytes") or 0)

    def cpu_seconds(self) -> float:
        return int(self._read("cpuacct", "cpuacct.usage") or 0) / 1e9

    def oom_killed(self) -> bool:
        """True if the kernel killed a process here for lack of memory, or a limit was hit."""
        control = self._read("memory", "memory.oom_control") or ""
        for line in control.splitlines():
            key, _, value = line.partition(" ")
            if key == "oom_kill" and int(value or 0) > 0:
                return True
        return int(self._read("memory", "memory.failcnt") or 0) > 0 and not self.pids()

    def pids_limited(self) -> bool:
        return int((self._read("pids", "pids.events") or "max 0").split()[-1]) > 0

    # -- ending --------------------------------------------------------------------------------
    def kill(self, timeout: float = 5.0) -> None:
        """Freeze, SIGKILL every process, thaw; repeat until empty (a fork race cannot win)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            pids = self._all_pids()
            if not pids:
                return
            self._write("freezer", "freezer.state", "FROZEN", required=False)
            for pid in pids:
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.kill(pid, signal.SIGKILL)
            self._write("freezer", "freezer.state", "THAWED", required=False)
            time.sleep(0.02)
        log.warning("cgroup %s still has processes after %.0fs", self.relative, timeout)

    def remove(self) -> None:
        """Remove the groups (children first); a group that still has processes stays."""
        for path in self.dirs.values():
            for sub in sorted((p for p in path.rglob("*") if p.is_dir()), reverse=True):
                with contextlib.suppress(OSError):
                    sub.rmdir()
            with contextlib.suppress(OSError):
                path.rmdir()

    def _all_pids(self) -> list[int]:
        pids: set[int] = set()
        base = self.dirs["pids"]
        for procs in [base / "cgroup.procs", *base.rglob("cgroup.procs")]:
            with contextlib.suppress(OSError):
                pids.update(int(p) for p in procs.read_text().split())
        return sorted(pids)

    def _write(self, controller: str, name: str, value: str, required: bool = True) -> None:
        path = self.dirs.get(controller)
        if path is None:
            if required:
                raise OSError(f"cgroup controller {controller} unavailable")
            return
        try:
            (path / name).write_text(value)
        except OSError:
            if required:
                raise

    def _read(self, controller: str, name: str) -> str | None:
        path = self.dirs.get(controller)
        if path is None:
            return None
        try:
            return (path / name).read_text()
        except OSError:
            return None


def kill_stale(prefix: str) -> int:
    """Kill and remove leftover groups whose name starts with `prefix` (an earlier segment of a
    run that died with the harness). Returns how many groups were found."""
    base = ROOT / "pids" / PREFIX
    if not available() or not base.is_dir():
        return 0
    found = 0
    for path in base.iterdir():
        if path.is_dir() and path.name.startswith(prefix + "."):
            group = CgroupSet.create(path.name)
            if group is not None:
                group.kill()
                group.remove()
                found += 1
    return found
