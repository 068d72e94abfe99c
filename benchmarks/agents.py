"""Agents on the micro MLE tasks at equal budget: Gome, its ablations, greedy, MCTS, random and
FLAML AutoML, run as one sweep on the local process pool.

Every cell gets the same wall-clock budget, the same CPUs (up to 2) and 2 GB; FLAML spends
that same wall-clock on its AutoML search. Prints, per agent, the any-medal rate and the mean normalised score
± SEM over all tasks and seeds, the mean normalised score per task, and the targets as PASS /
MISS lines: gome >= greedy; every ablation <= gome; gome beats FLAML on >= 60% of tasks.

    python benchmarks/agents.py --quick     # 2 tasks x 8 agents x 1 seed, 90 s runs: ~14 min
    python benchmarks/agents.py             # 12 tasks x 8 agents x 3 seeds, 120 s runs

The full benchmark is 288 runs of 2 minutes: about 4.8 hours with 2 runs at once on 2 cores
(`--parallel N` runs N at once; `--seeds 0`, then `--seeds 1` ... split it into sittings, and
`--sweep ID,ID,ID` prints them as one). A micro task's solution trains in 5-10 s, so 2 minutes
is 10-20 evaluated solutions a run: enough for every agent to get past its drafts. Quick-mode times are for an otherwise idle machine: on a
loaded one the wall-clock is the same but the agents get less done (use `--budget`). Runs go to
$ASCENT_HOME (default /tmp/ascent-bench-home); `--sweep ID` prints the tables of an earlier
sweep again and `--resume ID` finishes an interrupted one.
"""

from __future__ import annotations

import argparse
import os
import time

from sweepbench import (
    Target,
    add_sweep_arguments,
    at_least,
    bench_paths,
    build_spec,
    cell_cpus,
    load_rows,
    machine_line,
    resume_sweep,
    run_sweep,
    slots,
    summarise,
    summary_table,
    task_table,
    unfinished,
    win_share,
)

from ascent.tasks.registry import Registry

QUICK_TASKS = ["penguin-species", "tumor-diagnosis"]
ABLATIONS = ["gome-no-diagnosis", "gome-no-memory", "gome-traces1"]
VARIANTS: list[dict] = [
    {"label": "gome", "agent": "gome"},
    {"label": "gome-no-diagnosis", "agent": "gome", "options": {"diagnosis": False}},
    {"label": "gome-no-memory", "agent": "gome", "options": {"memory": False}},
    {"label": "gome-traces1", "agent": "gome", "options": {"traces": 1}},
    {"label": "greedy", "agent": "greedy"},
    {"label": "mcts", "agent": "mcts"},
    {"label": "random", "agent": "random"},
    {"label": "flaml", "agent": "flaml"},
]
LABELS = [v["label"] for v in VARIANTS]


def mle_tasks() -> list[str]:
    return sorted(t.spec.id for t in Registry().all(family="mle"))


def targets(rows, summaries) -> list[Target]:
    found = [at_least(summaries, "gome", "greedy")]
    found += [at_least(summaries, "gome", ablation) for ablation in ABLATIONS]
    found.append(win_share(rows, "gome", "flaml", 0.6))
    return found


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    add_sweep_arguments(parser)
    parser.add_argument("--agents", help="Comma-separated agent labels (default: all eight).")
    parser.add_argument(
        "--sweep", help="Only print the tables of this sweep (several: ID,ID pools their runs)."
    )
    parser.add_argument("--resume", help="Finish this interrupted sweep, then print.")
    args = parser.parse_args()
    paths = bench_paths(args.home)
    started, load = time.monotonic(), os.getloadavg()[0]
    if args.sweep:
        sweep_id = args.sweep
    elif args.resume:
        sweep_id = resume_sweep(paths, args.resume, slots(args.parallel, cell_cpus())).sweep_id
    else:
        tasks = args.tasks.split(",") if args.tasks else QUICK_TASKS if args.quick else mle_tasks()
        seeds = (
            [int(s) for s in args.seeds.split(",")]
            if args.seeds
            else [0]
            if args.quick
            else [0, 1, 2]
        )
        budget = args.budget or (90.0 if args.quick else 120.0)
        name = "agents-quick" if args.quick else "agents"
        chosen = args.agents.split(",") if args.agents else LABELS
        variants = [v for v in VARIANTS if v["label"] in chosen]
        if len(variants) != len(chosen):
            parser.error(f"--agents: choose among {', '.join(LABELS)}")
        spec = build_spec(name, tasks, variants, seeds, budget, cpus=cell_cpus())
        sweep_id = run_sweep(paths, spec, slots(args.parallel, cell_cpus())).sweep_id
    rows = load_rows(paths, sweep_id)
    summaries = summarise(rows, LABELS)
    print(
        f"\nsweep {sweep_id}: {len({r.task for r in rows})} tasks, seeds "
        f"{sorted({r.seed for r in rows})}"
    )
    if not args.sweep:
        print(f"ran for {time.monotonic() - started:.0f} s; {machine_line(load)}")
    print()
    print(summary_table(summaries))
    print("\nmean normalised score per task (over seeds):\n")
    print(task_table(rows, LABELS))
    print()
    for target in targets(rows, summaries):
        print(target.line())
    note = unfinished(rows, sweep_id)
    if note:
        print(note)
    return 1 if note else 0


if __name__ == "__main__":
    raise SystemExit(main())
