"""Fine-tuning overhead: the same training script, model, data and recipe, run plainly and run
through ascentlab (in the sandbox, under the run's limits). Prints seconds per training step of
each, their ratio (target <= 1.10) and each one's peak memory.

    python benchmarks/ft.py [--model smollm2-135m-instruct|tiny-random-llama] [--steps 20]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
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
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="smollm2-135m-instruct")
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--sandbox", default="auto")
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
        plain = subprocess.run(
            [sys.executable, str(script), "--out", str(root / "plain")],
            capture_output=True,
            text=True,
            env=env,
            check=True,
        )
        plain_result = json.loads(RESULT.findall(plain.stdout)[-1])
        plain_rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024

        (workspace / "base_model").mkdir(exist_ok=True)
        mounts = [Mount(source=base, target="/workspace/base_model")] if kind == "bwrap" else []
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
            sandboxed = box.run(
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
            box_rss = box.cgroup.memory_peak_bytes() / 2**20 if box.cgroup else float("nan")
        finally:
            box.close()
        found = RESULT.findall(sandboxed.output_tail)
        if not found:
            raise SystemExit(f"the sandboxed run failed: {sandboxed.output_tail[-2000:]}")
        box_result = json.loads(found[-1])

    per_plain = plain_result["train_runtime"] / plain_result["steps"]
    per_box = box_result["train_runtime"] / box_result["steps"]
    print(f"model {args.model}, {args.steps} LoRA steps, batch 8, task {TASK}, sandbox {kind}")
    print(f"{'':28} {'s/step':>8} {'peak RSS (MB)':>14}")
    print(f"{'plain TRL':28} {per_plain:>8.3f} {plain_rss:>14.0f}")
    print(f"{'through ascentlab':28} {per_box:>8.3f} {box_rss:>14.0f}")
    print(f"ratio (ascentlab / plain): {per_box / per_plain:.3f}  (target <= 1.10)")


if __name__ == "__main__":
    main()
