"""The Ray executor on a Ray started by the test: a local instance with 2 CPUs (default suite),
and a two-node cluster on this machine (slow). Ray is always stopped by the test that started
it, by process id, and every wait is bounded."""

from __future__ import annotations

import io
import os
import signal
import subprocess
import sys
import threading
import traceback

import psutil
import pytest
from rich.console import Console

from ascent.execution.ray_executor import LOOPBACK_ENV, RayExecutor
from ascent.execution.state import SweepFolder
from ascent.execution.sweep import SweepRunner, create_sweep
from ascent.store import Store
from tests.execution.conftest import (
    ascent,
    cell_process,
    check_run,
    cli_env,
    only_sweep,
    ray_worker_of,
    submitted,
    sweep_flags,
    tiny_spec,
    wait_for,
)


@pytest.fixture(scope="module")
def local_ray():
    """`ray.init(num_cpus=2)` on loopback; shut down after the module."""
    pytest.importorskip("ray")
    previous = os.environ.get(LOOPBACK_ENV)
    os.environ[LOOPBACK_ENV] = "0"
    import ray
    from ray._private import ray_constants

    ray_constants.ENABLE_RAY_CLUSTER = False  # in case ray was imported before the variable
    ray.init(
        num_cpus=2,
        include_dashboard=False,
        log_to_driver=False,
        configure_logging=False,
    )
    try:
        yield ray
    finally:
        ray.shutdown()
        if previous is None:
            os.environ.pop(LOOPBACK_ENV, None)
        else:
            os.environ[LOOPBACK_ENV] = previous


def run_in_thread(runner: SweepRunner):
    box: dict = {}

    def target():
        try:
            box["state"] = runner.run()
        except BaseException as exc:  # surfaced by the test, with where it was raised
            box["error"] = "".join(traceback.format_exception(exc))

    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    return thread, box


@pytest.mark.timeout(300)
def test_ray_local_two_cpus_retries_a_lost_worker(home, local_ray, monkeypatch):
    ray = local_ray
    assert ray.cluster_resources().get("CPU") == 2
    assert {n["NodeManagerAddress"] for n in ray.nodes()} == {"127.0.0.1"}
    monkeypatch.setenv("SWEEPER_SLEEP", "12")
    with Store(home.db) as store:
        created = create_sweep(home, store, tiny_spec([0, 1]))
        folder = SweepFolder(home, created.sweep_id)
        executor = RayExecutor(home, created.sweep_id, folder.nonce())
        runner = SweepRunner(
            home, store, created.sweep_id, executor, console=Console(file=io.StringIO())
        )
        thread, box = run_in_thread(runner)
        victim = wait_for(
            lambda: (c := folder.load().cells[0]).run_id and submitted(home, c.run_id) and c,
            120,
            "the first submission of cell 0",
        )
        cell = wait_for(lambda: cell_process(home.runs / victim.run_id), 30, "its process")
        worker = ray_worker_of(cell)
        os.kill(worker.pid, signal.SIGKILL)  # the Ray worker running the cell
        thread.join(240)
        assert not thread.is_alive(), "the sweep did not end"
    assert "error" not in box, box.get("error")
    final = box["state"]
    assert final.status == "finished" and final.executor == "ray"
    lost, other = final.cells
    assert lost.retries == 1 and [a.outcome for a in lost.attempts] == ["infra", "ended"]
    assert "Error" in (lost.attempts[0].error or "")
    assert other.retries == 0 and [a.outcome for a in other.attempts] == ["ended"]
    assert all(a.node and a.node.startswith("127.0.0.1/") for a in lost.attempts[1:])
    events = check_run(home, lost.run_id, segments=2)
    assert [e.submission_id for e in events if e.kind == "submission"] == ["s0001", "s0002"]
    check_run(home, other.run_id, segments=1)


@pytest.mark.slow  # starts a second Ray of its own, in the sweep process
@pytest.mark.timeout(600)
def test_head_killed_then_resumed_on_ray(home):
    """kill -9 of `ascent sweep --executor ray` (which started its own Ray): its Ray processes
    and cells go with it, and `ascent sweep resume` on a new Ray finishes every run without
    losing or doubling a submission."""
    pytest.importorskip("ray")
    flags = [*sweep_flags(0, 1), "--executor", "ray", "--workers", "2"]
    env = {LOOPBACK_ENV: "0", "SWEEPER_SLEEP": "300"}
    head = subprocess.Popen(
        [sys.executable, "-m", "ascent", *flags],
        env=cli_env(home, **env),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        sweep = wait_for(
            lambda: (
                (s := _sweep_if_any(home))
                and len(s.cells) == 2
                and all(submitted(home, c.run_id) for c in s.cells)
                and s
            ),
            240,
            "a submission in every cell",
        )
        spawned = psutil.Process(head.pid).children(recursive=True)  # Ray's daemons, workers
        assert any("raylet" in " ".join(p.cmdline()) for p in spawned)
    finally:
        head.send_signal(signal.SIGKILL)
        head.wait(10)
    run_ids = [c.run_id for c in sweep.cells]
    for run_id in run_ids:
        wait_for(lambda r=run_id: cell_process(home.runs / r) is None, 90, "the cells to stop")
    wait_for(
        lambda: not [p for p in spawned if p.is_running() and p.status() != psutil.STATUS_ZOMBIE],
        90,
        "the killed head's Ray processes to end",
    )

    done = ascent(
        home,
        "sweep",
        "resume",
        sweep.sweep_id,
        "--executor",
        "ray",
        timeout=400,
        **{**env, "SWEEPER_SLEEP": "0"},
    )
    assert done.returncode == 0, done.stderr
    after = only_sweep(home)
    assert after.status == "finished" and [c.run_id for c in after.cells] == run_ids
    for cell in after.cells:
        assert [a.outcome for a in cell.attempts] == ["lost", "ended"]
        events = check_run(home, cell.run_id, segments=2)
        assert [e.submission_id for e in events if e.kind == "submission"] == ["s0001", "s0002"]


def _sweep_if_any(home):
    try:
        return only_sweep(home)
    except (ValueError, OSError):
        return None
