"""Cell processes forked from a server that has the harness imported already.

Starting `python -m ascent sweep run-cell` costs seconds of imports (the CLI, graders, SciPy,
matplotlib for the reports) before a run even begins. A fork server (`multiprocessing`'s
forkserver, started once per sweep process or Ray worker, with those modules preloaded) forks
each cell instead: a new process, isolated like any other (its own session, its own crash),
that starts in milliseconds.

A cell dies with the process that started it (the sweep process, or the Ray worker): it watches
that process and gets SIGTERM when it is gone (and from the kernel when the fork server goes),
which interrupts its run cleanly so that it can be resumed. It lets go of the fork server's
liveness pipe, so the fork server too ends with the process that started it.
"""

from __future__ import annotations

import contextlib
import ctypes
import logging
import multiprocessing
import os
import signal
import sys
import threading
import time
from multiprocessing.process import BaseProcess
from pathlib import Path

import psutil

from ascent.config import HOME_ENV, Paths

PRELOAD = [
    "ascent.execution.cellproc",
    "ascent.harness.lifecycle",
    "ascent.tasks.mle.metrics",
    "ascent.tasks.mle.grading",
    "ascent.analysis.build",
    "ascent.analysis.render_html",
    "ascent.analysis.plots",
    "ascent.agents.builtin",
    "sklearn.ensemble",
    "sklearn.linear_model",
]
_PR_SET_PDEATHSIG, _PR_SET_NAME = 1, 15
_context = None


def context():
    global _context
    if _context is None:
        ctx = multiprocessing.get_context("forkserver")
        ctx.set_forkserver_preload(PRELOAD)
        _context = ctx
    return _context


def warm_up() -> None:
    """Start the fork server now (it imports for a few seconds) rather than at the first cell."""
    from multiprocessing import forkserver

    context()
    forkserver.ensure_running()


def _prctl(option: int, value: int | bytes) -> None:
    with contextlib.suppress(OSError, AttributeError):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(option, value, 0, 0, 0)


def _detach_from_fork_server() -> None:
    """Each forked child gets the fork server's liveness pipe, which would keep the server
    alive as long as the cell runs: close it."""
    from multiprocessing import forkserver

    server = getattr(forkserver, "_forkserver", None)
    fd = getattr(server, "_forkserver_alive_fd", None)
    if server is not None and fd is not None:
        with contextlib.suppress(OSError):
            os.close(fd)
        server._forkserver_alive_fd = None


def _watch(owner: int) -> None:
    """SIGTERM to this process once `owner` (the process that started the cell) is gone."""
    try:
        process = psutil.Process(owner)
    except psutil.Error:
        os.kill(os.getpid(), signal.SIGTERM)
        return

    def alive() -> bool:
        try:
            return process.is_running() and process.status() != psutil.STATUS_ZOMBIE
        except psutil.Error:
            return False

    def loop() -> None:
        while alive():
            time.sleep(1.0)
        os.kill(os.getpid(), signal.SIGTERM)

    threading.Thread(target=loop, name="watch-owner", daemon=True).start()


def cell_main(home: str, run_id: str, env: dict[str, str], log_path: str, owner: int) -> None:
    """The body of one cell process (runs in the forked child)."""
    from ascent.execution.cellproc import run_cell

    os.setsid()
    _detach_from_fork_server()
    _prctl(_PR_SET_NAME, b"ascent-cell")
    _prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)
    signal.signal(signal.SIGINT, signal.default_int_handler)
    fd = os.open(log_path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    sys.stdout.flush()
    sys.stderr.flush()
    os.dup2(fd, 1)
    os.dup2(fd, 2)
    os.close(fd)
    os.environ.update(env)
    os.environ[HOME_ENV] = home
    os.environ["PYTHONUNBUFFERED"] = "1"
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr, force=True)
    _watch(owner)
    code = run_cell(Paths(Path(home)).ensure(), run_id)
    sys.stdout.flush()
    sys.stderr.flush()
    sys.exit(code)


def start_cell(home: Path, run_id: str, env: dict[str, str], log_path: Path) -> BaseProcess:
    log_path.parent.mkdir(parents=True, exist_ok=True)
    process = context().Process(
        target=cell_main,
        args=(str(home), run_id, dict(env), str(log_path), os.getpid()),
        name=f"ascent-cell:{run_id}",
        daemon=False,
    )
    process.start()
    return process
