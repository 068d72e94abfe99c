"""Watching a running agent: deadline, exit, resources, disk, periodic code snapshots."""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import TYPE_CHECKING

from ascent.harness.panel import RunPanel
from ascent.harness.sandbox.base import SandboxProcess
from ascent.record import events as ev

if TYPE_CHECKING:
    from ascent.harness.lifecycle import Segment_

TICK = 0.2
SAMPLE_SECONDS = 5.0


def disk_mb(root: Path) -> float:
    total = 0
    for folder, _dirs, files in os.walk(root):
        for name in files:
            try:
                total += os.lstat(os.path.join(folder, name)).st_blocks * 512
            except OSError:
                continue
    return total / 2**20


class Monitor:
    def __init__(
        self, segment: Segment_, process: SandboxProcess, panel: RunPanel, snapshot_seconds: float
    ) -> None:
        self.segment = segment
        self.process = process
        self.panel = panel
        self.snapshot_seconds = snapshot_seconds

    def loop(self) -> str:
        """Until the agent exits or a limit is hit; returns the reason the segment ends."""
        segment, process = self.segment, self.process
        budget, limits = segment.budget, segment.state.limits
        next_sample = time.monotonic()
        next_snapshot = time.monotonic() + self.snapshot_seconds
        while True:
            code = process.poll()
            if code is not None:
                return self._exit_reason(code)
            if budget.expired():
                process.kill("deadline")
                return "deadline"
            now = time.monotonic()
            if now >= next_sample:
                next_sample = now + SAMPLE_SECONDS
                if self._sample() > limits.disk_mb:
                    process.kill("disk limit")
                    segment.recorder.emit(
                        ev.ErrorEvent(
                            error_kind="disk_limit",
                            message=f"the workspace grew over {limits.disk_mb} MB; the agent was stopped",
                        )
                    )
                    return "disk_limit"
            if now >= next_snapshot:
                next_snapshot = now + self.snapshot_seconds
                from ascent.harness.lifecycle import _emit_snapshot

                _emit_snapshot(segment, "periodic")
            self.panel.refresh()
            time.sleep(TICK)

    def _sample(self) -> float:
        segment = self.segment
        usage = segment.sandbox.usage()
        disk = disk_mb(segment.workspace)
        segment.recorder.emit(
            ev.Resources(
                elapsed=round(segment.budget.elapsed(), 3),
                cpu_seconds=round(usage["cpu_seconds"], 3),
                rss_mb=round(usage["rss_mb"], 1),
                disk_mb=round(disk, 1),
                processes=int(usage["processes"]),
            )
        )
        return disk

    def _exit_reason(self, code: int) -> str:
        result = self.process.result()
        recorder = self.segment.recorder
        recorder.emit(
            ev.Command(
                argv=self.process.argv[-8:],
                exit_code=code,
                seconds=result.seconds,
                output_tail=result.output_tail[-2000:],
                killed_reason=result.killed_reason,
            )
        )
        if result.oom:
            recorder.emit(
                ev.ErrorEvent(error_kind="out_of_memory", message="the agent ran out of memory")
            )
            return "out_of_memory"
        if code < 0:
            # Killed by a signal nobody here sent: the sandbox itself died.
            recorder.emit(
                ev.ErrorEvent(
                    error_kind="sandbox_error", message=f"the sandbox was killed (signal {-code})"
                )
            )
            return "sandbox_error"
        return "agent_exit" if code == 0 else "agent_error"
