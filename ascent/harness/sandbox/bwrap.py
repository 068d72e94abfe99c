"""The isolated backend: bubblewrap namespaces around every command.

Inside: a read-only system (/usr and the few /etc files programs need), the Python environment
read-only at its own path, the workspace at /workspace as the only writable place, a private
/tmp and /dev/shm, its own pid, IPC, UTS and (unless the network policy is `full`) network
namespace, no capabilities, a new session, and death with the harness. Nothing of the host's
home folders, ASCENT_HOME, or other runs is mounted.
"""

from __future__ import annotations

import functools
import shutil
import subprocess
import sys
from pathlib import Path

from ascent.errors import SandboxError
from ascent.harness.sandbox.base import Sandbox, SandboxSpec

WORKSPACE = "/workspace"
GRADING_HOST = "ascent-grading"  # the grading server's name inside (see harness.launch)
_SYSTEM_DIRS = ("/usr", "/opt/conda")
_SYSTEM_LINKS = {"/bin": "usr/bin", "/lib": "usr/lib", "/lib64": "usr/lib64", "/sbin": "usr/sbin"}
_ETC_FILES = (
    "/etc/ld.so.cache",
    "/etc/ld.so.conf",
    "/etc/ld.so.conf.d",
    "/etc/ssl",
    "/etc/ca-certificates",
    "/etc/alternatives",
    "/etc/localtime",
    "/etc/nsswitch.conf",
    "/etc/mime.types",
    "/etc/fonts",
    "/etc/matplotlibrc",
)
PASSWD = "root:x:0:0:sandbox:/workspace:/bin/sh\nnobody:x:65534:65534::/nonexistent:/bin/false\n"
GROUP = "root:x:0:\nnogroup:x:65534:\n"


@functools.cache
def bwrap_path() -> str | None:
    exe = shutil.which("bwrap")
    if exe is None:
        return None
    probe = [
        exe,
        "--ro-bind",
        "/",
        "/",
        "--unshare-net",
        "--unshare-pid",
        "--die-with-parent",
        "--dev",
        "/dev",
        "--proc",
        "/proc",
        "true",
    ]
    try:
        ok = subprocess.run(probe, capture_output=True, timeout=10).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        ok = False
    return exe if ok else None


def python_roots() -> list[Path]:
    """Folders the sandbox needs to run this Python: the interpreter and its environment."""
    roots = {Path(sys.base_prefix).resolve(), Path(sys.prefix).resolve()}
    return sorted(roots)


class BwrapSandbox(Sandbox):
    name = "bwrap"
    isolated = True

    def __init__(self, spec: SandboxSpec) -> None:
        exe = bwrap_path()
        if exe is None:
            raise SandboxError(
                "bubblewrap (bwrap) is not installed or cannot create namespaces here",
                hint="apt-get install -y bubblewrap, or run with --sandbox process (not isolated)",
            )
        self._exe = exe
        super().__init__(spec)
        self._etc_dir = spec.workspace.parent / ".sandbox-etc"
        self._etc_dir.mkdir(exist_ok=True)
        (self._etc_dir / "passwd").write_text(PASSWD)
        (self._etc_dir / "group").write_text(GROUP)
        (self._etc_dir / "hosts").write_text(f"127.0.0.1 localhost {GRADING_HOST}\n::1 localhost\n")

    @property
    def workspace_path(self) -> str:
        return WORKSPACE

    def wrap(
        self, argv: list[str], cwd: str, env: dict[str, str]
    ) -> tuple[list[str], dict[str, str]]:
        spec = self.spec
        args = [
            self._exe,
            "--die-with-parent",
            "--new-session",
            "--cap-drop",
            "ALL",
            "--unshare-pid",
            "--unshare-ipc",
            "--unshare-uts",
            "--unshare-cgroup-try",
            "--hostname",
            "sandbox",
        ]
        if spec.network != "full":
            args.append("--unshare-net")
        for folder in _SYSTEM_DIRS:
            if Path(folder).is_dir():
                args += ["--ro-bind", folder, folder]
        for link, target in _SYSTEM_LINKS.items():
            if Path(link).is_symlink():
                args += ["--symlink", target, link]
            elif Path(link).is_dir():
                args += ["--ro-bind", link, link]
        for item in _ETC_FILES:
            args += ["--ro-bind-try", item, item]
        for name in ("passwd", "group", "hosts"):
            args += ["--ro-bind", str(self._etc_dir / name), f"/etc/{name}"]
        if spec.network != "none":
            args += ["--ro-bind-try", "/etc/resolv.conf", "/etc/resolv.conf"]
        tmp_bytes = str(spec.limits.tmp_mb * 1024 * 1024)
        args += [
            "--proc",
            "/proc",
            "--dev",
            "/dev",
            "--size",
            tmp_bytes,
            "--tmpfs",
            "/tmp",
            "--size",
            tmp_bytes,
            "--tmpfs",
            "/dev/shm",
        ]
        # After /tmp: an environment that lives under /tmp must not be hidden by the tmpfs.
        for root in python_roots():
            args += ["--ro-bind", str(root), str(root)]
        args += ["--bind", str(spec.workspace), WORKSPACE]
        for mount in spec.mounts:
            flag = "--bind" if mount.writable else "--ro-bind"
            args += [flag, str(mount.source), mount.target]
        args += ["--chdir", cwd, "--clearenv"]
        for key, value in env.items():
            args += ["--setenv", key, value]
        args += ["--", *argv]
        return args, {"PATH": "/usr/bin:/bin"}
