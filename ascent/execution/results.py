"""Results of a sweep: one row per run, grouped, with means and standard errors.

**Normalised score** (private split): `(score - baseline) / (best - baseline)`, where `baseline` is
the task's declared baseline score (`baseline` in task.yaml: an untuned, trivial solution) and
`best` is rank 1 of the task's leaderboard (`leaderboard.csv`, scored on the private split). So
0 is the baseline and 1 the best leaderboard entry, whatever the metric's direction; above 1 beats
the whole leaderboard. A run without a valid final submission, or worse than the baseline,
counts as 0. A task without a baseline or a leaderboard has no normalised score (left out, and
`n` says so).

Every number names the split it comes from: `private` (the final grade, never shown to the
agent), `public` (scored during the run) or `none` (not a score: tokens, CPU time, retries).
The standard error of the mean is the sample standard deviation / √n (none for n < 2).
"""

from __future__ import annotations

import csv
import io
import json
import math
import statistics
from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path

from pydantic import BaseModel, Field

from ascent.config import Paths
from ascent.errors import AscentError, ConfigError
from ascent.execution.state import SweepFolder, SweepState
from ascent.harness.grading.ledger import Ledger
from ascent.harness.lifecycle import ENDED
from ascent.harness.runstate import load_state
from ascent.record import events as ev
from ascent.record.recorder import EVENTS_FILE, read_events
from ascent.tasks.mle.medals import load_leaderboard_scores
from ascent.tasks.registry import Registry

GROUP_KEYS = ("agent", "task", "seed", "driver", "model")
FORMATS = ("md", "csv", "json")


class Scale(BaseModel):
    """What 0 and 1 of the normalised score are for one task."""

    task_id: str
    baseline: float | None
    best: float | None
    higher_is_better: bool

    def normalise(self, score: float | None) -> float | None:
        if self.baseline is None or self.best is None or self.best == self.baseline:
            return None
        if score is None or not math.isfinite(score):
            return 0.0
        return max(0.0, (score - self.baseline) / (self.best - self.baseline))


def task_scale(registry: Registry, task_id: str) -> Scale:
    task = registry.get(task_id)
    higher = task.spec.metric.higher_is_better
    best = None
    if task.leaderboard_path is not None and task.leaderboard_path.is_file():
        scores = load_leaderboard_scores(task.leaderboard_path)
        best = max(scores) if higher else min(scores)
    return Scale(task_id=task_id, baseline=task.spec.baseline, best=best, higher_is_better=higher)


class RunRow(BaseModel):
    cell: str
    task: str
    agent: str = Field(description="The agent variant's label.")
    agent_name: str
    seed: int
    driver: str | None
    model: str | None
    run_id: str | None
    status: str = Field(description="The run's status, or 'not run' / 'failed (infra)'.")
    ended: bool
    retries: int
    final_score: float | None = Field(description="Private split.")
    valid_final: bool
    medal: str | None
    any_medal: bool
    above_median: bool
    normalised_score: float | None = Field(description="Private split.")
    valid_submission_rate: float | None = Field(description="Public split.")
    llm_tokens: int
    llm_cost: float
    cpu_seconds: float


class Stat(BaseModel):
    mean: float | None
    sem: float | None
    n: int
    split: str
    unit: str


class GroupRow(BaseModel):
    group: dict[str, str]
    n: int = Field(description="Runs that ended.")
    not_ended: int = Field(description="Cells whose run has not ended (not run, or failed).")
    retries: int
    normalised_score: Stat
    any_medal: Stat
    above_median: Stat
    valid_submission_rate: Stat
    llm_tokens: Stat
    cpu_seconds: Stat


class SweepResults(BaseModel):
    sweep_id: str
    name: str
    status: str
    by: list[str]
    cells: int
    ended: int
    scales: list[Scale]
    groups: list[GroupRow]
    runs: list[RunRow]
    note: str = (
        "normalised score: 0 = the task's baseline, 1 = rank 1 of its leaderboard (private "
        "split); no valid final submission or worse than the baseline = 0. ± is the standard "
        "error of the mean (sample sd / sqrt n)."
    )


def mean_sem(values: Sequence[float], split: str, unit: str) -> Stat:
    n = len(values)
    if n == 0:
        return Stat(mean=None, sem=None, n=0, split=split, unit=unit)
    sem = statistics.stdev(values) / math.sqrt(n) if n > 1 else None
    return Stat(mean=statistics.fmean(values), sem=sem, n=n, split=split, unit=unit)


