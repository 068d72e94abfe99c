"""`ascent tasks ...`: list, show, prepare, import, and rebuild leaderboards."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import typer
from rich.markdown import Markdown
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from ascent.cli.context import IMPORTED_TASKS, console, state
from ascent.errors import TaskSpecError
from ascent.tasks.prepare import prepare_task, verify_checksums
from ascent.tasks.task import Task, load_task_dir

NEEDS_DATA_TAG = "needs-data"

app = typer.Typer(help="Browse, prepare and import tasks.", no_args_is_help=True)


def _task_row(task: Task) -> dict:
    spec = task.spec
    prepared = state().paths.tasks / task.id / task.fingerprint()
    return {
        "id": task.id,
        "family": task.family,
        "title": spec.title,
        "type": spec.mle.task_type if spec.mle else (f"level {spec.level}" if spec.level else ""),
        # Real-scale definitions read benchmark data the user downloads; nothing is bundled.
        "needs_data": NEEDS_DATA_TAG in spec.tags,
        "metric": spec.metric.name,
        "higher_is_better": spec.metric.higher_is_better,
        "budget_seconds": spec.budget.wall_seconds,
        "max_submissions": spec.budget.max_submissions,
        "source": task.source,
        "path": str(task.root),
        "prepared": prepared.is_dir(),
    }


@app.command("list")
def list_tasks(
    family: str | None = typer.Option(
        None, "--family", "-f", help="Only this family: mle, ft, rl."
    ),
    as_json: bool = typer.Option(False, "--json", help="Machine-readable output."),
) -> None:
    """List every task that can be run here."""
    registry = state().registry
    if family is not None and family not in ("mle", "ft", "rl"):
        raise TaskSpecError(f"unknown family '{family}'", hint="use mle, ft or rl")
    rows = [_task_row(t) for t in registry.all(family)]
    if as_json:
        typer.echo(json.dumps(rows, indent=2))
        return
    table = Table(title=f"{len(rows)} tasks", title_justify="left")
    table.add_column("id", no_wrap=True)
    for column in ("family", "type", "metric", "budget", "source", "prepared"):
        table.add_column(column)
    for r in rows:
        arrow = "↑" if r["higher_is_better"] else "↓"
        table.add_row(
            r["id"],
            r["family"],
            f"{r['type']} · needs data" if r["needs_data"] else r["type"],
            f"{r['metric']} {arrow}",
            f"{r['budget_seconds'] // 60} min / {r['max_submissions']} subs",
            r["source"],
            "yes" if r["prepared"] else "-",
        )
    console.print(table)
    for broken in registry.broken:
        console.print(f"[yellow]skipped[/] {broken.path}: {broken.error}", highlight=False)


@app.command("show")
def show(
    task_id: str = typer.Argument(..., help="Task id."),
    as_json: bool = typer.Option(False, "--json", help="Spec as JSON."),
) -> None:
    """Show a task's spec and description."""
    task = state().registry.get(task_id)
    if as_json:
        typer.echo(json.dumps({**_task_row(task), "spec": task.spec.model_dump()}, indent=2))
        return
    row = _task_row(task)
    spec = task.spec
    console.print(f"[bold]{task.id}[/] — {spec.title}", highlight=False)
    console.print(
        f"family {task.family} · metric {spec.metric.name} "
        f"({'higher' if spec.metric.higher_is_better else 'lower'} is better) · "
        f"budget {spec.budget.wall_seconds}s, {spec.budget.max_submissions} submissions · "
        f"feedback {spec.feedback} · prepared: {'yes' if row['prepared'] else 'no'}",
        highlight=False,
    )
    console.print(f"folder {task.root} ({task.source})", style="dim", highlight=False)
    console.print(Markdown(task.description()))


@app.command("prepare")
def prepare(
    task_ids: list[str] = typer.Argument(None, help="Task ids to prepare."),
    all_tasks: bool = typer.Option(False, "--all", help="Prepare every task."),
    family: str | None = typer.Option(None, "--family", "-f", help="With --all: one family."),
    force: bool = typer.Option(False, "--force", help="Prepare again even if cached."),
) -> None:
    """Prepare tasks: raw data -> public/ and private/ folders, cached and checksummed."""
    ctx = state()
    if all_tasks:
        tasks = ctx.registry.all(family)
    elif task_ids:
        tasks = [ctx.registry.get(t) for t in task_ids]
    else:
        raise TaskSpecError("name at least one task id, or use --all")
    with Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=False,
    ) as progress:
        bar = progress.add_task("preparing", total=len(tasks))
        for task in tasks:
            progress.update(bar, description=f"preparing {task.id}")
            prepared = prepare_task(task, ctx.paths, ctx.store, force=force)
            progress.console.print(
                f"[green]✓[/] {task.id}  {prepared.root}  checksum {prepared.checksum}",
                highlight=False,
            )
            progress.advance(bar)


