"""The crossover of Gome and greedy tree search over driver quality: the heuristic driver at
quality 0.2, 0.5 and 0.9 stands in for weaker and stronger LLMs, run as one sweep on the local
process pool at equal budget (same wall-clock seconds, CPUs and memory per run).

Prints, per quality, the any-medal rate and mean normalised score ± SEM of each agent, the
difference gome - greedy, and the targets as PASS / MISS lines: greedy ahead at 0.2, gome
ahead at 0.9.

    python benchmarks/crossover.py --quick  # 2 tasks x 2 agents x 3 qualities, 1 seed, 90 s: ~10 min
    python benchmarks/crossover.py          # 12 tasks x 2 agents x 3 qualities x 3 seeds, 120 s

The full benchmark is 216 runs of 2 minutes: about 3.6 hours with 2 runs at once on 2 cores
(`--parallel N` runs N at once). On a loaded machine the agents get less done in the same
wall-clock (use `--budget`). Runs go to $ASCENT_HOME (default /tmp/ascent-bench-home);
`--sweep ID` prints an earlier sweep again and `--resume ID` finishes an interrupted one.
"""

from __future__ import annotations

import argparse
import os
import time

from sweepbench import (
    Target,
    VariantSummary,
    add_sweep_arguments,
    at_least,
    bench_paths,
    build_spec,
    cell_cpus,
    load_rows,
    machine_line,
    mean_of,
    resume_sweep,
    run_sweep,
    slots,
    summarise,
    summary_table,
    task_table,
    unfinished,
)

from ascent.tasks.registry import Registry

QUICK_TASKS = ["penguin-species", "tumor-diagnosis"]
QUALITIES = (0.2, 0.5, 0.9)
AGENTS = ("gome", "greedy")


def label(agent: str, quality: float) -> str:
    return f"{agent}-q{quality:g}"


def variants(qualities: tuple[float, ...] = QUALITIES) -> list[dict]:
    return [
        {
            "label": label(agent, q),
            "agent": agent,
            "driver": "heuristic",
            "driver_options": {"quality": q},
        }
        for q in qualities
        for agent in AGENTS
    ]


def gap_table(summaries: list[VariantSummary], qualities: tuple[float, ...]) -> str:
    lines = ["| quality | gome | greedy | gome - greedy |", "|--:|--:|--:|--:|"]
    for q in qualities:
        a, b = mean_of(summaries, label("gome", q)), mean_of(summaries, label("greedy", q))
        gap = "–" if a is None or b is None else f"{a - b:+.3f}"
        cell_a = "–" if a is None else f"{a:.3f}"
        cell_b = "–" if b is None else f"{b:.3f}"
        lines.append(f"| {q:g} | {cell_a} | {cell_b} | {gap} |")
    return "\n".join(lines)


def targets(summaries: list[VariantSummary]) -> list[Target]:
    low, high = QUALITIES[0], QUALITIES[-1]
    return [
        at_least(summaries, label("greedy", low), label("gome", low), strict=True),
        at_least(summaries, label("gome", high), label("greedy", high), strict=True),
    ]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    add_sweep_arguments(parser)
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
        if args.tasks:
            tasks = args.tasks.split(",")
        elif args.quick:
            tasks = QUICK_TASKS
        else:
            tasks = sorted(t.spec.id for t in Registry().all(family="mle"))
        default_seeds = [0] if args.quick else [0, 1, 2]
        seeds = [int(s) for s in args.seeds.split(",")] if args.seeds else default_seeds
        budget = args.budget or (90.0 if args.quick else 120.0)
        name = "crossover-quick" if args.quick else "crossover"
        spec = build_spec(name, tasks, variants(), seeds, budget, cpus=cell_cpus())
        sweep_id = run_sweep(paths, spec, slots(args.parallel, cell_cpus())).sweep_id
    rows = load_rows(paths, sweep_id)
    labels = [v["label"] for v in variants()]
    summaries = summarise(rows, labels)
    print(
        f"\nsweep {sweep_id}: {len({r.task for r in rows})} tasks, seeds "
        f"{sorted({r.seed for r in rows})}"
    )
    if not args.sweep:
        print(f"ran for {time.monotonic() - started:.0f} s; {machine_line(load)}")
    print()
    print(summary_table(summaries))
    print("\nmean normalised score by driver quality:\n")
    print(gap_table(summaries, QUALITIES))
    print("\nmean normalised score per task (over seeds):\n")
    print(task_table(rows, labels))
    print()
    for target in targets(summaries):
        print(target.line())
    note = unfinished(rows, sweep_id)
    if note:
        print(note)
    return 1 if note else 0


if __name__ == "__main__":
    raise SystemExit(main())
