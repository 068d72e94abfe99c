"""The interface every executor implements: start cells, report how they ended, cancel them.

An executor runs each cell attempt as `ascent sweep run-cell RUN_ID` in a process of its own (a
child of the sweep process, or of a Ray worker), so a crash of one cell cannot take the sweep
down. It reports *how the process ended*; whether the run itself ended is read by the sweep from
the run folder, the one source of truth.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

MIB = 2**20


@dataclass(frozen=True)
class CellJob:
    """One attempt at one cell: resume (or start) run `run_id`."""

    key: str
    run_id: str
    attempt: int
    cpus: int
    memory_mb: int
    log_path: Path
    env: dict[str, str] = field(default_factory=dict)


@dataclass
class CellOutcome:
    key: str
    run_id: str
    exit_code: int | None = None
    error: str | None = None
    cancelled: bool = False
    node: str | None = None
    seconds: float = 0.0
    bundle: bytes | None = None  # the run folder as a tarball (Ray, when not on a shared path)
    mode: str = "local"


class Executor(Protocol):
    name: str

    def start(self) -> None:
        """Connect or set up; raises a ConfigError when that is impossible."""

    def check(self, job: CellJob) -> None:
        """Raise a ConfigError if this job can never be placed (asks more than any node has)."""

    def has_room(self, job: CellJob) -> bool:
        """True if `job` can start now (resources free)."""

    def submit(self, job: CellJob) -> int | None:
        """Start the attempt; returns the process id when it is a local child."""

    def poll(self, timeout: float) -> list[CellOutcome]:
        """Attempts that ended since the last call; waits up to `timeout` seconds for one."""

    def in_flight(self) -> int: ...

    def cancel(self) -> None:
        """Ask every running attempt to stop cleanly (its run is interrupted, resumable)."""

    def kill(self) -> None:
        """Stop what is left at once."""

    def close(self) -> None: ...


def describe_exit(code: int | None) -> str:
    import signal

    if code is None:
        return "no exit code"
    if code < 0:
        try:
            return f"killed by {signal.Signals(-code).name}"
        except ValueError:
            return f"killed by signal {-code}"
    return f"exit code {code}"


def tail(path: Path, lines: int = 3, limit: int = 400) -> str:
    try:
        with path.open("rb") as fh:
            fh.seek(0, 2)
            size = fh.tell()
            fh.seek(max(0, size - 4096))
            text = fh.read().decode("utf-8", "replace")
    except OSError:
        return ""
    kept = [line.strip() for line in text.splitlines() if line.strip()][-lines:]
    return " | ".join(kept)[-limit:]
