"""The web UI: runs list with filters, run pages (report, plots, diff viewer, live updates),
comparisons of runs and sweeps. Read-only: every route is a GET; nothing writes to a run.

Bound to 127.0.0.1 by default; with `allowed_hosts` set, requests naming another Host are
refused (a page on another site cannot reach it through DNS rebinding). Pages carry a strict
Content-Security-Policy: scripts only from this server, no inline script.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from urllib.parse import quote

from fastapi import FastAPI, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, PlainTextResponse, Response
from jinja2 import ChoiceLoader, Environment, PackageLoader, StrictUndefined, select_autoescape

from ascent import __version__
from ascent.analysis.gitview import SnapshotRepo
from ascent.analysis.render_md import LABELS
from ascent.analysis.text import metric_value, num
from ascent.config import Paths
from ascent.errors import AscentError
from ascent.ui.data import RunCatalog
from ascent.ui.diffview import parse_diff, stats

LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1")
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; "
    "form-action 'self'"
)
STATIC = Path(__file__).parent / "static"
ANALYSIS_TEMPLATES = Path(__file__).parents[1] / "analysis" / "templates"
STATIC_FILES = {
    "ui.css": (STATIC / "ui.css", "text/css"),
    "report.css": (ANALYSIS_TEMPLATES / "report.css", "text/css"),
    "live.js": (STATIC / "live.js", "text/javascript"),
}
FILTERS = ("task", "agent", "status", "family", "sweep", "medal")


def _environment() -> Environment:
    env = Environment(
        loader=ChoiceLoader(
            [PackageLoader("ascent.ui", "templates"), PackageLoader("ascent.analysis", "templates")]
        ),
        autoescape=select_autoescape(["html", "j2"], default_for_string=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.globals.update(num=num, fmt=metric_value, labels=LABELS, version=__version__, quote=quote)
    return env


def host_name(header: str) -> str:
    if header.startswith("["):
        return header[1 : header.find("]")] if "]" in header else header
    return header.rsplit(":", 1)[0] if header.count(":") == 1 else header


def create_app(
    paths: Paths,
    task_dirs: Sequence[Path] = (),
    loopback_only: bool = True,
    allowed_hosts: Sequence[str] | None = None,
) -> FastAPI:
    from ascent.tasks.registry import Registry

    app = FastAPI(title="ascentlab", docs_url=None, redoc_url=None, openapi_url=None)
    data = RunCatalog(paths, Registry(list(task_dirs)))
    env = _environment()
    hosts = set(
        allowed_hosts if allowed_hosts is not None else LOOPBACK_HOSTS if loopback_only else ()
    )

    @app.middleware("http")
    async def guard(request: Request, call_next):
        if request.method not in ("GET", "HEAD"):
            return PlainTextResponse("read-only", status_code=405, headers={"Allow": "GET, HEAD"})
        if hosts and host_name(request.headers.get("host", "")) not in hosts:
            return PlainTextResponse("unknown host", status_code=421)
        response = await call_next(request)
        response.headers.setdefault("Content-Security-Policy", CSP)
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Referrer-Policy"] = "no-referrer"
        return response

    def page(name: str, status_code: int = 200, **context) -> HTMLResponse:
        return HTMLResponse(env.get_template(name).render(**context), status_code=status_code)

    @app.exception_handler(AscentError)
    async def not_found(request: Request, exc: AscentError) -> HTMLResponse:
        return page("error.html", status_code=404, message=str(exc))

    @app.get("/", response_class=HTMLResponse)
    def runs_list(request: Request) -> HTMLResponse:
        runs = data.runs()
        chosen = {k: request.query_params.get(k, "") for k in FILTERS}
        q = request.query_params.get("q", "").strip()
        options = {
            "task": sorted({r.task_id for r in runs}),
            "agent": sorted({r.agent for r in runs}),
            "status": sorted({r.status for r in runs}),
            "family": sorted({r.family for r in runs}),
            "sweep": sorted({r.sweep_id for r in runs if r.sweep_id}),
            "medal": ["gold", "silver", "bronze", "none"],
        }
        shown = [
            r
            for r in runs
            if (not chosen["task"] or r.task_id == chosen["task"])
            and (not chosen["agent"] or r.agent == chosen["agent"])
            and (not chosen["status"] or r.status == chosen["status"])
            and (not chosen["family"] or r.family == chosen["family"])
            and (not chosen["sweep"] or r.sweep_id == chosen["sweep"])
            and (not chosen["medal"] or (r.medal or "none") == chosen["medal"])
            and (not q or q.lower() in r.run_id.lower())
        ]
        return page("runs.html", runs=shown, total=len(runs), chosen=chosen, q=q, options=options)

    @app.get("/runs/{run_id}", response_class=HTMLResponse)
    def run_page(run_id: str, a: str | None = None, b: str | None = None) -> HTMLResponse:
        run_dir = data.run_dir(run_id)
        rendered = data.rendered(run_dir)
        progress = data.progress(run_dir)
        snapshots = rendered.report.snapshots
        if a is None and b is None and len(snapshots) >= 2:
            a, b = snapshots[-2].commit, snapshots[-1].commit
        diff = _diff(run_dir, a, b) if a and b else None
        return page(
            "run.html",
            r=rendered.report,
            plots=rendered.plots,
            progress=progress,
            a=a,
            b=b,
            diff=diff,
        )

    @app.get("/runs/{run_id}/live", response_class=HTMLResponse)
    def run_live(run_id: str) -> HTMLResponse:
        run_dir = data.run_dir(run_id)
        rendered = data.rendered(run_dir)
        return page("_live.html", r=rendered.report, plots=rendered.plots)

    @app.get("/runs/{run_id}/diff", response_class=HTMLResponse)
    def run_diff(run_id: str, a: str = Query(...), b: str = Query(...)) -> HTMLResponse:
        return page("_diff.html", diff=_diff(data.run_dir(run_id), a, b), a=a, b=b)

    @app.get("/runs/{run_id}/report.html", response_class=HTMLResponse)
    def run_report_html(run_id: str) -> HTMLResponse:
        from ascent.analysis.render_html import render_html

        rendered = data.rendered(data.run_dir(run_id))
        return HTMLResponse(render_html(rendered.report, rendered.plots))

    @app.get("/runs/{run_id}/report.json")
    def run_report_json(run_id: str) -> Response:
        rendered = data.rendered(data.run_dir(run_id))
        return Response(rendered.report.model_dump_json(indent=2), media_type="application/json")

    @app.get("/api/runs")
    def api_runs() -> JSONResponse:
        return JSONResponse([r.model_dump(exclude={"config"}) for r in data.runs()])

    @app.get("/api/runs/{run_id}/progress")
    def api_progress(run_id: str) -> JSONResponse:
        progress = data.progress(data.run_dir(run_id))
        return JSONResponse(
            {"last_seq": progress.last_seq, "status": progress.status, "ended": progress.ended},
            headers={"Cache-Control": "no-store"},
        )

    @app.get("/compare", response_class=HTMLResponse)
    def compare_page(run: list[str] = Query(default=[])) -> HTMLResponse:
        if len(run) < 2:
            return page("error.html", status_code=400, message="choose two runs or more to compare")
        dirs = [data.run_dir(r) for r in run]
        return _compare_page(dirs, f"Comparison of {len(dirs)} runs", None)

    @app.get("/sweeps/{sweep_id}", response_class=HTMLResponse)
    def sweep_page(sweep_id: str) -> HTMLResponse:
        from ascent.analysis.reports import sweep_run_dirs

        dirs = sweep_run_dirs(paths.runs, sweep_id, data.store)
        return _compare_page(dirs, f"Sweep {sweep_id}", sweep_id)

    def _compare_page(dirs: list[Path], title: str, sweep_id: str | None) -> HTMLResponse:
        from ascent.analysis.compare import compare
        from ascent.analysis.render_compare import compare_plots, medal_plot, rate_text

        reports = [data.rendered(d).report for d in dirs]
        result = compare(reports, title, sweep_id)
        return page(
            "compare.html",
            c=result,
            trajectories=compare_plots(result, reports),
            medals=medal_plot(result),
            rate=rate_text,
            run_link=lambda run_id: f"/runs/{quote(run_id)}",
        )

    @app.get("/static/{name}")
    def static(name: str) -> Response:
        if name not in STATIC_FILES:
            return PlainTextResponse("not found", status_code=404)
        path, media = STATIC_FILES[name]
        return Response(
            path.read_bytes(), media_type=media, headers={"Cache-Control": "max-age=60"}
        )

    @app.get("/healthz")
    def health() -> dict:
        return {"ok": True, "runs": str(paths.runs)}

    return app


def _diff(run_dir: Path, a: str | None, b: str | None):
    if not a or not b:
        return None
    lines = parse_diff(SnapshotRepo(run_dir / "snapshots.git").diff(a, b))
    return {"lines": lines, "stats": stats(lines)}
