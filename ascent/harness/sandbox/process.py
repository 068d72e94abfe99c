"""The fallback backend: resource limits and process groups only. NOT isolated.

Code run this way can read anything the harness user can read (private answers included) and
reach the network. It exists so that ascentlab works where bubblewrap cannot; every run using it
says so loudly, and the security suite marks the cases it cannot defend as not isolated.
"""

from __future__ import annotations

import logging
import os

from ascent.harness.sandbox.base import Sandbox, SandboxSpec

log = logging.getLogger(__name__)


class ProcessSandbox(Sandbox):
    name = "process"
    isolated = False

    def __init__(self, spec: SandboxSpec) -> None:
        super().__init__(spec)
        log.warning(
            "sandbox 'process' does not isolate: agent code can read private files and reach the "
            "network. Install bubblewrap for isolated runs."
        )

    @property
    def workspace_path(self) -> str:
        return str(self.spec.workspace)

    def rlimits(self) -> dict[str, tuple[int, int]]:
        limits = super().rlimits()
        if self.cgroup is None:
            memory = self.spec.limits.memory_mb * 1024 * 1024
            limits["RLIMIT_AS"] = (memory, memory)
            if os.getuid() != 0:  # root ignores RLIMIT_NPROC
                limits["RLIMIT_NPROC"] = (self.spec.limits.max_processes,) * 2  # type: ignore[assignment]
        return limits

    def wrap(
        self, argv: list[str], cwd: str, env: dict[str, str]
    ) -> tuple[list[str], dict[str, str]]:
        host_env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), **env}
        return ["/usr/bin/env", "-C", cwd, "--", *argv], host_env
