"""Started as `python -I -S launcher.py CONFIG_JSON`: puts itself into the sandbox's control
groups, sets resource limits and CPU affinity, asks to die with its parent, then execs the command.

Standard library only, and nothing imported that could run code from the working directory.
"""

import ctypes
import json
import os
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
        # A window of `cpus` cores starting at a random core, so that runs side by side (a
        # sweep's cells) spread over the machine instead of all landing on the first cores.
        want = min(max(1, cpus), len(available))
        start = int.from_bytes(os.urandom(2), "little") % len(available)
        os.sched_setaffinity(0, [available[(start + i) % len(available)] for i in range(want)])
    argv = config["argv"]
    os.execvpe(argv[0], argv, os.environ)


if __name__ == "__main__":
    main()
