"""`ascent sweep [SPEC.yaml] [flags]`, `sweep resume|list|show|results|reindex`."""

from __future__ import annotations

import json
import signal
from pathlib import Path
from typing import Any

import typer
from rich.table import Table
from typer.core import TyperGroup

from ascent.cli.context import console, err_console, state
from ascent.errors import ConfigError
from ascent.execution.results import FORMATS, GROUP_KEYS, render, sweep_results
from ascent.execution.spec import SweepSpec, load_sweep_spec, parse_seeds, validate_spec
from ascent.execution.state import SweepFolder, SweepState, sync_index


class _StartByDefault(TyperGroup):
    """`ascent sweep SPEC.yaml ...` and `ascent sweep --task ...` mean `ascent sweep start ...`."""

    def parse_args(self, ctx, args: list[str]) -> list[str]:
        if args and args[0] not in self.commands and args[0] not in ("--help", "-h"):
            args = ["start", *args]
        return super().parse_args(ctx, args)


app = typer.Typer(
    cls=_StartByDefault,
    help="Sweeps: tasks x agent variants x seeds, each cell a run; local pool or Ray.",
    no_args_is_help=True,
)

_EXECUTOR = typer.Option("local", "--executor", "-x", help="local (process pool) or ray.")
_ADDRESS = typer.Option(
    None, "--address", help="Ray cluster: auto, ray://HOST:10001 or HOST:6379 (default: local)."
)
_WORKERS = typer.Option(
    None, "--workers", min=1, help="CPUs to use (local pool, or a local Ray). Default: all."
)
_ARTIFACTS = typer.Option(
    "auto",
    "--artifacts",
    help="Ray: run folders on a shared path (shared), sent back through Ray (return), or "
    "whichever works (auto).",
)
_RETRIES = typer.Option(
    None, "--retries", min=0, help="Infrastructure retries per cell (default: the spec's, 2)."
)


def _split(values: list[str]) -> list[str]:
    return [v.strip() for value in values for v in value.split(",") if v.strip()]


@app.command("start")
def start(
    spec_path: Path | None = typer.Argument(None, metavar="[SPEC.yaml]", help="Sweep spec."),
    task: list[str] = typer.Option([], "--task", "-t", help="Task id (repeatable or a,b)."),
    agent: list[str] = typer.Option([], "--agent", "-a", help="Agent (repeatable or a,b)."),
    seeds: str | None = typer.Option(None, "--seeds", help="e.g. 0,1,2 or 0-4 (default 0)."),
    budget: str | None = typer.Option(None, "--budget", help="Per run, e.g. 2m."),
    max_submissions: int | None = typer.Option(None, "--max-submissions", min=1),
    sandbox: str | None = typer.Option(None, "--sandbox", help="auto, bwrap or process."),
    cpus: int | None = typer.Option(None, "--cpus", min=1, help="limits.cpus of each run."),
    memory: int | None = typer.Option(None, "--memory", min=64, help="limits.memory_mb."),
    driver: str | None = typer.Option(None, "--driver", help="heuristic, llm or replay."),
    model: str | None = typer.Option(None, "--model", help="LLM for --driver llm."),
    quality: float | None = typer.Option(None, "--quality", min=0.0, max=1.0),
    traces: int | None = typer.Option(None, "--traces", min=1, help="gome: parallel traces."),
    no_diagnosis: bool = typer.Option(False, "--no-diagnosis", help="gome ablation."),
    no_memory: bool = typer.Option(False, "--no-memory", help="gome ablation."),
    max_steps: int | None = typer.Option(None, "--max-steps", min=1),
    agent_dir: list[Path] = typer.Option([], "--agent-dir", help="Extra agent folder."),
    name: str | None = typer.Option(None, "--name", help="Sweep name (prefix of its id)."),
    forward_env: list[str] = typer.Option(
        [], "--forward-env", help="Host variable handed to every cell (repeatable)."
    ),
    executor: str = _EXECUTOR,
    address: str | None = _ADDRESS,
    workers: int | None = _WORKERS,
    artifacts: str = _ARTIFACTS,
    retries: int | None = _RETRIES,
    dry_run: bool = typer.Option(False, "--dry-run", help="Print the cells and stop."),
) -> None:
    """Start a sweep from SPEC.yaml and/or flags (flags override the spec)."""
    from ascent.execution.sweep import create_sweep

    ctx = state()
    raw: dict[str, Any] = {}
    base = None
    if spec_path is not None:
        raw = load_sweep_spec(spec_path).model_dump(exclude_none=True)
        base = spec_path.resolve().parent
    variant: dict[str, Any] = {}
    for key, value in (("driver", driver), ("model", model)):
        if value is not None:
            variant[key] = value
    options = _agent_options(traces, no_diagnosis, no_memory, max_steps)
    if task:
        raw["tasks"] = _split(task)
    if agent:
        raw["agents"] = [{"label": a, "agent": a} for a in _split(agent)]
    raw["agents"] = [
        {
            **v,
            **variant,
            "options": {**v.get("options", {}), **options},
            "driver_options": {
                **v.get("driver_options", {}),
                **({"quality": quality} if quality is not None else {}),
            },
        }
        for v in raw.get("agents", [])
    ]
    for key, value in (
        ("seeds", parse_seeds(seeds) if seeds else None),
        ("budget", budget),
        ("max_submissions", max_submissions),
        ("sandbox", sandbox),
        ("name", name),
    ):
        if value is not None:
            raw[key] = value
    if cpus is not None or memory is not None:
        limits = dict(raw.get("limits") or {})
        limits.update({k: v for k, v in (("cpus", cpus), ("memory_mb", memory)) if v})
        raw["limits"] = limits
    if agent_dir:
        raw["agent_dirs"] = [*raw.get("agent_dirs", []), *(str(p.resolve()) for p in agent_dir)]
    if forward_env:
        raw["forward_env"] = [*raw.get("forward_env", []), *_split(forward_env)]
    raw["task_dirs"] = [*raw.get("task_dirs", []), *(str(p.resolve()) for p in ctx.task_dirs)]
    if not raw.get("tasks") or not raw.get("agents"):
        raise ConfigError(
            "a sweep needs tasks and agents", hint="give SPEC.yaml, or --task and --agent"
        )
    spec = validate_spec(raw, str(spec_path or "the sweep flags"), base=base)
    if dry_run:
        _print_cells(spec)
        return
    created = create_sweep(ctx.paths, ctx.store, spec)
    err_console.print(
        f"sweep [bold]{created.sweep_id}[/]: {len(created.cells)} cells", highlight=False
    )
    _run(created.sweep_id, executor, address, workers, artifacts, retries)


