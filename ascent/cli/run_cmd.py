"""`ascent run`, `ascent resume`, `ascent runs list|show`, `ascent agents list`."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import typer
from rich.markup import escape
from rich.table import Table

from ascent.agents.registry import AgentRegistry
from ascent.cli.context import console, err_console, state
from ascent.errors import ConfigError
from ascent.harness.lifecycle import create_run, execute_run
from ascent.harness.runstate import RunOptions, RunState, load_state

runs_app = typer.Typer(help="Browse runs.", no_args_is_help=True)
agents_app = typer.Typer(help="Browse agents.", no_args_is_help=True)

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smh]?)\s*$")


def parse_duration(text: str) -> float:
    """`90`, `90s`, `15m`, `1.5h` -> seconds."""
    match = _DURATION.match(text)
    if match is None:
        raise ConfigError(f"cannot read the duration '{text}'", hint="write e.g. 90s, 15m or 1h")
    value, unit = float(match.group(1)), match.group(2) or "s"
    return value * {"s": 1, "m": 60, "h": 3600}[unit]


def run(
    task: str = typer.Option(..., "--task", "-t", help="Task id."),
    agent: str = typer.Option(
        "example", "--agent", "-a", help="Agent name (see `ascent agents list`)."
    ),
    budget: str | None = typer.Option(
        None, "--budget", help="Wall-clock budget, e.g. 15m (default: the task's)."
    ),
    max_submissions: int | None = typer.Option(
        None, "--max-submissions", min=1, help="Default: the task's."
    ),
    seed: int = typer.Option(0, "--seed", help="Seed given to the agent."),
    sandbox: str = typer.Option(
        "auto", "--sandbox", help="auto (bwrap if it works here), bwrap or process."
    ),
    agent_dir: list[Path] = typer.Option([], "--agent-dir", help="Extra agent folder. Repeatable."),
    driver: str = typer.Option("heuristic", "--driver", help="heuristic (offline), llm or replay."),
    model: str | None = typer.Option(None, "--model", help="LLM for --driver llm (LiteLLM name)."),
    api_base: str | None = typer.Option(
        None, "--api-base", help="--driver llm: base URL of an OpenAI-compatible server."
    ),
    record: Path | None = typer.Option(
        None, "--record", help="Append every driver answer to this JSONL file, for replay."
    ),
    replay_file: Path | None = typer.Option(
        None, "--replay-file", help="--driver replay: the recorded answers."
    ),
    quality: float | None = typer.Option(
        None, "--quality", min=0.0, max=1.0, help="Heuristic driver: 1 = sound, lower = weaker."
    ),
    traces: int | None = typer.Option(None, "--traces", min=1, help="gome: parallel traces."),
    no_diagnosis: bool = typer.Option(False, "--no-diagnosis", help="gome ablation."),
    no_memory: bool = typer.Option(False, "--no-memory", help="gome ablation."),
    max_steps: int | None = typer.Option(None, "--max-steps", min=0, help="Stop after N steps."),
    option: list[str] = typer.Option(
        [],
        "--option",
        help="Agent option KEY=VALUE (VALUE read as JSON when it parses). Repeatable.",
    ),
    base_model: str | None = typer.Option(
        None, "--base-model", help="ft/rl: use another base model (e.g. tiny-random-llama)."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print the final state as JSON."),
) -> None:
    """Run an agent on a task under a budget, in a sandbox, and report."""
    ctx = state()
    if driver not in ("heuristic", "llm", "replay"):
        raise ConfigError(f"unknown driver '{driver}'", hint="use heuristic, llm or replay")
    if sandbox not in ("auto", "bwrap", "process"):
        raise ConfigError(f"unknown sandbox '{sandbox}'", hint="use auto, bwrap or process")
    options = RunOptions(
        task_id=task,
        agent=agent,
        seed=seed,
        sandbox=sandbox,  # type: ignore[arg-type]
        budget_seconds=parse_duration(budget) if budget else None,
        max_submissions=max_submissions,
        agent_dirs=[str(p.resolve()) for p in agent_dir],
        task_dirs=[str(p.resolve()) for p in ctx.task_dirs],
        model=model,
        base_model=base_model,
        **driver_setup(driver, quality, api_base, record, replay_file, model),
        agent_options={
            **agent_options(traces, no_diagnosis, no_memory, max_steps),
            **parse_options(option),
        },
    )
    created = create_run(ctx.paths, ctx.store, options)
    err_console.print(f"run [bold]{created.run_id}[/]", highlight=False)
    _finish(execute_run(ctx.paths, ctx.store, created.run_id, console=err_console), as_json)


def driver_setup(
    driver: str,
    quality: float | None,
    api_base: str | None,
    record: Path | None,
    replay_file: Path | None,
    model: str | None = None,
) -> dict:
    """The run's driver and its options; `--record` wraps the driver in a recording replay."""
    options: dict = {"quality": quality} if quality is not None else {}
    if api_base:
        options["api_base"] = api_base
    if driver == "llm" and not (model or os.environ.get("ASCENT_MODEL")):
        raise ConfigError("--driver llm needs a model", hint="pass --model or set ASCENT_MODEL")
    if driver == "replay":
        if replay_file is None or not replay_file.is_file():
            raise ConfigError(
                f"--driver replay needs a recording: {replay_file or 'give --replay-file PATH'}",
                hint="record one with --record PATH",
            )
        options = {"path": str(replay_file.resolve())}
    if record is None:
        return {"driver": driver, "driver_options": options}
    if driver == "replay":
        raise ConfigError("--record records another driver", hint="use --driver heuristic or llm")
    recording = {"path": str(record.resolve()), "fallback": driver, "record": True}
    return {"driver": "replay", "driver_options": {**recording, "fallback_options": options}}


