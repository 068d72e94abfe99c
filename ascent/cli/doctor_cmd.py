"""`ascent doctor`: what is available here, what is missing and how to get it."""

from __future__ import annotations

import json
import sys

import typer
from rich.markup import escape
from rich.table import Table

from ascent.cli.context import console, state
from ascent.doctor import run_checks


def doctor(as_json: bool = typer.Option(False, "--json", help="Machine-readable output.")) -> None:
    """Check the sandbox, models, drivers, optional packages and the store."""
    checks = run_checks(state().paths)
    if as_json:
        typer.echo(json.dumps([c.model_dump() for c in checks], indent=2))
    else:
        table = Table(title="ascent doctor", title_justify="left")
        for column in ("area", "check", "status", "detail", "how to get it"):
            table.add_column(column, overflow="fold")
        for c in checks:
            status = (
                "[green]ok[/]" if c.ok else ("[red]missing[/]" if c.required else "[yellow]—[/]")
            )
            table.add_row(c.area, c.name, status, escape(c.detail), escape(c.fix or ""))
        console.print(table)
    if any(c.required and not c.ok for c in checks):
        sys.exit(1)
