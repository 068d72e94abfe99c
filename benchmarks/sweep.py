"""Sweep executors, measured side by side in one run.

1. Wall-clock of a sweep of 8 CPU-bound runs (an agent doing a fixed amount of hashing on one
   core, in the sandbox, with `limits.cpus: 1`) three ways: serial (the local executor with one
   worker: one run after another), the local process pool and a local Ray, both on 2 CPUs.
   The three take turns in each of `--rounds` rounds (order rotated) and their medians are
   compared. Target: both parallel executors >= 1.8x serial. The sweep's wall-clock covers
   everything the user waits for: creating each run, starting its cell, the run, indexing it.
   Starting Ray itself is timed apart (a cluster is usually up already).
2. Scheduling overhead per run: a sweep of runs of a trivial agent (exits at once), one at a
   time, its wall-clock per run minus the same run's lifecycle executed in this process
   without any executor. For Ray the second such sweep is measured: the first starts Ray's
   workers, which then stay up as on a running cluster.

    python benchmarks/sweep.py [--runs 8] [--iterations 16000] [--trivial 4] [--rounds 3]
"""

from __future__ import annotations

import argparse
import io
import json
import os
import statistics
import tempfile
import time
from pathlib import Path

from rich.console import Console

from ascent.config import Paths
from ascent.execution.base import Executor
from ascent.execution.local import LocalExecutor
from ascent.execution.ray_executor import LOOPBACK_ENV, NICENESS_ENV, SYSTEM_CONFIG, RayExecutor
from ascent.execution.spec import validate_spec
from ascent.execution.state import SweepFolder, SweepState
from ascent.execution.sweep import SweepRunner, create_sweep
from ascent.harness.lifecycle import ENDED, create_run, execute_run
from ascent.harness.runstate import RunOptions
from ascent.harness.sandbox import Limits
from ascent.store import Store
from ascent.tasks.prepare import prepare_task
from ascent.tasks.registry import Registry

TASK = "penguin-species"
CPUS = 2
CPU_WORK = """
import hashlib
data = b"x" * 1_000_000
for _ in range({iterations}):
    data = hashlib.sha256(data).digest() * 31250
"""


def agent_folder(root: Path, name: str, command: list[str]) -> Path:
    folder = root / name
    folder.mkdir(parents=True)
    (folder / "agent.yaml").write_text(
        json.dumps({"name": name, "description": "benchmark agent", "command": command})
    )
    return folder


def spec(agents: Path, agent: str, seeds: int, name: str, cpus: int):
    return validate_spec(
        {
            "name": name,
            "tasks": [TASK],
            "agents": [agent],
            "seeds": list(range(seeds)),
            "budget": "10m",
            "limits": {"cpus": cpus, "memory_mb": 1024},
            "agent_dirs": [str(agents)],
            "retries": 0,
        }
    )


def run_sweep(
    paths: Paths,
    store: Store,
    agents: Path,
    agent: str,
    seeds: int,
    executor: str,
    cpus: int = 1,
) -> tuple[float, SweepState]:
    """Create a sweep, run it to the end with `executor`; its wall-clock seconds. Runs asking
    all the CPUs run one at a time."""
    state = create_sweep(paths, store, spec(agents, agent, seeds, f"{agent}-{executor}", cpus))
    runner_executor: Executor
    if executor == "ray":
        folder = SweepFolder(paths, state.sweep_id)
        runner_executor = RayExecutor(paths, state.sweep_id, folder.nonce(), num_cpus=CPUS)
    else:
        runner_executor = LocalExecutor(paths, workers=1 if executor == "serial" else CPUS)
    runner = SweepRunner(
        paths, store, state.sweep_id, runner_executor, console=Console(file=io.StringIO())
    )
    start = time.perf_counter()
    final = runner.run()
    seconds = time.perf_counter() - start
    bad = [c.key for c in final.cells if c.status != "done"]
    assert final.status == "finished" and not bad, f"cells not done: {bad}"
    return seconds, final


def in_process_seconds(paths: Paths, store: Store, agents: Path) -> float:
    """A trivial run's lifecycle with no executor: create, execute, grade, report."""
    start = time.perf_counter()
    state = create_run(
        paths,
        store,
        RunOptions(
            task_id=TASK,
            agent="noop",
            agent_dirs=[str(agents)],
            budget_seconds=600,
            limits=Limits(cpus=1, memory_mb=1024),
        ),
    )
    final = execute_run(paths, store, state.run_id, console=Console(file=io.StringIO()))
    assert final.status in ENDED
    return time.perf_counter() - start


def start_ray() -> float | None:
    """A new local Ray, set up as the executor sets up its own (loopback, workers not niced,
    idle workers kept); the seconds it took, or None when it would not start."""
    os.environ.setdefault(LOOPBACK_ENV, "0")
    os.environ.setdefault(NICENESS_ENV, "0")
    import ray

    for attempt in range(3):  # Ray gives its raylet 30 s to register: not always enough here
        start = time.perf_counter()
        try:
            ray.init(
                address="local",
                num_cpus=CPUS,
                include_dashboard=False,
                log_to_driver=False,
                configure_logging=False,
                _system_config=SYSTEM_CONFIG,
            )
            return time.perf_counter() - start
        except Exception as exc:
            ray.shutdown()
            print(f"ray.init failed (attempt {attempt + 1} of 3): {exc}")
    return None


