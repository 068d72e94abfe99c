"""Fine-tuning overhead: the same training script, model, data and recipe, run plainly and run
through ascentlab (in the sandbox, under the run's limits). Prints seconds per training step of
each, their ratio (target <= 1.10) and each one's peak memory.

    python benchmarks/ft.py [--model smollm2-135m-instruct|tiny-random-llama] [--steps 20] [--repeats 3]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from ascent.config import Paths
from ascent.harness.builtin_runner import instruction_facts
from ascent.harness.sandbox import Limits, Mount, SandboxSpec, make_sandbox, resolve_kind
from ascent.harness.workspace import WorkspaceFacts, lay_out
from ascent.tasks.ft.models import ensure_base_model
from ascent.tasks.ft.skills import FtSkills
from ascent.tasks.prepare import prepare_task
from ascent.tasks.registry import Registry

TASK = "chem-element-counts"
RESULT = re.compile(r"^ASCENT_RESULT (\{.*\})$", re.M)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", default="smollm2-135m-instruct")
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--sandbox", default="auto")
    parser.add_argument("--repeats", type=int, default=3, help="Alternating rounds of both runs.")
    args = parser.parse_args()
    kind = resolve_kind(args.sandbox)
    with tempfile.TemporaryDirectory(prefix="ascent-ftbench-") as tmp:
        root = Path(tmp)
        paths = Paths(Path(os.environ.get("ASCENT_HOME", "~/.ascent")).expanduser()).ensure()
        task = Registry().get(TASK).with_base_model(args.model)
        prepared = prepare_task(task, paths)
        base = ensure_base_model(args.model, paths)
        workspace = lay_out(
            root / "run",
            prepared,
            WorkspaceFacts(
                workspace=str(root / "run" / "workspace"),
                budget_seconds=3600,
                max_submissions=5,
                limits=Limits(),
                network="none",
            ),
        )
        skills = FtSkills()
        brief = skills.brief(workspace, instruction_facts(workspace), task.description())
        solution = skills.apply(
            skills.draft(brief, 0, 0), {"max_steps": args.steps, "eval_limit": 4}, brief
        )
        script = workspace / "train.py"
        script.write_text(solution.code)

        env = {
            **os.environ,
            "DATA_PATH": str(workspace / "public"),
            "BASE_MODEL": str(base),
            "OMP_NUM_THREADS": "2",
            "HOME": str(root),
        }
        mounts = [Mount(source=base, target="/workspace/base_model")] if kind == "bwrap" else []

        def plain() -> tuple[float, float]:
            log = root / "plain.log"
            with log.open("w") as out:
                proc = subprocess.Popen(
                    [sys.executable, str(script), "--out", str(root / "plain")],
                    stdout=out,
                    stderr=subprocess.STDOUT,
                    env=env,
                )
                # This child's own peak (wait4), not the largest of every child so far.
                _, status, usage = os.wait4(proc.pid, 0)
                proc.returncode = os.waitstatus_to_exitcode(status)
            found = RESULT.findall(log.read_text())
            if proc.returncode != 0 or not found:
                raise SystemExit(f"the plain run failed: {log.read_text()[-2000:]}")
            result = json.loads(found[-1])
            return result["train_runtime"] / result["steps"], usage.ru_maxrss / 1024

        def through_ascentlab() -> tuple[float, float]:
            (workspace / "base_model").mkdir(exist_ok=True)
            box = make_sandbox(
                kind,
                SandboxSpec(
                    name="ft-bench",
                    workspace=workspace,
                    mounts=mounts,
                    limits=Limits(memory_mb=8192, cpus=2),
                ),
            )
            inside = box.workspace_path
            try:
                done = box.run(
                    [sys.executable, f"{inside}/train.py", "--out", f"{inside}/output/model"],
                    timeout=3600,
                    env={
                        "DATA_PATH": f"{inside}/public",
                        "OMP_NUM_THREADS": "2",
                        "HOME": "/tmp",
                        "PATH": f"{Path(sys.executable).parent}:/usr/bin:/bin",
                        "BASE_MODEL": "/workspace/base_model" if kind == "bwrap" else str(base),
                    },
                )
                rss = box.cgroup.memory_peak_bytes() / 2**20 if box.cgroup else float("nan")
            finally:
                box.close()
            found = RESULT.findall(done.output_tail)
            if not found:
                raise SystemExit(f"the sandboxed run failed: {done.output_tail[-2000:]}")
            result = json.loads(found[-1])
            return result["train_runtime"] / result["steps"], rss

        # Alternate the two, and swap which goes first each round, so that a machine whose
        # load drifts during the benchmark weighs on both alike; the median of each is compared.
        runs: dict[str, list[tuple[float, float]]] = {"plain": [], "box": []}
        for round_ in range(args.repeats):
            order = [("plain", plain), ("box", through_ascentlab)]
            for name, run in order if round_ % 2 == 0 else order[::-1]:
                runs[name].append(run())

    per_plain = statistics.median(t for t, _ in runs["plain"])
    per_box = statistics.median(t for t, _ in runs["box"])
    plain_rss = max(r for _, r in runs["plain"])
    box_rss = max(r for _, r in runs["box"])
    print(
        f"model {args.model}, {args.steps} LoRA steps, batch 8, task {TASK}, sandbox {kind}, "
        f"{args.repeats} alternating rounds (median s/step)"
    )
    print(f"{'':28} {'s/step':>8} {'peak RSS (MB)':>14}")
    print(f"{'plain TRL':28} {per_plain:>8.3f} {plain_rss:>14.0f}")
    print(f"{'through ascentlab':28} {per_box:>8.3f} {box_rss:>14.0f}")
    print(f"ratio (ascentlab / plain): {per_box / per_plain:.3f}  (target <= 1.10)")


if __name__ == "__main__":
    main()
