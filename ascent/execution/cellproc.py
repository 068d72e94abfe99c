"""What the process of one cell attempt does (`ascent sweep run-cell RUN_ID`, hidden).

It dies with its parent (the sweep process or a Ray worker): when that is killed, it gets
SIGTERM, which interrupts the run cleanly (state saved, sandbox stopped) so that it can be
resumed. Two attempts on one run never overlap: each holds a lock in the run folder while it
runs, and the next one waits for it.
"""

from __future__ import annotations

import contextlib
import ctypes
import fcntl
import logging
import os
import signal
import sys
import time
from collections.abc import Iterator
from pathlib import Path

from rich.console import Console

from ascent.config import Paths
from ascent.errors import AscentError
from ascent.harness.lifecycle import ENDED, execute_run
from ascent.harness.runstate import load_state
from ascent.store import Store
from ascent.tasks.prepare import prepare_task
from ascent.tasks.registry import Registry

log = logging.getLogger(__name__)

PARENT_ENV = "ASCENT_CELL_PARENT"
LOCK_NAME = ".cell.lock"
EXIT_ENDED, EXIT_NOT_ENDED = 0, 3
_PR_SET_PDEATHSIG = 1


@contextlib.contextmanager
def file_lock(path: Path, timeout: float, what: str) -> Iterator[None]:
    """An exclusive flock on `path`, waited for up to `timeout` seconds; the holder's process id
    is written in it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fh = path.open("a")
    deadline = time.monotonic() + timeout
    try:
        while True:
            try:
                fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
                fh.truncate(0)
                fh.write(f"{os.getpid()}\n")
                fh.flush()
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    raise AscentError(
                        f"{what} is still held by another process after {timeout:.0f}s"
                    ) from None
                time.sleep(0.2)
        yield
    finally:
        fh.close()


def die_with_parent() -> None:
    """Ask the kernel for SIGTERM when the parent dies; exit if it is gone already."""
    expected = os.environ.get(PARENT_ENV)
    if not expected or not sys.platform.startswith("linux"):
        return
    with contextlib.suppress(OSError, AttributeError):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)
    if str(os.getppid()) != expected:
        sys.exit(EXIT_NOT_ENDED)


def interrupt_on_sigterm() -> None:
    """SIGTERM (parent gone, or cancelled) becomes a KeyboardInterrupt, once: the run is then
    interrupted like Ctrl-C would, and its cleanup is not interrupted again."""
    fired = False

    def handler(signum: int, frame: object) -> None:
        nonlocal fired
        if not fired:
            fired = True
            raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, handler)


def ensure_indexed(store: Store, run_dir: Path) -> None:
    """A run executed in another home (a Ray node's scratch home) needs its row there."""
    from ascent.execution.indexing import run_record

    state = load_state(run_dir)
    if store.get_run(state.run_id) is None:
        store.insert_run(run_record(state, run_dir))


def run_cell(paths: Paths, run_id: str, lock_timeout: float = 300.0) -> int:
    die_with_parent()
    interrupt_on_sigterm()
    run_dir = paths.runs / run_id
    if not (run_dir / "run.json").is_file():
        raise AscentError(f"no run folder {run_dir}")
    try:
        with file_lock(run_dir / LOCK_NAME, lock_timeout, f"run {run_id}"):
            state = load_state(run_dir)
            if state.status in ENDED:
                return EXIT_ENDED
            with Store(paths.db) as store:
                ensure_indexed(store, run_dir)
                options = state.options
                task = Registry([Path(p) for p in options.task_dirs]).get(options.task_id)
                with file_lock(
                    paths.tasks / f".{task.id}.cell-prepare.lock", 1800, f"preparing {task.id}"
                ):
                    prepare_task(task, paths, store)
                console = Console(file=sys.stderr, force_terminal=False, no_color=True, width=120)
                final = execute_run(paths, store, run_id, console=console)
    except KeyboardInterrupt:
        return EXIT_NOT_ENDED
    return EXIT_ENDED if final.status in ENDED else EXIT_NOT_ENDED
