"""The Ray executor: each attempt is a Ray task asking `num_cpus` and `memory` from the cell's
limits; Ray places it on any node of the cluster.

The task runs the cell (`ascent sweep run-cell RUN_ID`) in a child process forked from the
worker's preloaded fork server (see `forked`), with a node-local scratch home
(its own prepared-task cache and a throw-away SQLite index). The run folder itself comes and
goes one of two ways:

- **shared**: the head's `$ASCENT_HOME` is mounted at the same path on the node (checked with a
  random token in the sweep folder); the run folder there is used in place.
- **return**: the head sends the run folder as a tarball through the object store, and the
  task returns it, updated, when it ends; the head writes it back.

Either way only the head writes its SQLite index, from the run folder, after each attempt.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import logging
import os
import shutil
import signal
import tarfile
import tempfile
import time
from pathlib import Path
from typing import Any, Literal

from ascent.config import Paths
from ascent.errors import ConfigError
from ascent.execution.base import MIB, CellJob, CellOutcome, describe_exit, tail
from ascent.execution.cellproc import LOCK_NAME, file_lock
from ascent.execution.forked import start_cell

log = logging.getLogger(__name__)

Artifacts = Literal["auto", "shared", "return"]
# A Ray started here for one sweep listens on loopback only (Ray's switch for that).
LOOPBACK_ENV = "RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER"
# Ray renices its workers to 15; a cell is a whole run and, like a cell of the local pool,
# should not yield its CPU to every other process of the machine.
NICENESS_ENV = "RAY_worker_niceness"
# Ray ends a worker idle for a second when it holds more workers than CPUs, which happens as
# soon as cells of different sizes alternate; the next cell then waits seconds for a new
# worker and its fork server (measured: 6 one-CPU cells after a sweep of two-CPU cells,
# 46.9 s with Ray's default, 42.4 s with workers kept). A Ray started for a sweep keeps its
# idle workers for minutes; `ray start --system-config` does the same on a cluster.
SYSTEM_CONFIG = {"idle_worker_killing_time_threshold_ms": 300_000}
CANCEL_GRACE = 60.0


# -- what runs on the node ----------------------------------------------------------------------
def scratch_home(head_home: str) -> Path:
    digest = hashlib.sha256(head_home.encode()).hexdigest()[:12]
    return Path(tempfile.gettempdir()) / f"ascent-ray-{digest}"


def shares_home(head_home: str, sweep_id: str, nonce: str) -> bool:
    token = Path(head_home) / "sweeps" / sweep_id / ".nonce"
    try:
        return token.read_text().strip() == nonce
    except OSError:
        return False


def pack(run_dir: Path) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz", compresslevel=1) as tar:
        tar.add(
            run_dir,
            arcname=run_dir.name,
            filter=lambda info: None if Path(info.name).name == LOCK_NAME else info,
        )
    return buffer.getvalue()


def snapshot(run_dir: Path, timeout: float = CANCEL_GRACE * 5) -> bytes:
    """The run folder packed under its lock. A retry is sent while the lost attempt's cell
    process may still be saving its state in the head's folder (a home shared with the node,
    or a cell on the head's own machine): its files are renamed into place as the walk reads
    them, so the head waits until that process lets go of the run."""
    with file_lock(run_dir / LOCK_NAME, timeout, f"the previous attempt at {run_dir.name}"):
        return pack(run_dir)


def unpack(data: bytes, runs: Path, run_id: str) -> Path:
    """Write a packed run folder into `runs`, replacing what was there, atomically enough: the
    old folder is only removed once the new one is complete."""
    runs.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".incoming-{run_id}-", dir=runs))
    try:
        with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as tar:
            tar.extractall(staging, filter="data")
        incoming = staging / run_id
        if not (incoming / "run.json").is_file():
            raise ValueError(f"the returned bundle holds no run folder {run_id}")
        target = runs / run_id
        old = runs / f".old-{run_id}-{os.getpid()}"
        if target.is_symlink():
            target.unlink()
        elif target.exists():
            target.rename(old)
        incoming.rename(target)
        shutil.rmtree(old, ignore_errors=True)
        return target
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _wait_for_previous(run_dir: Path) -> None:
    """An attempt whose worker was lost may still be stopping its cell process here (it gets
    SIGTERM when its parent dies): wait until it has let go of the run."""
    lock = run_dir / LOCK_NAME
    if lock.exists():
        with file_lock(lock, CANCEL_GRACE * 5, f"the previous attempt at {run_dir.name}"):
            pass


def _clear(path: Path) -> None:
    if path.is_symlink() or path.is_file():
        path.unlink()
    elif path.exists():
        shutil.rmtree(path)


def cell_task(
    run_id: str,
    attempt: int,
    head_home: str,
    sweep_id: str,
    nonce: str,
    bundle: list[Any],
    env: dict[str, str],
    artifacts: Artifacts,
) -> dict[str, Any]:
    """One attempt, on whichever node Ray chose. Returns how the cell's process ended."""
    import ray

    started = time.monotonic()
    node = f"{ray.util.get_node_ip_address()}/{ray.get_runtime_context().get_node_id()[:8]}"
    paths = Paths(scratch_home(head_home)).ensure()
    run_dir = paths.runs / run_id
    shared = artifacts != "return" and shares_home(head_home, sweep_id, nonce)
    if artifacts == "shared" and not shared:
        raise RuntimeError(
            f"{head_home} is not shared with node {node}: mount it at the same path, "
            "or use --artifacts return"
        )
    _wait_for_previous(run_dir)
    _clear(run_dir)
    if shared:
        run_dir.symlink_to(Path(head_home) / "runs" / run_id)
    else:
        unpack(ray.get(bundle[0]), paths.runs, run_id)
    log_path = paths.home / "logs" / f"{run_id}.{attempt}.log"
    process = start_cell(paths.home, run_id, env, log_path)
    try:
        process.join()
    except KeyboardInterrupt:  # ray.cancel: interrupt the run cleanly, then give up the task
        with contextlib.suppress(ProcessLookupError):
            os.kill(process.pid, signal.SIGTERM)
        process.join(CANCEL_GRACE)
        if process.exitcode is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
        raise
    code = process.exitcode
    result: dict[str, Any] = {
        "exit_code": code,
        "tail": tail(log_path),
        "node": node,
        "mode": "shared" if shared else "return",
        "seconds": time.monotonic() - started,
    }
    if shared:
        run_dir.unlink()
    else:
        result["bundle"] = pack(run_dir)
        shutil.rmtree(run_dir, ignore_errors=True)
    return result