@app.command("resume")
def resume(
    sweep_id: str = typer.Argument(..., help="The sweep to continue."),
    executor: str = _EXECUTOR,
    address: str | None = _ADDRESS,
    workers: int | None = _WORKERS,
    artifacts: str = _ARTIFACTS,
    retries: int | None = _RETRIES,
) -> None:
    """Run every cell that has not ended (resuming interrupted runs); skip ended ones."""
    _run(sweep_id, executor, address, workers, artifacts, retries)


def _run(
    sweep_id: str,
    executor: str,
    address: str | None,
    workers: int | None,
    artifacts: str,
    retries: int | None,
) -> None:
    from ascent.execution.sweep import SweepRunner, make_executor

    if artifacts not in ("auto", "shared", "return"):
        raise ConfigError(f"unknown --artifacts '{artifacts}'", hint="use auto, shared or return")
    ctx = state()
    folder = SweepFolder(ctx.paths, sweep_id)
    folder.load()
    chosen = make_executor(executor, ctx.paths, folder, address, workers, artifacts)
    runner = SweepRunner(
        ctx.paths, ctx.store, sweep_id, chosen, console=err_console, retries=retries
    )
    previous = signal.signal(signal.SIGTERM, _interrupt)
    try:
        final = runner.run()
    finally:
        signal.signal(signal.SIGTERM, previous)
    _summary(final)


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def _summary(final: SweepState) -> None:
    counts = final.counts()
    retried = sum(c.retries for c in final.cells)
    err_console.print(
        f"sweep {final.sweep_id}: {final.status} · {counts['done']}/{len(final.cells)} cells "
        f"ended · {counts['failed']} failed · {retried} retried",
        highlight=False,
    )
    if final.status == "cancelled":
        err_console.print(f"continue with: ascent sweep resume {final.sweep_id}", highlight=False)
        raise typer.Exit(130)
    if counts["done"]:
        typer.echo(render(sweep_results(state().paths, final.sweep_id), "md"), nl=False)
    if final.status != "finished":
        err_console.print(f"resume with: ascent sweep resume {final.sweep_id}", highlight=False)
        raise typer.Exit(1)


