"""Started as `python -I -S launcher.py CONFIG_JSON`: puts itself into the sandbox's control
groups, sets resource limits and CPU affinity, asks to die with its parent, then execs the command.

Standard library only, and nothing imported that could run code from the working directory.
"""

import contextlib
import ctypes
import fcntl
import json
import os
import random
import resource
import signal
import sys

PR_SET_PDEATHSIG = 1


def main() -> None:
    config = json.loads(sys.argv[1])
    os.setsid()
    if config.get("die_with_parent"):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
        if os.getppid() != config["parent_pid"]:
            os._exit(1)  # the parent died before the signal was armed
    pid = str(os.getpid())
    for procs in config.get("cgroup_procs", []):
        with open(procs, "w") as fh:
            fh.write(pid)
    for name, (soft, hard) in config.get("rlimits", {}).items():
        resource.setrlimit(getattr(resource, name), (soft, hard))
    cpus = config.get("cpus")
    if cpus:
        available = sorted(os.sched_getaffinity(0))
        want = min(max(1, cpus), len(available))
        claims = config.get("cpu_claims")
        cores = claim_cores(available, want, claims) if claims else available[:want]
        os.sched_setaffinity(0, cores)
    argv = config["argv"]
    os.execvpe(argv[0], argv, os.environ)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # another user's process
    return True


def claim_cores(available: list[int], want: int, folder: str) -> list[int]:
    """The window of `want` consecutive cores with the fewest live sandboxes pinned to them.

    Every launcher records its cores in `folder` under its pid (which the sandboxed command
    keeps after exec), so runs side by side (a sweep's cells, from any process of this user)
    spread over the machine instead of sharing cores while others idle. Ties are broken at
    random; claims of processes that have ended are dropped.
    """
    os.makedirs(folder, mode=0o700, exist_ok=True)
    with open(os.path.join(folder, ".lock"), "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # one launcher at a time reads and claims
        load = dict.fromkeys(available, 0)
        for name in os.listdir(folder):
            if not name.isdigit():
                continue
            path = os.path.join(folder, name)
            if not _alive(int(name)):
                with contextlib.suppress(OSError):
                    os.unlink(path)
                continue
            try:
                with open(path) as fh:
                    claimed = [int(core) for core in fh.read().split()]
            except (OSError, ValueError):
                continue
            for core in claimed:
                if core in load:
                    load[core] += 1
        n = len(available)
        windows = [[available[(start + i) % n] for i in range(want)] for start in range(n)]
        random.shuffle(windows)
        cores = min(windows, key=lambda window: sum(load[core] for core in window))
        with open(os.path.join(folder, str(os.getpid())), "w") as fh:
            fh.write(" ".join(str(core) for core in cores))
    return cores


if __name__ == "__main__":
    main()
