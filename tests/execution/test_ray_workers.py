"""The Ray that the executor starts for a sweep keeps its idle workers (and their warm fork
servers) between cells of different sizes; by default Ray ends a worker idle for a second
once it holds more workers than CPUs, and the next cell waits for a new one."""

from __future__ import annotations

import os
import time

import pytest

from ascent.execution.ray_executor import LOOPBACK_ENV, RayExecutor


def worker_pid(seconds: float) -> int:
    time.sleep(seconds)  # long enough that the two one-CPU tasks need two workers
    return os.getpid()


@pytest.mark.timeout(180)
def test_a_ray_started_for_a_sweep_keeps_its_idle_workers(home, monkeypatch):
    ray = pytest.importorskip("ray")
    if ray.is_initialized():
        pytest.skip("a Ray is already running in this process")
    monkeypatch.setenv(LOOPBACK_ENV, "0")
    executor = RayExecutor(home, "sweep-x", "nonce", num_cpus=2)
    executor.start()
    try:
        remote = ray.remote(worker_pid)

        def one_cpu_pair() -> set[int]:  # cells ask memory too, as the executor's do
            refs = [remote.options(num_cpus=1, memory=2**30).remote(1.0) for _ in range(2)]
            return set(ray.get(refs, timeout=120))

        first = one_cpu_pair()
        assert len(first) == 2
        for _ in range(4):  # two-CPU cells, one at a time, leave one worker idle
            ray.get(remote.options(num_cpus=2, memory=2**30).remote(0.5), timeout=120)
        time.sleep(3.0)  # three times Ray's default idle threshold
        assert one_cpu_pair() == first, "a worker was ended while idle and started again"
    finally:
        executor.close()
    assert not ray.is_initialized()