def _agent_options(
    traces: int | None, no_diagnosis: bool, no_memory: bool, max_steps: int | None
) -> dict:
    options: dict = {}
    if traces is not None:
        options["traces"] = traces
    if no_diagnosis:
        options["diagnosis"] = False
    if no_memory:
        options["memory"] = False
    if max_steps is not None:
        options["max_steps"] = max_steps
    return options


def _print_cells(spec: SweepSpec) -> None:
    table = Table(title=f"{len(spec.cells())} cells", title_justify="left")
    for column in ("task", "agent", "seed"):
        table.add_column(column)
    for cell in spec.cells():
        table.add_row(cell.task_id, cell.label, str(cell.seed))
    console.print(table)
    console.print(spec.to_yaml(), highlight=False)


@app.command("list")
def list_sweeps(
    limit: int = typer.Option(50, "--limit", min=1),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """List sweeps, newest first."""
    rows = state().store.list_sweeps(limit=limit)
    if as_json:
        typer.echo(json.dumps([r.model_dump(exclude={"spec"}) for r in rows], indent=2))
        return
    table = Table(title=f"{len(rows)} sweeps", title_justify="left")
    table.add_column("sweep", no_wrap=True)
    for column in ("status", "executor", "ended", "failed", "retries", "created"):
        table.add_column(column)
    for r in rows:
        table.add_row(
            r.sweep_id,
            r.status,
            r.executor or "",
            f"{r.done}/{r.cells}",
            str(r.failed),
            str(r.retries),
            r.created_at,
        )
    console.print(table)


@app.command("show")
def show(
    sweep_id: str = typer.Argument(...),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """Show a sweep's cells: run, status, retries, attempts."""
    sweep = SweepFolder(state().paths, sweep_id).load()
    if as_json:
        typer.echo(sweep.model_dump_json(indent=2))
        return
    table = Table(title=f"sweep {sweep.sweep_id}: {sweep.status}", title_justify="left")
    for column in ("cell", "status", "run", "run status", "retries", "last attempt"):
        table.add_column(column, overflow="fold")
    for cell in sweep.cells:
        last = cell.attempts[-1] if cell.attempts else None
        info = ""
        if last is not None:
            info = f"#{last.number} {last.outcome or 'running'}"
            info += f" on {last.node}" if last.node else ""
            info += f": {last.error}" if last.error else ""
        table.add_row(
            cell.key,
            cell.status,
            cell.run_id or "",
            cell.run_status or "",
            str(cell.retries),
            info,
        )
    console.print(table)


@app.command("results")
def results(
    sweep_id: str = typer.Argument(...),
    by: str = typer.Option("agent", "--by", help=f"Group by, a subset of {','.join(GROUP_KEYS)}."),
    fmt: str = typer.Option("md", "--format", "-f", help="md, csv or json."),
    out: Path | None = typer.Option(None, "--out", "-o", help="Write to this file."),
) -> None:
    """Results table: n, normalised score ± SEM, medal rates, validity, cost, by split."""
    if fmt not in FORMATS:
        raise ConfigError(f"unknown format '{fmt}'", hint=f"use {', '.join(FORMATS)}")
    text = render(sweep_results(state().paths, sweep_id, _split([by])), fmt)
    if out is not None:
        out.write_text(text)
        err_console.print(f"wrote {out}", highlight=False)
    else:
        typer.echo(text, nl=False)


@app.command("reindex")
def reindex() -> None:
    """Rebuild the index of sweeps (and of their runs) from the sweep and run folders."""
    from ascent.execution.indexing import index_run

    ctx = state()
    count = sync_index(ctx.paths, ctx.store)
    runs = 0
    for record in ctx.store.list_sweeps():
        for cell in SweepFolder(ctx.paths, record.sweep_id).load().cells:
            if cell.run_id and (ctx.paths.runs / cell.run_id / "run.json").is_file():
                index_run(ctx.store, ctx.paths.runs / cell.run_id)
                runs += 1
    console.print(f"indexed {count} sweeps and {runs} of their runs")


@app.command("run-cell", hidden=True)
def run_cell_cmd(run_id: str = typer.Argument(...)) -> None:
    """One cell attempt (used by the executors)."""
    from ascent.execution.cellproc import run_cell

    raise typer.Exit(run_cell(state().paths, run_id))