def ratio_row(label: str, wall: float | None, serial: float) -> str:
    if wall is None:
        return f"{label:<34} {'-':>8} {'-':>10} {'>= 1.8':>8}"
    return f"{label:<34} {wall:>8.1f} {serial / wall:>10.2f} {'>= 1.8':>8}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=8, help="CPU-bound runs per sweep.")
    parser.add_argument(
        "--iterations", type=int, default=16000, help="Work of each run (~10 s of a core)."
    )
    parser.add_argument("--trivial", type=int, default=4, help="Trivial runs for the overhead.")
    parser.add_argument(
        "--rounds", type=int, default=3, help="Sweeps of each executor, taking turns (median)."
    )
    args = parser.parse_args()
    import ray

    load_before = os.getloadavg()[0]
    with tempfile.TemporaryDirectory(prefix="ascent-bench-") as name:
        tmp = Path(name)
        paths = Paths(tmp / "home").ensure()
        store = Store(paths.db)
        prepare_task(Registry().get(TASK), paths, store)
        agents = tmp / "agents"
        agent_folder(agents, "noop", ["true"])
        cpu = agent_folder(agents, "cpu", ["python", "{agent_dir}/cpu_work.py"])
        (cpu / "cpu_work.py").write_text(CPU_WORK.format(iterations=args.iterations))

        bare = statistics.median(in_process_seconds(paths, store, agents) for _ in range(3))
        trivial: dict[str, float] = {}  # wall-clock per run of a sweep of trivial runs
        measured: dict[str, list[float]] = {"serial": [], "local": [], "ray": []}
        ray_start: float | None = None
        try:
            wall, _ = run_sweep(paths, store, agents, "noop", args.trivial, "serial")
            trivial["serial"] = wall / args.trivial
            ray_start = start_ray()
            executors = ["serial", "local"] + (["ray"] if ray_start is not None else [])
            if ray_start is not None:
                # A first sweep of one-CPU runs side by side starts as many Ray workers as
                # run at once, with their fork servers, which stay up for the next sweeps (as
                # on a running cluster): the sweeps after it are measured.
                run_sweep(paths, store, agents, "noop", 2 * CPUS, "ray", cpus=1)
                wall, _ = run_sweep(paths, store, agents, "noop", args.trivial, "ray", cpus=CPUS)
                trivial["ray"] = wall / args.trivial
            # The executors take turns within each round, in a rotated order, so that a drift
            # of the machine's speed (other load, clocks) weighs on all of them alike.
            for round_ in range(args.rounds):
                shift = round_ % len(executors)
                for ex in executors[shift:] + executors[:shift]:
                    wall, _ = run_sweep(paths, store, agents, "cpu", args.runs, ex)
                    measured[ex].append(wall)
        finally:
            ray.shutdown()
            store.close()

    walls = {ex: statistics.median(w) if w else None for ex, w in measured.items()}
    serial = walls["serial"]
    assert serial is not None
    print(f"{args.runs} CPU-bound runs of {serial / args.runs:.1f} s each (serial), {CPUS} CPUs")
    print(f"median of {args.rounds} rounds, the executors taking turns in a rotated order")
    for ex, values in measured.items():
        if values:
            print(f"  {ex:<8} " + "  ".join(f"{v:.1f}" for v in values))
    print(f"{'executor':<34} {'wall s':>8} {'vs serial':>10} {'target':>8}")
    print(f"{'serial (local, 1 worker)':<34} {serial:>8.1f} {1.0:>10.2f}")
    print(ratio_row("local pool (2 workers)", walls["local"], serial))
    print(ratio_row("ray (local, num_cpus=2)", walls["ray"], serial))
    if ray_start is None:
        print("  ray: a local Ray would not start on this machine now (see above)")
    else:
        print(f"  ray.init took {ray_start:.1f} s, timed apart (a cluster is usually up already)")
    print()
    print(f"scheduling overhead per run (a sweep of {args.trivial} trivial runs, one at a time)")
    print(f"{'measure':<34} {'s/run':>8}")
    print(f"{'in-process lifecycle, no executor':<34} {bare:>8.2f}")
    for ex, label in (("serial", "local executor"), ("ray", "ray executor")):
        if ex not in trivial:
            continue
        cell = trivial[ex]
        print(f"{label + ', sweep wall / runs':<34} {cell:>8.2f}")
        print(f"{label + ', overhead':<34} {cell - bare:>8.2f}")
    print()
    print(
        f"note: load average {load_before:.1f} at the start, {os.getloadavg()[0]:.1f} at the "
        f"end on {os.cpu_count()} cores: the machine was busy with other work, which slows "
        "every figure and the parallel ones most; ratios are what to compare."
    )


if __name__ == "__main__":
    main()