# -- the head's side ----------------------------------------------------------------------------
class RayExecutor:
    name = "ray"

    def __init__(
        self,
        paths: Paths,
        sweep_id: str,
        nonce: str,
        address: str | None = None,
        artifacts: Artifacts = "auto",
        num_cpus: int | None = None,
    ) -> None:
        self.paths = paths
        self.sweep_id = sweep_id
        self.nonce = nonce
        self.address = address
        self.artifacts = artifacts
        self.num_cpus = num_cpus
        self._owned = False
        self._remote: Any = None
        self._inflight: dict[Any, tuple[CellJob, float, list[Any]]] = {}
        self._cancelled = False

    def start(self) -> None:
        if self.address is None:
            os.environ.setdefault(LOOPBACK_ENV, "0")
            os.environ.setdefault(NICENESS_ENV, "0")
        try:
            import ray
        except ImportError as exc:
            raise ConfigError(
                "the ray executor needs Ray", hint="pip install 'ascentlab[ray]'"
            ) from exc
        if not ray.is_initialized():
            options: dict[str, Any] = {"log_to_driver": False, "configure_logging": False}
            if self.address is None:  # a new Ray, even when one was `ray start`ed here
                options.update(
                    address="local",
                    include_dashboard=False,
                    num_cpus=self.num_cpus,
                    _system_config=SYSTEM_CONFIG,
                )
            else:
                options["address"] = self.address
            try:
                ray.init(**options)
            except Exception as exc:  # Ray raises bare Exception too (a raylet slow to start)
                with contextlib.suppress(Exception):
                    ray.shutdown()  # what it started of a local instance
                hint = (
                    "check `ray status` on the head node, or leave out --address"
                    if self.address
                    else "Ray gives its processes a few seconds to start: on a busy machine "
                    "try again, or start it with `ray start --head` and use --address auto"
                )
                raise ConfigError(
                    f"cannot connect to Ray at {self.address or 'a new local instance'}: {exc}",
                    hint=hint,
                ) from exc
            self._owned = True
        self._remote = ray.remote(cell_task)

    def _nodes(self) -> list[dict[str, float]]:
        import ray

        return [n["Resources"] for n in ray.nodes() if n.get("Alive")]

    def check(self, job: CellJob) -> None:
        nodes = self._nodes()
        fits = any(
            n.get("CPU", 0) >= job.cpus and n.get("memory", 0) >= job.memory_mb * MIB for n in nodes
        )
        if not fits:
            largest = max(nodes, key=lambda n: n.get("CPU", 0), default={})
            raise ConfigError(
                f"no Ray node can hold a cell asking {job.cpus} CPUs and {job.memory_mb} MB "
                f"(largest node: {largest.get('CPU', 0):.0f} CPUs, "
                f"{largest.get('memory', 0) / MIB:.0f} MB)",
                hint="lower limits.cpus / limits.memory_mb in the spec (--cpus, --memory)",
            )

    def has_room(self, job: CellJob) -> bool:
        return not self._cancelled  # Ray queues what does not fit yet

    def submit(self, job: CellJob) -> int | None:
        import ray

        bundle: list[Any] = []
        if self.artifacts != "shared":
            bundle = [ray.put(snapshot(self.paths.runs / job.run_id))]
        ref = self._remote.options(
            num_cpus=job.cpus,
            memory=job.memory_mb * MIB,
            max_retries=0,
            retry_exceptions=False,
            name=f"ascent-cell:{job.key}",
        ).remote(
            job.run_id,
            job.attempt,
            str(self.paths.home),
            self.sweep_id,
            self.nonce,
            bundle,
            job.env,
            self.artifacts,
        )
        self._inflight[ref] = (job, time.monotonic(), bundle)
        return None

    def poll(self, timeout: float) -> list[CellOutcome]:
        import ray

        if not self._inflight:
            time.sleep(min(timeout, 0.2))
            return []
        refs = list(self._inflight)
        ready, _ = ray.wait(refs, num_returns=1, timeout=timeout)
        if ready:
            ready, _ = ray.wait(refs, num_returns=len(refs), timeout=0)
        return [self._outcome(ref) for ref in ready]

    def _outcome(self, ref: Any) -> CellOutcome:
        import ray
        from ray.exceptions import TaskCancelledError

        job, started, _ = self._inflight.pop(ref)
        outcome = CellOutcome(
            key=job.key, run_id=job.run_id, seconds=time.monotonic() - started, mode="ray"
        )
        try:
            result = ray.get(ref, timeout=60)
        except TaskCancelledError:
            outcome.cancelled, outcome.error = True, "cancelled"
            return outcome
        except Exception as exc:  # worker or node lost, object lost, our task raised...
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
            outcome.error = f"{type(exc).__name__}: {first}"[:400]
            outcome.cancelled = self._cancelled
            return outcome
        outcome.exit_code = result["exit_code"]
        outcome.node = result["node"]
        outcome.mode = result["mode"]
        outcome.bundle = result.get("bundle")
        outcome.cancelled = self._cancelled
        if outcome.exit_code != 0:
            outcome.error = describe_exit(outcome.exit_code) + (
                f": {result['tail']}" if result.get("tail") else ""
            )
        return outcome

    def in_flight(self) -> int:
        return len(self._inflight)

    def cancel(self) -> None:
        import ray

        self._cancelled = True
        for ref in list(self._inflight):
            try:
                ray.cancel(ref, force=False)
            except Exception as exc:  # already finished, or the cluster is gone
                log.debug("cancel failed: %s", exc)

    def kill(self) -> None:
        import ray

        self._cancelled = True
        for ref in list(self._inflight):
            try:
                ray.cancel(ref, force=True)
            except Exception as exc:
                log.debug("force cancel failed: %s", exc)

    def close(self) -> None:
        import ray

        self._inflight.clear()
        if self._owned and ray.is_initialized():
            ray.shutdown()
