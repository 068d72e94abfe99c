"""Export of runs and sweeps to MLflow: params, metric trajectories, tags and artifacts.

Each ascent run becomes one MLflow run tagged `ascent.run_id` (exporting again keeps it, or
replaces it with `replace=True`); a sweep also gets a parent run with its medal rates. Metrics
are named by split: `public/score` (one point per submission, at its time), `private/...`.
The run's token never leaves the run folder: run.json is exported without it.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from ascent.analysis.reports import get_report
from ascent.analysis.schema import RunReport
from ascent.errors import AscentError
from ascent.record.events import RunStart
from ascent.record.recorder import read_events

TAG_RUN = "ascent.run_id"
TAG_SWEEP = "ascent.sweep_id"
BATCH = 900
MAX_PARAM = 500
ARTIFACTS = ("events.jsonl", "agent.log")


@dataclass(frozen=True)
class ExportResult:
    run_id: str
    mlflow_run_id: str
    experiment_id: str
    action: str  # created | replaced | kept


def _client(tracking_uri: str | None):
    try:
        from mlflow import MlflowClient
    except ImportError as exc:
        raise AscentError(
            "MLflow is not installed", hint="pip install 'ascentlab[mlflow]'"
        ) from exc
    return MlflowClient(tracking_uri=tracking_uri)


def params_of(report: RunReport, run_dir: Path) -> dict[str, str]:
    from ascent.harness.runstate import load_state

    state = load_state(run_dir)
    values = {
        "task_id": report.task_id,
        "family": report.family,
        "agent": report.agent,
        "driver": report.driver,
        "model": report.model,
        "seed": report.seed,
        "sweep_id": report.sweep_id,
        "sandbox": report.sandbox,
        "isolated": report.isolated,
        "metric": report.metric,
        "higher_is_better": report.higher_is_better,
        "budget_seconds": report.budget_seconds,
        "max_submissions": report.max_submissions,
        "memory_mb": state.limits.memory_mb,
        "cpus": state.limits.cpus,
    }
    values.update({f"agent_option.{k}": v for k, v in state.options.agent_options.items()})
    return {k: str(v)[:MAX_PARAM] for k, v in values.items() if v is not None}


def metrics_of(report: RunReport, start_ts: float):
    """(key, value, timestamp ms, step) of every metric point."""
    from mlflow.entities import Metric

    start_ms = int(start_ts * 1000)
    points = []
    for step, p in enumerate(report.trajectory, start=1):
        at = start_ms + int(p.seconds * 1000)
        if p.score is not None:
            points.append(Metric("public/score", p.score, at, step))
        if p.best_so_far is not None:
            points.append(Metric("public/best_so_far", p.best_so_far, at, step))
        points.append(Metric("public/valid", 1.0 if p.valid else 0.0, at, step))
    for r in report.resources:
        at = start_ms + int(r.seconds * 1000)
        points += [
            Metric("resources/cpu_seconds", r.cpu_seconds, at, r.seq),
            Metric("resources/rss_mb", r.rss_mb, at, r.seq),
            Metric("resources/disk_mb", r.disk_mb, at, r.seq),
        ]
    end_ms = start_ms + int(report.used_seconds * 1000)
    for name, metric in report.metrics:
        if metric.value is not None:
            prefix = "run" if metric.split == "none" else metric.split
            points.append(Metric(f"{prefix}/{name}", float(metric.value), end_ms, 0))
    final = report.final
    if final is not None:
        for name, flag in (
            ("any_medal", final.any_medal),
            ("gold", final.medal == "gold"),
            ("above_median", final.above_median),
        ):
            points.append(Metric(f"private/{name}", 1.0 if flag else 0.0, end_ms, 0))
    return points


def _stage_artifacts(run_dir: Path, target: Path, report: RunReport) -> None:
    from ascent.analysis.build import write_report

    write_report(target, report)  # as analysed now, whatever the run folder holds
    for name in ARTIFACTS:
        if (run_dir / name).is_file():
            shutil.copy2(run_dir / name, target / name)
    state = json.loads((run_dir / "run.json").read_text())
    state.pop("token", None)
    (target / "run.json").write_text(json.dumps(state, indent=1))
    submissions = run_dir / "submissions"
    if submissions.is_dir():
        (target / "submissions").mkdir()
        for path in submissions.glob("s*.json"):
            shutil.copy2(path, target / "submissions" / path.name)


def _experiment(client, name: str) -> str:
    found = client.get_experiment_by_name(name)
    return found.experiment_id if found else client.create_experiment(name)


def _existing(client, experiment_id: str, key: str, value: str):
    if "'" in value or "\\" in value:
        raise AscentError(f"cannot look up '{value}' in MLflow: quotes are not allowed in ids")
    runs = client.search_runs(
        [experiment_id], filter_string=f"tags.`{key}` = '{value}'", max_results=5
    )
    return list(runs)


def export_run(
    client,
    run_dir: Path,
    experiment_id: str,
    replace: bool,
    registry=None,
    parent: str | None = None,
) -> ExportResult:
    from mlflow.entities import Param, RunTag

    report = get_report(run_dir, registry=registry)
    earlier = _existing(client, experiment_id, TAG_RUN, report.run_id)
    if earlier and not replace:
        return ExportResult(report.run_id, earlier[0].info.run_id, experiment_id, "kept")
    for run in earlier:
        client.delete_run(run.info.run_id)
    events = read_events(run_dir / "events.jsonl")
    start = next((e.ts for e in events if isinstance(e, RunStart)), events[0].ts if events else 0.0)
    tags = {
        TAG_RUN: report.run_id,
        "ascent.status": report.status,
        "ascent.end_reason": report.end_reason or "",
        "ascent.medal": (report.final.medal if report.final else None) or "none",
        "ascent.failures": ",".join(f.code for f in report.failures) or "none",
        "ascent.report_version": str(report.version),
    }
    if report.sweep_id:
        tags[TAG_SWEEP] = report.sweep_id
    if parent:
        tags["mlflow.parentRunId"] = parent
    run = client.create_run(
        experiment_id, start_time=int(start * 1000), tags=tags, run_name=report.run_id
    )
    run_id = run.info.run_id
    params = [Param(k, v) for k, v in params_of(report, run_dir).items()]
    client.log_batch(
        run_id, params=params, tags=[RunTag("mlflow.note.content", report.narrative.text)]
    )
    metrics = metrics_of(report, start)
    for i in range(0, len(metrics), BATCH):
        client.log_batch(run_id, metrics=metrics[i : i + BATCH])
    with tempfile.TemporaryDirectory() as staging:
        _stage_artifacts(run_dir, Path(staging), report)
        client.log_artifacts(run_id, staging)
    status = {"finished": "FINISHED", "running": "RUNNING", "interrupted": "KILLED"}.get(
        report.status, "FAILED"
    )
    if status != "RUNNING":
        client.set_terminated(run_id, status, end_time=int((start + report.used_seconds) * 1000))
    return ExportResult(report.run_id, run_id, experiment_id, "replaced" if earlier else "created")


def export_runs(
    run_dirs: Sequence[Path],
    tracking_uri: str | None = None,
    experiment: str | None = None,
    sweep_id: str | None = None,
    replace: bool = False,
    registry=None,
) -> list[ExportResult]:
    from mlflow.entities import Metric

    from ascent.analysis.compare import compare

    client = _client(tracking_uri)
    results = []
    parent = None
    if sweep_id:
        experiment_id = _experiment(client, experiment or f"ascent/sweeps/{sweep_id}")
        earlier = _existing(client, experiment_id, TAG_SWEEP + ".parent", sweep_id)
        for run in earlier if replace else []:
            client.delete_run(run.info.run_id)
        if earlier and not replace:
            parent = earlier[0].info.run_id
        else:
            reports = [get_report(d, registry=registry) for d in run_dirs]
            parent_run = client.create_run(
                experiment_id,
                tags={TAG_SWEEP + ".parent": sweep_id, TAG_SWEEP: sweep_id},
                run_name=f"sweep {sweep_id}",
            )
            parent = parent_run.info.run_id
            summary = compare(reports, f"Sweep {sweep_id}", sweep_id)
            points = []
            for group in summary.groups:
                key = "".join(c if c.isalnum() or c in "._-" else "_" for c in group.group)
                for name in ("any_medal", "gold", "above_median", "valid_final"):
                    stat = getattr(group, name)
                    if stat.mean is not None:
                        points.append(Metric(f"private/{key}/{name}_rate", stat.mean, 0, 0))
                    if stat.sem is not None:
                        points.append(Metric(f"private/{key}/{name}_sem", stat.sem, 0, 0))
            client.log_batch(parent, metrics=points)
            client.set_terminated(parent, "FINISHED")
    for run_dir in run_dirs:
        if not sweep_id:
            from ascent.harness.runstate import load_state

            task = load_state(run_dir).options.task_id
            experiment_id = _experiment(client, experiment or f"ascent/{task}")
        results.append(export_run(client, run_dir, experiment_id, replace, registry, parent))
    return results
