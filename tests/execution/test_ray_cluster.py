"""A two-node Ray cluster on this machine (`ray start --head` + `ray start --address`), both
started and stopped by the test, everything on 127.0.0.1: a sweep through `--address`, with run
folders sent back through Ray (`--artifacts return`), survives the death of the second node."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from ascent.execution.ray_executor import scratch_home
from tests.execution.conftest import (
    cell_process,
    check_run,
    cli_env,
    only_sweep,
    sweep_flags,
    wait_for,
)

pytestmark = [pytest.mark.slow, pytest.mark.timeout(420)]

# Ray maps 127.0.0.1 to the machine's outward address unless told it is alone; a worker node
# cannot be told so, hence this shim that keeps its addresses as given. Test-only.
WORKER_SHIM = (
    "import sys, ray._private.services as s; s.resolve_ip_for_localhost = lambda h: h; "
    "from ray.scripts.scripts import main; sys.argv = ['ray', *sys.argv[1:]]; main()"
)
RAY_ENV = {
    "RAY_USAGE_STATS_ENABLED": "0",
    "RAY_AUTH_MODE": "disabled",  # a throw-away cluster on loopback
    "RAY_health_check_period_ms": "1000",
    "RAY_health_check_timeout_ms": "1000",
    "RAY_health_check_failure_threshold": "3",
}


class RayNode:
    """One `ray start ... --block` process in a session of its own; stopped by its id."""

    def __init__(self, argv: list[str], env: dict[str, str], log: Path) -> None:
        self.log = log
        with log.open("wb") as out:
            self.process = subprocess.Popen(
                argv, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
            )

    def kill(self) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(30)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.process.wait(30)
        self.kill()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def two_nodes():
    pytest.importorskip("ray")
    ray_bin = str(Path(sys.executable).parent / "ray")
    temp = Path(tempfile.mkdtemp(prefix="ray-", dir="/tmp"))  # short: socket paths
    port = _free_port()
    common = ["--num-cpus", "1", "--disable-usage-stats", "--block"]
    head_env = {**os.environ, **RAY_ENV, "RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER": "0"}
    nodes: list[RayNode] = []
    try:
        head = RayNode(
            [ray_bin, "start", "--head", "--port", str(port), "--include-dashboard=false",
             "--temp-dir", str(temp), *common],
            head_env,
            temp / "head.log",
        )  # fmt: skip
        nodes.append(head)
        wait_for(
            lambda: (
                head.process.poll() is not None or b"Ray runtime started" in head.log.read_bytes()
            ),
            150,
            "the head node",
            every=0.5,
        )
        assert head.process.poll() is None, head.log.read_text()[-2000:]
        worker = RayNode(
            [sys.executable, "-c", WORKER_SHIM, "start", "--address", f"127.0.0.1:{port}", *common],
            {**os.environ, **RAY_ENV},
            temp / "worker.log",
        )
        nodes.append(worker)
        wait_for(
            lambda: "Ray runtime started" in worker.log.read_text(), 150, "the second node", 0.5
        )
        yield f"127.0.0.1:{port}", head, worker
    finally:
        for node in reversed(nodes):
            node.stop()


def test_two_node_cluster_survives_a_node_killed_mid_run(home, two_nodes):
    address, head_node, worker_node = two_nodes
    env = {**RAY_ENV, "RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER": "0", "SWEEPER_SLEEP": "15"}
    sweep = subprocess.Popen(
        [sys.executable, "-m", "ascent", *sweep_flags(0, 1), "--executor", "ray",
         "--address", address, "--artifacts", "return"],
        env=cli_env(home, **env),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )  # fmt: skip
    try:
        # One cell per node (1 CPU each); the run folders only reach the head when cells end,
        # so progress is watched in the nodes' scratch homes.
        scratch = scratch_home(str(home.home))

        def on_worker_node():
            for run_id in _running_cells(home):
                process = cell_process(scratch / "runs" / run_id)
                if process and worker_node.process.pid in {p.pid for p in process.parents()}:
                    return run_id
            return None

        run_id = wait_for(on_worker_node, 180, "a cell on the second node", every=0.5)
        wait_for(lambda: _submitted_in(scratch, run_id), 120, "its first submission", 0.5)
        worker_node.kill()
        out, err = sweep.communicate(timeout=300)
    finally:
        if sweep.poll() is None:
            sweep.kill()
            sweep.wait(10)
    assert sweep.returncode == 0, err[-3000:]
    assert "| sweeper | 2 |" in out
    final = only_sweep(home)
    assert final.status == "finished"
    [lost] = [c for c in final.cells if c.run_id == run_id]
    [kept] = [c for c in final.cells if c.run_id != run_id]
    assert lost.retries == 1 and [a.outcome for a in lost.attempts] == ["infra", "ended"]
    assert "Died" in (lost.attempts[0].error or "") or "Crashed" in (lost.attempts[0].error or "")
    assert kept.retries == 0 and [a.outcome for a in kept.attempts] == ["ended"]
    for cell in final.cells:
        assert all(a.node and a.node.startswith("127.0.0.1/") for a in cell.attempts if a.node)
        # Returned through Ray and written by the head: one segment, since with `return` an
        # attempt lost with its node restarts from the copy the head holds.
        events = check_run(home, cell.run_id, segments=1)
        assert [e.submission_id for e in events if e.kind == "submission"] == ["s0001"]
        assert not (home.runs / cell.run_id).is_symlink()
    assert head_node.process.poll() is None


def _running_cells(home) -> list[str]:
    try:
        return [c.run_id for c in only_sweep(home).cells if c.status == "running" and c.run_id]
    except (ValueError, OSError):
        return []


def _submitted_in(scratch: Path, run_id: str) -> bool:
    path = scratch / "runs" / run_id / "events.jsonl"
    return path.exists() and b'"kind":"submission"' in path.read_bytes()
