"""Fine-tuning lift: FT-Agent with the heuristic driver on SmolLM2-135M-Instruct, per task, against
the untuned base model on the held-out (private) test split.

Each task is one `ascent run` (its own budget, the sandbox, the grading service); the baseline is
the one recorded in the task's `task.yaml` (`ascent tasks baseline ID --write`), or measured
now with `--measure-baseline`. Prints baseline, score after fine-tuning and the lift per task.

    python benchmarks/ft_lift.py [--tasks chem-element-counts,patent-classification,...] [--budget 60m]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

from ascent.config import Paths
from ascent.tasks.ft.grading import FtGrader
from ascent.tasks.prepare import prepare_task
from ascent.tasks.registry import Registry

TASKS = ["chem-element-counts", "patent-classification", "protocol-ordering"]
# One short training of the draft recipe (40 LoRA steps), much smaller than the default so that
# a task fits in its budget even on two busy cores.
RECIPE = {"max_examples": 320, "epochs": 1, "eval_limit": 20}


def run_task(task_id: str, budget: str, home: Path) -> dict:
    command = [
        *(sys.executable, "-m", "ascent", "run"),
        *("--task", task_id, "--agent", "ftagent", "--driver", "heuristic"),
        *("--max-steps", "0", "--budget", budget, "--json"),
        *("--option", f"recipe={json.dumps(RECIPE)}"),
    ]
    env = {**os.environ, "ASCENT_HOME": str(home)}
    done = subprocess.run(command, capture_output=True, text=True, env=env, check=False)
    if done.returncode != 0:
        raise SystemExit(f"ascent run {task_id} failed:\n{done.stderr[-2000:]}")
    return json.loads(done.stdout)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tasks", default=",".join(TASKS))
    parser.add_argument("--budget", default="60m")
    parser.add_argument("--measure-baseline", action="store_true")
    args = parser.parse_args()
    home = Path(os.environ.get("ASCENT_HOME", "~/.ascent")).expanduser()
    paths = Paths(home).ensure()
    registry = Registry(plugins=False)
    rows = []
    for task_id in args.tasks.split(","):
        task = registry.get(task_id)
        baseline = task.spec.baseline
        if args.measure_baseline or baseline is None:
            baseline = FtGrader(prepare_task(task, paths)).baseline("private").score
        started = time.perf_counter()
        state = run_task(task_id, args.budget, home)
        minutes = (time.perf_counter() - started) / 60
        final = state["final"]
        score = final["score"] if final and final.get("valid") else None
        rows.append((task_id, baseline, score, minutes, state["run_id"]))
        print(f"{task_id}: baseline {baseline:.4f}, after {score}, {minutes:.1f} min", flush=True)
    print(f"\n{'task':26} {'baseline':>9} {'after':>7} {'lift':>7} {'minutes':>8}")
    for task_id, baseline, score, minutes, _ in rows:
        after = f"{score:.4f}" if score is not None else "-"
        lift = f"{score - baseline:+.4f}" if score is not None else "-"
        print(f"{task_id:26} {baseline:>9.4f} {after:>7} {lift:>7} {minutes:>8.1f}")
    lifted = sum(1 for _, b, s, _, _ in rows if s is not None and s > b)
    print(f"lifted above the untuned baseline: {lifted} of {len(rows)} (target >= 3)")


if __name__ == "__main__":
    main()
