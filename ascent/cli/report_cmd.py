"""`ascent report`, `ascent serve` and `ascent export mlflow`."""

from __future__ import annotations

import hashlib
import ipaddress
import socket
import webbrowser
from pathlib import Path

import typer

from ascent.cli.context import console, err_console, state
from ascent.errors import ConfigError

export_app = typer.Typer(help="Export runs to other trackers.", no_args_is_help=True)
FORMATS = ("md", "json", "html")


def report(
    runs: list[str] = typer.Argument(None, help="A run id (or a unique prefix, or a run folder)."),
    compare: bool = typer.Option(False, "--compare", help="Compare the runs given."),
    sweep: str | None = typer.Option(None, "--sweep", help="Compare every run of this sweep."),
    fmt: str = typer.Option("md", "--format", "-f", help="What to print: md, json or html."),
    open_: bool = typer.Option(False, "--open", help="Open the HTML report in a browser."),
    out: Path | None = typer.Option(
        None, "--out", help="Folder for comparison reports (default: $ASCENT_HOME/reports)."
    ),
    schema: bool = typer.Option(False, "--schema", help="Print the JSON schema of report.json."),
) -> None:
    """Write a run's report.json/.md/.html again from its record, or compare runs or a sweep."""
    from ascent.analysis.build import write_report
    from ascent.analysis.reports import get_report, run_dir_of

    if schema:
        from ascent.analysis.schema import json_schema

        typer.echo(json_schema(), nl=False)
        return
    ctx = state()
    if fmt not in FORMATS:
        raise ConfigError(f"unknown format '{fmt}'", hint="use md, json or html")
    runs = runs or []
    if compare or sweep:
        _compare(runs, sweep, fmt, open_, out)
        return
    if len(runs) != 1:
        raise ConfigError(
            "give one run", hint="or compare several: ascent report --compare RUN RUN..."
        )
    run_dir = run_dir_of(ctx.paths.runs, runs[0])
    result = get_report(run_dir, registry=ctx.registry, fresh=True)
    files = write_report(run_dir, result)
    _emit({"md": files.md, "json": files.json, "html": files.html}, fmt, open_)


def _compare(runs: list[str], sweep: str | None, fmt: str, open_: bool, out: Path | None) -> None:
    from ascent.analysis.compare import compare, write_compare
    from ascent.analysis.reports import get_report, run_dir_of, sweep_run_dirs

    ctx = state()
    if sweep and runs:
        raise ConfigError("give runs or --sweep, not both")
    if sweep:
        dirs = sweep_run_dirs(ctx.paths.runs, sweep, ctx.store)
        title, name = f"Sweep {sweep}", f"sweep-{_safe(sweep)}"
    else:
        if len(runs) < 2:
            raise ConfigError("--compare needs two runs or more")
        dirs = [run_dir_of(ctx.paths.runs, r) for r in runs]
        digest = hashlib.sha256("\n".join(sorted(d.name for d in dirs)).encode()).hexdigest()
        title, name = f"Comparison of {len(dirs)} runs", f"compare-{digest[:10]}"
    reports = [get_report(d, registry=ctx.registry) for d in dirs]
    result = compare(reports, title, sweep_id=sweep)
    files = write_compare(out or ctx.paths.home / "reports", name, result, reports)
    _emit(files, fmt, open_)


def _safe(text: str) -> str:
    return "".join(c if c.isalnum() or c in "._-" else "_" for c in text)[:80]


def _emit(files: dict[str, Path], fmt: str, open_: bool) -> None:
    if fmt == "html":
        console.print(str(files["html"]), highlight=False, soft_wrap=True)
    else:
        typer.echo(files[fmt].read_text(), nl=False)
    if open_ and not webbrowser.open(files["html"].resolve().as_uri()):
        err_console.print(f"no browser to open; the report is {files['html']}")


def serve(
    host: str = typer.Option("127.0.0.1", "--host", help="Interface to listen on."),
    port: int = typer.Option(8421, "--port", min=0, max=65535, help="Port (0: any free one)."),
) -> None:
    """Browse runs in a web page (read-only): list, run pages, diffs of code, comparisons."""
    import uvicorn

    from ascent.ui.app import create_app

    ctx = state()
    if not _is_loopback(host):
        err_console.print(
            f"[bold yellow]warning:[/] serving on {host}: anyone who can reach this port can "
            "read every run (the UI has no login)",
            highlight=False,
        )
    app = create_app(ctx.paths, task_dirs=ctx.task_dirs, loopback_only=_is_loopback(host))
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        raise ConfigError(f"cannot listen on {host}:{port}: {exc.strerror}") from exc
    bound = sock.getsockname()[1]
    shown = f"[{host}]" if family == socket.AF_INET6 else host
    err_console.print(f"serving {ctx.paths.runs} on http://{shown}:{bound}/", highlight=False)
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", access_log=False))
    server.run(sockets=[sock])


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@export_app.command("mlflow")
def export_mlflow(
    runs: list[str] = typer.Argument(None, help="Run ids (or unique prefixes)."),
    sweep: str | None = typer.Option(None, "--sweep", help="Export every run of this sweep."),
    every: bool = typer.Option(False, "--all", help="Export every run."),
    tracking_uri: str | None = typer.Option(
        None, "--tracking-uri", help="MLflow tracking URI (default: MLflow's own default)."
    ),
    experiment: str | None = typer.Option(
        None, "--experiment", help="Experiment name (default: ascent/<task>, or the sweep)."
    ),
    replace: bool = typer.Option(False, "--replace", help="Replace runs exported before."),
) -> None:
    """Export runs (params, metric trajectories, reports and logs as artifacts) to MLflow."""
    from ascent.analysis.export import export_runs
    from ascent.analysis.reports import run_dir_of, sweep_run_dirs

    ctx = state()
    if sum(map(bool, (runs, sweep, every))) != 1:
        raise ConfigError("give runs, --sweep ID or --all (one of them)")
    if sweep:
        dirs = sweep_run_dirs(ctx.paths.runs, sweep, ctx.store)
    elif runs:
        dirs = [run_dir_of(ctx.paths.runs, r) for r in runs]
    else:
        dirs = sorted(p for p in ctx.paths.runs.iterdir() if (p / "run.json").is_file())
    results = export_runs(
        dirs,
        tracking_uri=tracking_uri,
        experiment=experiment,
        sweep_id=sweep,
        replace=replace,
        registry=ctx.registry,
    )
    for result in results:
        console.print(
            f"{result.run_id}: {result.action} as {result.mlflow_run_id}", highlight=False
        )
