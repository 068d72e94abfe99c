"""`ascent demo`: the offline end-to-end job behind `make demo`.

It runs Gome with the offline heuristic driver on a micro competition through the whole dojo:
workspace, sandbox, grading API, budget, recorder, final grading on the private split, report.
"""

from __future__ import annotations

import typer

from ascent.cli.context import console, err_console, state
from ascent.harness.lifecycle import create_run, execute_run
from ascent.harness.runstate import RunOptions

DEFAULT_TASK = "penguin-species"
DEFAULT_AGENT = "gome"


def demo(
    task_id: str = typer.Option(DEFAULT_TASK, "--task", "-t", help="Task to run the demo on."),
    agent: str = typer.Option(DEFAULT_AGENT, "--agent", "-a", help="Agent to run."),
    budget_seconds: float = typer.Option(180, "--budget-seconds", min=10, help="Run budget."),
) -> None:
    """Run an agent on a micro competition end to end and print where the report is."""
    ctx = state()
    options = RunOptions(
        task_id=task_id, agent=agent, budget_seconds=budget_seconds, driver="heuristic"
    )
    created = create_run(ctx.paths, ctx.store, options)
    err_console.print(f"demo run [bold]{created.run_id}[/] ({agent} on {task_id})", highlight=False)
    final = execute_run(ctx.paths, ctx.store, created.run_id, console=err_console)
    run_dir = ctx.paths.runs / final.run_id
    result = final.final
    if result is not None and result.valid:
        console.print(
            f"{task_id}: private score {result.score:.5f} · medal {result.medal or 'none'} · "
            f"sandbox {final.sandbox}{'' if final.isolated else ' (not isolated)'}",
            highlight=False,
        )
    else:
        console.print(f"{task_id}: no valid final submission", highlight=False)
    console.print(f"report: {run_dir / 'report.md'}", highlight=False)
