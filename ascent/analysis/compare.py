"""Comparison of runs (an explicit list, or every run of a sweep): a table of runs, overlaid
best-so-far trajectories per task, and medal rates per agent with standard errors."""

from __future__ import annotations

import math
import statistics
from collections import defaultdict
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

from pydantic import BaseModel, Field

from ascent.analysis.schema import RunReport

COMPARE_VERSION = 1


class RateStat(BaseModel):
    mean: float | None
    sem: float | None = Field(
        description="Standard error of the mean (sample sd / √n); n < 2: None."
    )
    n: int


class CompareRun(BaseModel):
    run_id: str
    task_id: str
    agent: str
    driver: str | None
    model: str | None
    seed: int | None
    status: str
    end_reason: str | None
    metric: str
    higher_is_better: bool
    final_score: float | None = Field(description="Private split.")
    medal: str | None
    any_medal: bool
    above_median: bool
    best_public: float | None = Field(description="Public split.")
    valid_rate: float | None
    time_to_first_valid: float | None
    used_seconds: float
    budget_seconds: float
    failures: list[str]


class GroupStats(BaseModel):
    group: str = Field(description="agent, with driver model when set")
    n: int
    any_medal: RateStat
    gold: RateStat
    above_median: RateStat
    valid_final: RateStat


class CompareReport(BaseModel):
    version: int = COMPARE_VERSION
    generated_at: str
    title: str
    sweep_id: str | None = None
    tasks: list[str]
    runs: list[CompareRun]
    groups: list[GroupStats]


def rate(values: Sequence[bool]) -> RateStat:
    n = len(values)
    if n == 0:
        return RateStat(mean=None, sem=None, n=0)
    xs = [1.0 if v else 0.0 for v in values]
    sem = statistics.stdev(xs) / math.sqrt(n) if n > 1 else None
    return RateStat(
        mean=round(statistics.fmean(xs), 6), sem=None if sem is None else round(sem, 6), n=n
    )


def group_of(report: RunReport) -> str:
    return report.agent + (f" · {report.model}" if report.model else "")


def compare(reports: Sequence[RunReport], title: str, sweep_id: str | None = None) -> CompareReport:
    runs = [
        CompareRun(
            run_id=r.run_id,
            task_id=r.task_id,
            agent=r.agent,
            driver=r.driver,
            model=r.model,
            seed=r.seed,
            status=r.status,
            end_reason=r.end_reason,
            metric=r.metric,
            higher_is_better=r.higher_is_better,
            final_score=r.final.score if r.final and r.final.valid else None,
            medal=r.final.medal if r.final else None,
            any_medal=bool(r.final and r.final.any_medal),
            above_median=bool(r.final and r.final.above_median),
            best_public=r.best_public,
            valid_rate=r.metrics.valid_submission_rate.value,
            time_to_first_valid=r.metrics.time_to_first_valid.value,
            used_seconds=r.used_seconds,
            budget_seconds=r.budget_seconds,
            failures=[f.code for f in r.failures],
        )
        for r in reports
    ]
    grouped: dict[str, list[RunReport]] = defaultdict(list)
    for r in reports:
        grouped[group_of(r)].append(r)
    ended = {"finished", "sandbox_error", "failed"}
    groups = []
    for name, members in sorted(grouped.items()):
        done = [r for r in members if r.status in ended]
        groups.append(
            GroupStats(
                group=name,
                n=len(done),
                any_medal=rate([bool(r.final and r.final.any_medal) for r in done]),
                gold=rate([bool(r.final and r.final.medal == "gold") for r in done]),
                above_median=rate([bool(r.final and r.final.above_median) for r in done]),
                valid_final=rate([bool(r.final and r.final.valid) for r in done]),
            )
        )
    return CompareReport(
        generated_at=datetime.now(UTC).isoformat(timespec="seconds"),
        title=title,
        sweep_id=sweep_id,
        tasks=sorted({r.task_id for r in reports}),
        runs=runs,
        groups=groups,
    )


def write_compare(
    out_dir: Path, name: str, result: CompareReport, reports: Sequence[RunReport]
) -> dict[str, Path]:
    from ascent.analysis.build import write_atomic
    from ascent.analysis.render_compare import render_compare_html, render_compare_md

    out_dir.mkdir(parents=True, exist_ok=True)
    files = {fmt: out_dir / f"{name}.{fmt}" for fmt in ("json", "md", "html")}
    write_atomic(files["json"], result.model_dump_json(indent=2))
    write_atomic(files["md"], render_compare_md(result))
    write_atomic(files["html"], render_compare_html(result, reports))
    return files