def _costs(run_dir: Path) -> tuple[int, float, float]:
    """LLM tokens and cost (llm_call events); CPU seconds (resources events, cumulative within
    a segment, summed over segments)."""
    tokens, cost, cpu, segment_peak = 0, 0.0, 0.0, 0.0
    for event in read_events(run_dir / EVENTS_FILE):
        if isinstance(event, ev.LlmCall):
            tokens += event.prompt_tokens + event.completion_tokens
            cost += event.cost
        elif isinstance(event, ev.Resources):
            segment_peak = max(segment_peak, event.cpu_seconds)
        elif event.kind == "run_start":
            cpu += segment_peak
            segment_peak = 0.0
    return tokens, cost, cpu + segment_peak


def _valid_rate(run_dir: Path) -> float | None:
    entries = Ledger(run_dir).entries()
    graded = [e for e in entries if e.status in ("ok", "invalid")]
    if not graded:
        return None
    return sum(e.status == "ok" for e in graded) / len(graded)


def collect(paths: Paths, sweep: SweepState) -> tuple[list[RunRow], list[Scale]]:
    registry = Registry([Path(p) for p in sweep.spec.task_dirs])
    scales = {t: task_scale(registry, t) for t in sweep.spec.tasks}
    rows = []
    for cell in sweep.cells:
        variant = sweep.spec.variant(cell.label)
        base = {
            "cell": cell.key,
            "task": cell.task_id,
            "agent": cell.label,
            "agent_name": variant.agent,
            "seed": cell.seed,
            "driver": variant.driver or "heuristic",
            "model": variant.model,
            "run_id": cell.run_id,
            "retries": cell.retries,
        }
        run_dir = paths.runs / cell.run_id if cell.run_id else None
        state = None
        if run_dir is not None and (run_dir / "run.json").is_file():
            state = load_state(run_dir)
        if state is None or state.status not in ENDED:
            status = state.status if state else "not run"
            if cell.status == "failed":
                status = f"failed (infra, run {status})"
            rows.append(
                RunRow(
                    **base,
                    status=status,
                    ended=False,
                    final_score=None,
                    valid_final=False,
                    medal=None,
                    any_medal=False,
                    above_median=False,
                    normalised_score=None,
                    valid_submission_rate=None,
                    llm_tokens=0,
                    llm_cost=0.0,
                    cpu_seconds=0.0,
                )
            )
            continue
        assert run_dir is not None
        final = state.final
        valid = bool(final and final.valid and final.score is not None)
        tokens, cost, cpu = _costs(run_dir)
        rows.append(
            RunRow(
                **base,
                status=state.status,
                ended=True,
                final_score=final.score if final and valid else None,
                valid_final=valid,
                medal=final.medal if final else None,
                any_medal=bool(final and final.any_medal),
                above_median=bool(final and final.above_median),
                normalised_score=scales[cell.task_id].normalise(
                    final.score if final and valid else None
                ),
                valid_submission_rate=_valid_rate(run_dir),
                llm_tokens=tokens,
                llm_cost=round(cost, 6),
                cpu_seconds=round(cpu, 3),
            )
        )
    return rows, list(scales.values())


def _value(row: RunRow, key: str) -> str:
    value = getattr(row, key)
    return "-" if value is None else str(value)


def group_rows(rows: Sequence[RunRow], by: Sequence[str]) -> list[GroupRow]:
    grouped: dict[tuple[str, ...], list[RunRow]] = defaultdict(list)
    for row in rows:
        grouped[tuple(_value(row, k) for k in by)].append(row)
    groups = []
    for key in sorted(grouped):
        members = grouped[key]
        done = [r for r in members if r.ended]
        scored = [r.normalised_score for r in done if r.normalised_score is not None]
        rates = [r.valid_submission_rate for r in done if r.valid_submission_rate is not None]
        groups.append(
            GroupRow(
                group=dict(zip(by, key, strict=True)),
                n=len(done),
                not_ended=len(members) - len(done),
                retries=sum(r.retries for r in members),
                normalised_score=mean_sem(scored, "private", "ratio"),
                any_medal=mean_sem([float(r.any_medal) for r in done], "private", "rate"),
                above_median=mean_sem([float(r.above_median) for r in done], "private", "rate"),
                valid_submission_rate=mean_sem(rates, "public", "rate"),
                llm_tokens=mean_sem([float(r.llm_tokens) for r in done], "none", "tokens/run"),
                cpu_seconds=mean_sem([r.cpu_seconds for r in done], "none", "s/run"),
            )
        )
    return groups


