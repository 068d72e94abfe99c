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


def _click_classes(name: str) -> tuple[type[BaseException], ...]:
    """Typer may use its own copy of click: catch the exceptions of both."""
    found = [getattr(click.exceptions, name)]
    try:
        import typer._click.exceptions as vendored  # type: ignore[import-not-found]

        if hasattr(vendored, name):
            found.append(getattr(vendored, name))
    except ImportError:
        pass
    return tuple(found)


_EXIT = (*_click_classes("Exit"), typer.Exit)
_ABORT = _click_classes("Abort")
_USAGE = _click_classes("ClickException")


def run() -> None:
    """Console-script entry: one-line errors with exit code 2 instead of tracebacks."""
    command = typer.main.get_command(app)
    try:
        code = command.main(args=sys.argv[1:], prog_name="ascent", standalone_mode=False)
    except AscentError as exc:
        err_console.print(Text.assemble(("error: ", "bold red"), str(exc)), soft_wrap=True)
        sys.exit(exc.exit_code)
    except _EXIT as exc:
        sys.exit(exc.exit_code)
    except _ABORT:
        err_console.print("aborted")
        sys.exit(130)
    except _USAGE as exc:
        exc.show()
        sys.exit(2)
    sys.exit(code if isinstance(code, int) else 0)
