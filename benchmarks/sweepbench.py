"""What the agent benchmarks share: run a sweep spec on the local executor under one ascent
home, then compare agent variants on its results.

`agents.py` and `crossover.py` build a spec, hand it to `run_sweep` (or `--sweep ID` to read an
earlier sweep again), and judge targets with `compare`: per variant over all runs, and per task
(mean over seeds). A target that is missed is printed as MISS, never raised.
"""

from __future__ import annotations

import argparse
import os
import statistics
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from ascent.config import HOME_ENV, Paths
from ascent.execution.results import RunRow, Stat, group_rows, sweep_results
from ascent.execution.spec import SweepSpec, validate_spec
from ascent.execution.state import SweepState

DEFAULT_HOME = "/tmp/ascent-bench-home"


def add_sweep_arguments(parser: argparse.ArgumentParser) -> None:
    """The options every sweep benchmark takes: the grid, the budget, parallelism and where runs go."""
    parser.add_argument("--quick", action="store_true", help="2 tasks, 1 seed, 90 s runs.")
    parser.add_argument("--tasks", help="Comma-separated task ids (default: every MLE task).")
    parser.add_argument("--seeds", help="Comma-separated seeds (default 0,1,2; quick: 0).")
    parser.add_argument("--budget", type=float, help="Seconds per run (120; quick: 90).")
    parser.add_argument(
        "--parallel", type=int, default=os.cpu_count() or 1, help="Runs at once (cores)."
    )
    parser.add_argument("--home", help="ascent home for the runs ($ASCENT_HOME).")


def bench_paths(home: str | None) -> Paths:
    """The benchmark's own ascent home; child processes (cells, graders) inherit it."""
    root = Path(home or os.environ.get(HOME_ENV) or DEFAULT_HOME).expanduser().resolve()
    os.environ[HOME_ENV] = str(root)
    return Paths(root).ensure()


def cell_cpus() -> int:
    """CPUs of every cell: all of this machine's, up to 2. The sandbox pins a run to the first
    `cpus` cores it may use, so 1-CPU cells running side by side would all share core 0;
    cells of every core overlap fairly instead (parallelism comes from `slots`)."""
    return max(1, min(2, os.cpu_count() or 1))


def slots(parallel: int, cpus: int) -> int:
    """Executor CPU slots for `parallel` runs at once of `cpus` CPUs each."""
    return max(1, parallel) * cpus


def build_spec(
    name: str,
    tasks: Sequence[str],
    variants: Sequence[dict],
    seeds: Sequence[int],
    budget: float,
    cpus: int = 1,
    memory_mb: int = 2048,
) -> SweepSpec:
    """Equal budget for every cell: the same wall-clock seconds, CPUs and memory."""
    return validate_spec(
        {
            "name": name,
            "tasks": list(tasks),
            "agents": list(variants),
            "seeds": list(seeds),
            "budget": budget,
            "limits": {"cpus": cpus, "memory_mb": memory_mb},
            "retries": 1,
        }
    )


def run_sweep(paths: Paths, spec: SweepSpec, workers: int | None) -> SweepState:
    """Create the sweep and run every cell on the local process pool of `workers` CPU slots."""
    from ascent.execution.local import LocalExecutor
    from ascent.execution.sweep import SweepRunner, create_sweep
    from ascent.store import Store

    store = Store(paths.db)
    created = create_sweep(paths, store, spec)
    print(f"sweep {created.sweep_id}: {len(created.cells)} cells, home {paths.home}", flush=True)
    runner = SweepRunner(paths, store, created.sweep_id, LocalExecutor(paths, workers=workers))
    return runner.run()


def resume_sweep(paths: Paths, sweep_id: str, workers: int | None) -> SweepState:
    from ascent.execution.local import LocalExecutor
    from ascent.execution.sweep import SweepRunner
    from ascent.store import Store

    runner = SweepRunner(paths, Store(paths.db), sweep_id, LocalExecutor(paths, workers=workers))
    return runner.run()


def machine_line(load_at_start: float) -> str:
    """Wall-clock budgets mean a loaded machine gets less done: say how loaded it was."""
    return (
        f"machine: {os.cpu_count()} cores; 1-minute load average {load_at_start:.1f} at the "
        f"start, {os.getloadavg()[0]:.1f} at the end"
    )


def load_rows(paths: Paths, sweep_ids: str) -> list[RunRow]:
    """The runs of one sweep, or of several (`ID,ID`): a later sweep can fill cells an
    earlier one could not finish; a cell that ended in a later sweep replaces one that did not."""
    return merge_rows(
        sweep_results(paths, sweep_id.strip(), by=("agent",)).runs
        for sweep_id in sweep_ids.split(",")
    )


def merge_rows(batches: Iterable[Sequence[RunRow]]) -> list[RunRow]:
    """Rows of several sweeps, one per cell: an ended run of a later sweep replaces the row
    of an earlier one."""
    rows: dict[str, RunRow] = {}
    for batch in batches:
        for row in batch:
            if row.ended or row.cell not in rows:
                rows[row.cell] = row
    return list(rows.values())


def unfinished(rows: Sequence[RunRow], sweep_id: str) -> str | None:
    """A line saying how many runs have not ended and how to finish them, or None."""
    left = sum(not r.ended for r in rows)
    if not left:
        return None
    return f"{left} of {len(rows)} runs have not ended; finish them with --resume {sweep_id}"


