"""Dojo overheads, measured side by side in one run.

1. Lifecycle of a no-op agent: create the run, lay out the workspace, start the grading server
   and the sandbox, run the agent (which exits at once), grade, report. Target < 3 s.
2. Grading API round trip over 100 submits (real HTTP on 127.0.0.1): p50 and p95.
3. Recorder overhead: a CPU-bound agent times its own work inside a full dojo run (events,
   resource samples, code snapshots every 2 s) and inside the same sandbox with no recording.
   Target ratio < 1.02.

    python benchmarks/dojo.py [--repeats 3] [--sandbox auto|bwrap|process]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

from ascent.config import Paths
from ascent.harness.budget import Budget
from ascent.harness.grading.client import GradingClient
from ascent.harness.grading.server import ServerThread, create_app
from ascent.harness.grading.service import GradingService, ServiceConfig
from ascent.harness.lifecycle import create_run, execute_run
from ascent.harness.runstate import RunOptions
from ascent.harness.sandbox import Limits, SandboxSpec, make_sandbox, resolve_kind
from ascent.record.recorder import Recorder
from ascent.store import Store
from ascent.tasks.grading import Grader
from ascent.tasks.prepare import prepare_task
from ascent.tasks.registry import Registry

TASK = "penguin-species"
CPU_WORK = """
import hashlib, json, os, time
start = time.perf_counter()
data = b"x" * 1_000_000
for _ in range({iterations}):
    data = hashlib.sha256(data).digest() * 31250
seconds = time.perf_counter() - start
out = os.path.join(os.environ.get("WORKSPACE", "."), "output", "cpu.json")
os.makedirs(os.path.dirname(out), exist_ok=True)
open(out, "w").write(json.dumps({{"seconds": seconds}}))
"""


def agent_folder(root: Path, name: str, command: list[str], snapshot_seconds: float = 30) -> Path:
    folder = root / name
    folder.mkdir(parents=True)
    (folder / "agent.yaml").write_text(
        json.dumps(
            {
                "name": name,
                "description": "benchmark agent",
                "command": command,
                "snapshot_seconds": snapshot_seconds,
            }
        )
    )
    return folder


def lifecycle_seconds(paths: Paths, store: Store, agents: Path, sandbox: str) -> float:
    start = time.perf_counter()
    state = create_run(
        paths,
        store,
        RunOptions(
            task_id=TASK,
            agent="noop",
            agent_dirs=[str(agents)],
            sandbox=sandbox,  # type: ignore[arg-type]
        ),
    )
    final = execute_run(paths, store, state.run_id)
    assert final.status == "finished"
    return time.perf_counter() - start


def api_latencies(paths: Paths, tmp: Path, n: int = 100) -> list[float]:
    prepared = prepare_task(Registry().get(TASK), paths)
    run_dir = tmp / "api-run"
    workspace = run_dir / "workspace"
    (workspace / "output").mkdir(parents=True)
    service = GradingService(
        ServiceConfig(
            run_id="bench", run_dir=run_dir, workspace=workspace, inside_root=str(workspace)
        ),
        prepared.task,
        Grader(prepared),
        Budget(3600, n + 10),
        Recorder(run_dir, "bench"),
    )
    server = ServerThread(create_app(service, "t", rate=1e6, burst=10**6)).start()
    sample = pd.read_csv(prepared.public / "sample_submission.csv")
    paths_ = []
    for i in range(n):
        path = workspace / "output" / f"s{i}.csv"
        sample.assign(Adelie=0.2 + i / 1000).to_csv(path, index=False)
        paths_.append(str(path))
    latencies = []
    with GradingClient(server.url, "t") as client:
        for path in paths_:
            start = time.perf_counter()
            assert client.submit(path).status_code == 200
            latencies.append(time.perf_counter() - start)
    server.stop()
    return latencies


def recorded_cpu_seconds(paths: Paths, store: Store, agents: Path, sandbox: str) -> float:
    state = create_run(
        paths,
        store,
        RunOptions(
            task_id=TASK,
            agent="cpu",
            agent_dirs=[str(agents)],
            sandbox=sandbox,  # type: ignore[arg-type]
            budget_seconds=600,
        ),
    )
    execute_run(paths, store, state.run_id)
    out = paths.runs / state.run_id / "workspace" / "output" / "cpu.json"
    return json.loads(out.read_text())["seconds"]


def bare_cpu_seconds(tmp: Path, script: Path, sandbox: str, k: int) -> float:
    """The same work in the same sandbox: no grading server, recorder, monitor or snapshots."""
    workspace = tmp / f"bare-{k}"
    workspace.mkdir()
    (workspace / "cpu_work.py").write_text(script.read_text())
    box = make_sandbox(
        sandbox,
        SandboxSpec(  # type: ignore[arg-type]
            name=f"bench-bare-{k}",
            workspace=workspace,
            limits=Limits(),
            env={"PATH": "/usr/bin:/bin", "HOME": "/tmp"},
        ),
    )
    inside = box.workspace_path
    try:
        result = box.run(
            [sys.executable, f"{inside}/cpu_work.py"], timeout=600, env={"WORKSPACE": inside}
        )
        assert result.exit_code == 0, result.output_tail
    finally:
        box.close()
    return json.loads((workspace / "output" / "cpu.json").read_text())["seconds"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--sandbox", default="auto", choices=["auto", "bwrap", "process"])
    parser.add_argument("--iterations", type=int, default=6000, help="Size of the CPU-bound work.")
    args = parser.parse_args()
    sandbox = resolve_kind(args.sandbox)  # type: ignore[arg-type]
    with tempfile.TemporaryDirectory(prefix="ascent-bench-") as name:
        tmp = Path(name)
        paths = Paths(tmp / "home").ensure()
        store = Store(paths.db)
        prepare_task(Registry().get(TASK), paths, store)
        agents = tmp / "agents"
        agent_folder(agents, "noop", ["true"])
        cpu = agent_folder(agents, "cpu", ["python", "{agent_dir}/cpu_work.py"], snapshot_seconds=2)
        (cpu / "cpu_work.py").write_text(CPU_WORK.format(iterations=args.iterations))

        lifecycle = [lifecycle_seconds(paths, store, agents, sandbox) for _ in range(args.repeats)]
        latencies = api_latencies(paths, tmp)
        recorded, bare = [], []
        for k in range(args.repeats):  # alternate, so that drift hits both alike
            bare.append(bare_cpu_seconds(tmp, cpu / "cpu_work.py", sandbox, k))
            recorded.append(recorded_cpu_seconds(paths, store, agents, sandbox))
        store.close()

    q = statistics.quantiles(latencies, n=100)
    print(f"sandbox: {sandbox}")
    print(f"{'measure':<44} {'value':>10} {'target':>10}")
    print(
        f"{'no-op agent, whole lifecycle (median s)':<44} {statistics.median(lifecycle):>10.2f} {'< 3':>10}"
    )
    print(f"{'grading API round trip p50 (ms)':<44} {q[49] * 1e3:>10.1f}")
    print(f"{'grading API round trip p95 (ms)':<44} {q[94] * 1e3:>10.1f}")
    ratio = statistics.median(recorded) / statistics.median(bare)
    print(f"{'CPU-bound agent, recorded / bare (median)':<44} {ratio:>10.3f} {'< 1.02':>10}")
    print(
        f"  (agent work: {statistics.median(bare):.2f} s bare, {statistics.median(recorded):.2f} s recorded)"
    )


if __name__ == "__main__":
    main()
