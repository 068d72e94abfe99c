"""Entry point of the `ascent` command."""

from __future__ import annotations

import sys
from pathlib import Path

import click
import typer
from rich.text import Text

from ascent import __version__
from ascent.cli import (
    demo_cmd,
    doctor_cmd,
    grade_cmd,
    report_cmd,
    run_cmd,
    sweep_cmd,
    tasks_cmd,
)
from ascent.cli.context import configure, err_console
from ascent.errors import AscentError

app = typer.Typer(
    name="ascent",
    help="Autonomous R&D agents improving ML systems under a budget, measured honestly.",
    rich_markup_mode="rich",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
app.add_typer(tasks_cmd.app, name="tasks")
app.command("grade")(grade_cmd.grade)
app.command("doctor")(doctor_cmd.doctor)
app.command("demo")(demo_cmd.demo)
app.command("run")(run_cmd.run)
app.command("resume")(run_cmd.resume)
app.add_typer(run_cmd.runs_app, name="runs")
app.add_typer(run_cmd.agents_app, name="agents")
app.command("report")(report_cmd.report)
app.command("serve")(report_cmd.serve)
app.add_typer(report_cmd.export_app, name="export")
app.add_typer(sweep_cmd.app, name="sweep")


def _version(value: bool) -> None:
    if value:
        typer.echo(f"ascentlab {__version__}")
        raise typer.Exit()


@app.callback()
def main(
    home: Path | None = typer.Option(
        None,
        "--home",
        envvar="ASCENT_HOME",
        help="State folder (default ~/.ascent).",
        show_envvar=True,
    ),
    task_dir: list[Path] = typer.Option(
        [],
        "--task-dir",
        help="Extra task folder (a task, or a folder of tasks). Repeatable.",
    ),
    verbose: bool = typer.Option(False, "--verbose", "-v", help="Debug logging."),
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Print the version and exit."
    ),
) -> None:
    configure(home, task_dir, verbose)


def run() -> None:
    """Console-script entry: one-line errors with exit code 2 instead of tracebacks."""
    command = typer.main.get_command(app)
    try:
        code = command.main(args=sys.argv[1:], prog_name="ascent", standalone_mode=False)
    except AscentError as exc:
        err_console.print(Text.assemble(("error: ", "bold red"), str(exc)), soft_wrap=True)
        sys.exit(exc.exit_code)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    except click.exceptions.Abort:
        err_console.print("aborted")
        sys.exit(130)
    except click.ClickException as exc:
        exc.show()
        sys.exit(2)
    sys.exit(code if isinstance(code, int) else 0)