# -- comparing variants -------------------------------------------------------------------------
@dataclass(frozen=True)
class VariantSummary:
    label: str
    n: int
    not_ended: int
    valid: int  # runs that ended with a valid final submission
    normalised: Stat
    any_medal: Stat


def summarise(rows: Sequence[RunRow], order: Iterable[str] | None = None) -> list[VariantSummary]:
    """One line per agent variant over all its runs (every task and seed)."""
    groups = {g.group["agent"]: g for g in group_rows(rows, ["agent"])}
    labels = list(order) if order is not None else sorted(groups)
    valid: dict[str, int] = defaultdict(int)
    for row in rows:
        valid[row.agent] += row.ended and row.valid_final
    return [
        VariantSummary(
            label=label,
            n=groups[label].n,
            not_ended=groups[label].not_ended,
            valid=valid[label],
            normalised=groups[label].normalised_score,
            any_medal=groups[label].any_medal,
        )
        for label in labels
        if label in groups
    ]


def per_task_means(rows: Sequence[RunRow]) -> dict[str, dict[str, float]]:
    """task -> variant -> mean normalised score over the seeds whose run ended."""
    values: dict[tuple[str, str], list[float]] = defaultdict(list)
    for row in rows:
        if row.ended and row.normalised_score is not None:
            values[(row.task, row.agent)].append(row.normalised_score)
    table: dict[str, dict[str, float]] = defaultdict(dict)
    for (task, agent), scores in values.items():
        table[task][agent] = statistics.fmean(scores)
    return dict(table)


def find(summaries: Sequence[VariantSummary], label: str) -> VariantSummary | None:
    return next((s for s in summaries if s.label == label), None)


def mean_of(summaries: Sequence[VariantSummary], label: str) -> float | None:
    found = find(summaries, label)
    return found.normalised.mean if found else None


def tasks_won(rows: Sequence[RunRow], winner: str, loser: str) -> tuple[int, int]:
    """(tasks where `winner`'s mean normalised score is strictly above `loser`'s, tasks where
    both have one). A tie is not a win."""
    wins = compared = 0
    for by_agent in per_task_means(rows).values():
        if winner in by_agent and loser in by_agent:
            compared += 1
            wins += by_agent[winner] > by_agent[loser]
    return wins, compared


@dataclass(frozen=True)
class Target:
    name: str
    met: bool | None  # None: not enough ended runs to judge
    detail: str

    def line(self) -> str:
        verdict = {True: "PASS", False: "MISS", None: "N/A "}[self.met]
        return f"{verdict}  {self.name}: {self.detail}"


def at_least(
    summaries: Sequence[VariantSummary], high: str, low: str, strict: bool = False
) -> Target:
    """Target `high` >= `low` (or > when strict) on the mean normalised score."""
    a, b = mean_of(summaries, high), mean_of(summaries, low)
    sign = ">" if strict else ">="
    name = f"{high} {sign} {low} (mean normalised score)"
    if a is None or b is None:
        return Target(name, None, "no ended runs for one of them")
    if not any(s.valid for s in summaries if s.label in (high, low)):
        # 0 vs 0 compares nothing (e.g. every run starved of CPU): not a pass.
        return Target(name, None, "neither made a valid final submission")
    met = a > b if strict else a >= b
    return Target(name, met, f"{a:.3f} vs {b:.3f}")


def win_share(rows: Sequence[RunRow], winner: str, loser: str, share: float) -> Target:
    wins, compared = tasks_won(rows, winner, loser)
    name = f"{winner} beats {loser} on >= {share:.0%} of tasks"
    if compared == 0:
        return Target(name, None, "no task where both have ended runs")
    if not any(r.ended and r.valid_final for r in rows if r.agent in (winner, loser)):
        return Target(name, None, "neither made a valid final submission")
    return Target(name, wins / compared >= share, f"{wins} of {compared} tasks")


# -- rendering ----------------------------------------------------------------------------------
def _pm(stat: Stat, percent: bool = False) -> str:
    if stat.mean is None:
        return "–"
    scale, fmt = (100.0, "{:.0f}%") if percent else (1.0, "{:.3f}")
    text = fmt.format(stat.mean * scale)
    if stat.sem is not None:
        text += " ± " + fmt.format(stat.sem * scale)
    return text


def summary_table(summaries: Sequence[VariantSummary]) -> str:
    lines = [
        "| agent | runs | valid final | any medal (private) | norm. score (private) |",
        "|---|--:|--:|--:|--:|",
    ]
    for s in summaries:
        runs = str(s.n) + (f" (+{s.not_ended} not ended)" if s.not_ended else "")
        medal, score = _pm(s.any_medal, percent=True), _pm(s.normalised)
        lines.append(f"| {s.label} | {runs} | {s.valid} | {medal} | {score} |")
    return "\n".join(lines)


def task_table(rows: Sequence[RunRow], labels: Sequence[str]) -> str:
    means = per_task_means(rows)
    lines = [
        "| task | " + " | ".join(labels) + " |",
        "|---|" + "--:|" * len(labels),
    ]
    for task in sorted(means):
        cells = [f"{means[task][a]:.3f}" if a in means[task] else "–" for a in labels]
        lines.append(f"| {task} | " + " | ".join(cells) + " |")
    return "\n".join(lines)