def agent_options(
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


def parse_options(items: list[str]) -> dict:
    options = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise ConfigError(f"cannot read the option '{item}'", hint="write KEY=VALUE")
        try:
            options[key.strip()] = json.loads(value)
        except ValueError:
            options[key.strip()] = value
    return options


def resume(
    run_id: str = typer.Argument(..., help="The run to resume."),
    as_json: bool = typer.Option(False, "--json", help="Print the final state as JSON."),
) -> None:
    """Resume an interrupted or killed run with the budget it has left."""
    ctx = state()
    _finish(execute_run(ctx.paths, ctx.store, run_id, console=err_console), as_json)


def _finish(final: RunState, as_json: bool) -> None:
    ctx = state()
    run_dir = ctx.paths.runs / final.run_id
    if as_json:
        typer.echo(final.model_dump_json(indent=2, exclude={"token"}))
        return
    if final.status == "interrupted":
        console.print(f"interrupted; continue with: ascent resume {final.run_id}", highlight=False)
        return
    result = final.final
    if result and result.valid:
        console.print(
            f"final {result.submission_id}: private score {result.score:.5f} · "
            f"medal {result.medal or 'none'}",
            highlight=False,
        )
    else:
        console.print(
            f"no valid final submission ({result.error if result else 'none'})", highlight=False
        )
    console.print(f"report: {run_dir / 'report.md'}", highlight=False)


@runs_app.command("list")
def list_runs(
    task: str | None = typer.Option(None, "--task", help="Only runs of this task."),
    status: str | None = typer.Option(None, "--status", help="Only runs with this status."),
    limit: int = typer.Option(50, "--limit", min=1),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """List runs, newest first."""
    rows = state().store.list_runs(task_id=task, status=status, limit=limit)
    if as_json:
        typer.echo(json.dumps([r.model_dump() for r in rows], indent=2))
        return
    table = Table(title=f"{len(rows)} runs", title_justify="left")
    table.add_column("run", no_wrap=True)
    for column in ("status", "end", "score (private)", "medal"):
        table.add_column(column)
    for r in rows:
        score = "-" if r.final_score is None else f"{r.final_score:.5f}"
        table.add_row(r.run_id, r.status, r.end_reason or "", score, r.medal or "")
    console.print(table)


@runs_app.command("show")
def show_run(
    run_id: str = typer.Argument(...),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """Show a run's state and report."""
    run_dir = state().paths.runs / run_id
    run_state = load_state(run_dir)
    if as_json:
        typer.echo(run_state.model_dump_json(indent=2, exclude={"token"}))
        return
    report = run_dir / "report.md"
    if report.is_file():
        console.print(escape(report.read_text()), highlight=False)
    else:
        console.print(f"{run_id}: {run_state.status} (no report yet)", highlight=False)


@agents_app.command("list")
def list_agents(
    agent_dir: list[Path] = typer.Option([], "--agent-dir", help="Extra agent folder."),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """List the agents that can run here."""
    agents = AgentRegistry(agent_dir).all()
    rows = [
        {
            "name": a.name,
            "kind": a.kind,
            "description": a.description,
            "network": a.spec.network if a.spec else "none",
            "path": str(a.root) if a.root else None,
        }
        for a in agents
    ]
    if as_json:
        typer.echo(json.dumps(rows, indent=2))
        return
    table = Table(title=f"{len(rows)} agents", title_justify="left")
    for column in ("name", "kind", "network", "description"):
        table.add_column(column, overflow="fold")
    for r in rows:
        table.add_row(r["name"], r["kind"], r["network"], r["description"])
    console.print(table)


@runs_app.command("reindex")
def reindex() -> None:
    """Rebuild the SQLite index from the run folders (after the index was lost)."""
    from ascent.store.reindex import reindex_runs

    ctx = state()
    runs, submissions, events = reindex_runs(ctx.store, ctx.paths.runs)
    console.print(f"indexed {runs} runs, {submissions} submissions, {events} new events")