def sweep_results(paths: Paths, sweep_id: str, by: Sequence[str] = ("agent",)) -> SweepResults:
    unknown = [k for k in by if k not in GROUP_KEYS]
    if unknown or not by:
        raise ConfigError(
            f"cannot group by {', '.join(unknown) or 'nothing'}",
            hint=f"use a comma-separated subset of {', '.join(GROUP_KEYS)}",
        )
    sweep = SweepFolder(paths, sweep_id).load()
    rows, scales = collect(paths, sweep)
    return SweepResults(
        sweep_id=sweep.sweep_id,
        name=sweep.name,
        status=sweep.status,
        by=list(by),
        cells=len(sweep.cells),
        ended=sum(r.ended for r in rows),
        scales=scales,
        groups=group_rows(rows, by),
        runs=rows,
    )


# -- rendering -------------------------------------------------------------------------------------
def _pm(stat: Stat, percent: bool = False, digits: int = 3) -> str:
    if stat.mean is None:
        return "–"
    scale, suffix = (100.0, "%") if percent else (1.0, "")
    fmt = f"{{:.{0 if percent else digits}f}}"
    text = fmt.format(stat.mean * scale) + suffix
    if stat.sem is not None:
        text += " ± " + fmt.format(stat.sem * scale) + suffix
    return text


MD_COLUMNS = (
    "n",
    "norm. score (private)",
    "any medal (private)",
    "above median (private)",
    "valid subm. (public)",
    "LLM tokens/run",
    "CPU s/run",
    "retries",
)


def render_md(results: SweepResults) -> str:
    head = [*results.by, *MD_COLUMNS]
    lines = [
        "| " + " | ".join(head) + " |",
        "|" + "|".join("---" if i < len(results.by) else "--:" for i in range(len(head))) + "|",
    ]
    for g in results.groups:
        n = str(g.n) + (f" (+{g.not_ended} not ended)" if g.not_ended else "")
        cells = [
            *g.group.values(),
            n,
            _pm(g.normalised_score),
            _pm(g.any_medal, percent=True),
            _pm(g.above_median, percent=True),
            _pm(g.valid_submission_rate, percent=True),
            "–" if g.llm_tokens.mean is None else f"{g.llm_tokens.mean:.0f}",
            "–" if g.cpu_seconds.mean is None else f"{g.cpu_seconds.mean:.1f}",
            str(g.retries),
        ]
        lines.append("| " + " | ".join(cells) + " |")
    title = (
        f"Sweep {results.sweep_id} ({results.status}): {results.ended} of {results.cells} "
        f"runs ended; by {', '.join(results.by)}."
    )
    return "\n".join([title, "", *lines, "", results.note]) + "\n"


def render_csv(results: SweepResults) -> str:
    stats = (
        "normalised_score",
        "any_medal",
        "above_median",
        "valid_submission_rate",
        "llm_tokens",
        "cpu_seconds",
    )
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    header = [*results.by, "n", "not_ended", "retries"]
    first = results.groups[0] if results.groups else None
    for name in stats:
        split = getattr(first, name).split if first else ""
        header += [f"{name}_mean[{split}]", f"{name}_sem[{split}]"]
    writer.writerow(header)
    for g in results.groups:
        row: list[object] = [*g.group.values(), g.n, g.not_ended, g.retries]
        for name in stats:
            stat: Stat = getattr(g, name)
            row += [_num(stat.mean), _num(stat.sem)]
        writer.writerow(row)
    return buffer.getvalue()


def _num(value: float | None) -> str:
    return "" if value is None else f"{value:.6g}"


def render(results: SweepResults, fmt: str) -> str:
    if fmt == "md":
        return render_md(results)
    if fmt == "csv":
        return render_csv(results)
    if fmt == "json":
        return json.dumps(results.model_dump(mode="json"), indent=2) + "\n"
    raise AscentError(f"unknown format '{fmt}'", hint=f"use {', '.join(FORMATS)}")