@app.command("import")
def import_task(
    path: Path = typer.Argument(..., help="A task folder: ascent (task.yaml) or MLE-bench."),
    replace: bool = typer.Option(False, "--replace", help="Replace an earlier import."),
) -> None:
    """Copy a task folder into ASCENT_HOME so it is always listed, and prepare it."""
    ctx = state()
    task = load_task_dir(path, source="imported")
    destination = ctx.paths.tasks / IMPORTED_TASKS / task.id
    if destination.exists():
        if not replace:
            raise TaskSpecError(
                f"a task '{task.id}' was imported already", hint="add --replace to overwrite it"
            )
        shutil.rmtree(destination)
    shutil.copytree(path, destination, symlinks=False)
    imported = load_task_dir(destination, source="imported")
    prepared = prepare_task(imported, ctx.paths, ctx.store)
    console.print(
        f"[green]imported[/] {imported.id} ({'MLE-bench' if imported.layout == 'mlebench' else 'ascent'}"
        f" layout) -> {destination}\nprepared at {prepared.root}",
        highlight=False,
    )


@app.command("verify")
def verify(task_id: str = typer.Argument(..., help="Task id.")) -> None:
    """Check that a task's prepared data is intact."""
    ctx = state()
    task = ctx.registry.get(task_id)
    root = ctx.paths.tasks / task.id / task.fingerprint()
    checksum = verify_checksums(root) if root.is_dir() else None
    if checksum is None:
        raise TaskSpecError(
            f"task '{task_id}' is not prepared or its data changed",
            hint=f"run `ascent tasks prepare {task_id} --force`",
        )
    console.print(f"[green]ok[/] {task_id} checksum {checksum}", highlight=False)


@app.command("leaderboard")
def leaderboard(
    task_ids: list[str] = typer.Argument(None, help="MLE task ids."),
    all_tasks: bool = typer.Option(False, "--all", help="Every MLE task with medals."),
    size: int = typer.Option(120, "--size", min=10, help="Pipelines in the population."),
    seed: int = typer.Option(0, "--seed", help="Seed of the population."),
    write: bool = typer.Option(
        False, "--write", help="Write leaderboard.csv into the task folder (else print only)."
    ),
) -> None:
    """Rebuild a leaderboard from the reference-pipeline population, deterministically."""
    from ascent.tasks.mle.medals import thresholds
    from ascent.tasks.mle.population import build_leaderboard

    ctx = state()
    if all_tasks:
        tasks = [t for t in ctx.registry.all("mle") if t.spec.medals and t.layout == "native"]
    elif task_ids:
        tasks = [ctx.registry.get(t) for t in task_ids]
    else:
        raise TaskSpecError("name at least one task id, or use --all")
    for task in tasks:
        if task.family != "mle" or task.leaderboard_path is None:
            raise TaskSpecError(f"task '{task.id}' is not an MLE task with medals")
        prepared = prepare_task(task, ctx.paths, ctx.store)
        with Progress(
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=console,
        ) as progress:
            bar = progress.add_task(f"{task.id}", total=size)
            board = build_leaderboard(
                prepared,
                size=size,
                seed=seed,
                on_progress=lambda *_, bar=bar: progress.advance(bar),
            )
        limits = thresholds(board["score"].tolist(), task.spec.metric.higher_is_better)
        console.print(
            f"{task.id}: {len(board)} teams · gold {limits.gold:.5f} · silver {limits.silver:.5f}"
            f" · bronze {limits.bronze:.5f} · median {limits.median:.5f}",
            highlight=False,
        )
        if write:
            board.to_csv(task.leaderboard_path, index=False)
            console.print(f"wrote {task.leaderboard_path}", highlight=False)


@app.command("baseline")
def baseline(
    task_id: str = typer.Argument(..., help="A fine-tuning or RL task."),
    split: str = typer.Option("private", "--split", help="public, private or all."),
    write: bool = typer.Option(False, "--write", help="Record it as `baseline` in task.yaml."),
) -> None:
    """Measure the untuned base model on the held-out examples (what fine-tuning must beat)."""
    from ascent.tasks.grading import family_grader

    ctx = state()
    task = ctx.registry.get(task_id)
    if task.family not in ("ft", "rl"):
        raise TaskSpecError(f"task '{task_id}' has no base model to measure")
    prepared = prepare_task(task, ctx.paths, ctx.store)
    with console.status(f"evaluating {task.spec.base_model} on {task_id} ({split})"):
        grader = family_grader(prepared)  # rule, judge or environment: the task's own grader
        scored = grader.score(grader.base, split, measure_base=True)
    facts = [f"{task_id}: {task.spec.metric.name} = {scored.score:.4f} on {scored.n_rows} {split}"]
    for key in ("well_formed", "malformed_actions", "categories"):
        if key in scored.details:
            facts.append(f"{key.replace('_', ' ')} {scored.details[key]}")
    console.print(" · ".join(facts), highlight=False)
    if write:
        path = task.root / "task.yaml"
        lines = [ln for ln in path.read_text().splitlines() if not ln.startswith("baseline:")]
        lines.append(f"baseline: {scored.score:.4f}")
        path.write_text("\n".join(lines) + "\n")
        console.print(f"wrote baseline to {path}", highlight=False)
