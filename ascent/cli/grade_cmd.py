"""`ascent grade`: grade one submission file against a task's private answers."""

from __future__ import annotations

import sys
from pathlib import Path

import typer
from rich.table import Table
from rich.text import Text

from ascent.cli.context import console, err_console, state
from ascent.errors import ConfigError
from ascent.tasks.grading import GradeResult
from ascent.tasks.grading import grade as grade_submission
from ascent.tasks.prepare import prepare_task

EXIT_INVALID = 2
EXIT_GRADER_ERROR = 3


def grade(
    submission: Path = typer.Argument(..., help="The submission file (CSV for MLE tasks)."),
    task_id: str = typer.Option(..., "--task", "-t", help="Task id."),
    split: str = typer.Option(
        "private", "--split", help="public (leaderboard shown during runs), private (final), all."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print the grading report as JSON."),
) -> None:
    """Grade a submission: score, split, validity, medal thresholds and medal.

    Exit code 0 when graded, 2 when the submission is invalid, 3 when the grader failed.
    """
    if split not in ("public", "private", "all"):
        raise ConfigError(f"unknown split '{split}'", hint="use public, private or all")
    ctx = state()
    task = ctx.registry.get(task_id)
    prepared = prepare_task(task, ctx.paths, ctx.store)
    result = grade_submission(prepared, submission.expanduser(), split)  # type: ignore[arg-type]
    if as_json:
        typer.echo(result.model_dump_json(indent=2))
    else:
        print_result(result)
    if result.status == "invalid":
        sys.exit(EXIT_INVALID)
    if result.status == "grader_error":
        sys.exit(EXIT_GRADER_ERROR)


def print_result(result: GradeResult) -> None:
    if not result.valid:
        label = "invalid submission" if result.status == "invalid" else "grader error"
        err_console.print(Text.assemble((f"{label}: ", "bold red"), result.error or ""))
        return
    direction = "higher" if result.higher_is_better else "lower"
    console.print(
        f"[bold]{result.task_id}[/]  {result.metric} = [bold]{result.score:.5f}[/] "
        f"({direction} is better) on the {result.split} split, {result.n_rows} rows",
        highlight=False,
    )
    medals = result.medals
    if medals is None:
        if result.split != "private":
            console.print("medals are awarded on the private split only", style="dim")
        return
    table = Table(show_header=True, title=f"leaderboard of {medals.n_teams} teams")
    for column in ("gold", "silver", "bronze", "median"):
        table.add_column(column, justify="right")
    table.add_row(*(f"{v:.5f}" for v in (medals.gold, medals.silver, medals.bronze, medals.median)))
    console.print(table)
    verdict = medals.medal or "no medal"
    console.print(
        f"medal: [bold]{verdict}[/] · above median: {'yes' if medals.above_median else 'no'}",
        highlight=False,
    )
