"""`ascent demo`: the offline end-to-end job behind `make demo`."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import typer

from ascent.cli.context import console, state
from ascent.tasks.grading import grade
from ascent.tasks.prepare import prepare_task
from ascent.tasks.reference import run_reference

DEFAULT_TASK = "penguin-species"


def demo(
    task_id: str = typer.Option(DEFAULT_TASK, "--task", "-t", help="Task to run the demo on."),
) -> None:
    """Prepare a task, run its reference solution, grade it and write a report."""
    ctx = state()
    task = ctx.registry.get(task_id)
    with console.status(f"preparing {task.id}"):
        prepared = prepare_task(task, ctx.paths, ctx.store)
    console.print(f"[green]✓[/] prepared {task.id} ({prepared.checksum})", highlight=False)
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    out_dir = ctx.paths.home / "demo" / f"{task.id}-{stamp}"
    with console.status("running the reference solution"):
        ref = run_reference(prepared, out_dir)
    console.print(f"[green]✓[/] reference solution ran in {ref.seconds:.1f}s", highlight=False)
    results = {split: grade(prepared, ref.submission, split) for split in ("public", "private")}
    report = {
        "version": 1,
        "task_id": task.id,
        "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "submission": str(ref.submission),
        "grades": {split: r.model_dump() for split, r in results.items()},
    }
    (out_dir / "report.json").write_text(json.dumps(report, indent=2))
    private = results["private"]
    medal = private.medals.medal if private.medals else None
    lines = [
        f"# Demo report: {task.id}",
        "",
        f"- task: {task.spec.title}",
        f"- metric: {task.spec.metric.name} "
        f"({'higher' if task.spec.metric.higher_is_better else 'lower'} is better)",
        f"- public split score: {results['public'].score}",
        f"- private split score: {private.score}",
        f"- medal (private split): {medal or 'none'}",
    ]
    (out_dir / "report.md").write_text("\n".join(lines) + "\n")
    console.print(
        f"[bold]{task.spec.metric.name}[/] public {results['public'].score:.4f} · "
        f"private {private.score:.4f} · medal {medal or 'none'}",
        highlight=False,
    )
    console.print(f"report: {out_dir / 'report.md'}", highlight=False)
