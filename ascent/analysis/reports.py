"""Finding runs and getting their reports: a fresh report.json is reused, else the run is
analysed again (reports of older schema versions, runs still going, runs without a report)."""

from __future__ import annotations

import re
from pathlib import Path

from ascent.analysis.build import analyse_run
from ascent.analysis.schema import REPORT_VERSION, RunReport
from ascent.errors import AscentError

_RUN_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,200}$")
_INPUTS = ("events.jsonl", "run.json", "submissions", "agent.log")


def run_dir_of(runs_root: Path, run: str, allow_path: bool = True) -> Path:
    """A run id, a unique prefix of one, or (with `allow_path`) a run folder's path."""
    as_path = Path(run).expanduser()
    if allow_path and (as_path / "run.json").is_file() and ("/" in run or run in (".", "..")):
        return as_path.resolve()
    if not _RUN_ID.match(run):
        raise AscentError(f"'{run[:80]}' is not a run id", hint="see `ascent runs list`")
    exact = runs_root / run
    if (exact / "run.json").is_file():
        return exact
    matches = (
        sorted(
            p for p in runs_root.iterdir() if p.name.startswith(run) and (p / "run.json").is_file()
        )
        if runs_root.is_dir()
        else []
    )
    if len(matches) == 1:
        return matches[0]
    if matches:
        names = ", ".join(p.name for p in matches[:3])
        raise AscentError(
            f"'{run}' names {len(matches)} runs ({names}...)", hint="give more of the id"
        )
    raise AscentError(f"no run '{run}' in {runs_root}", hint="see `ascent runs list`")


def inputs_mtime(run_dir: Path) -> float:
    times = []
    for name in _INPUTS:
        try:
            times.append((run_dir / name).stat().st_mtime)
        except OSError:
            continue
    return max(times, default=0.0)


def cached_report(run_dir: Path) -> RunReport | None:
    """report.json if it is of this schema version and newer than everything it was made from."""
    path = run_dir / "report.json"
    try:
        if path.stat().st_mtime < inputs_mtime(run_dir):
            return None
        report = RunReport.model_validate_json(path.read_text())
    except (OSError, ValueError):
        return None
    return report if report.version == REPORT_VERSION else None


def get_report(run_dir: Path, registry=None, fresh: bool = False) -> RunReport:
    if not fresh and (report := cached_report(run_dir)) is not None:
        return report
    return analyse_run(run_dir, registry=registry)


def sweep_run_dirs(runs_root: Path, sweep_id: str, store=None) -> list[Path]:
    """Runs of a sweep: from the index, and from run folders the index may not know yet."""
    from ascent.harness.runstate import load_state

    found: dict[str, Path] = {}
    if store is not None:
        for record in store.list_runs(sweep_id=sweep_id):
            path = Path(record.path)
            if (path / "run.json").is_file():
                found[record.run_id] = path
    if runs_root.is_dir():
        for path in sorted(runs_root.iterdir()):
            if path.name in found or not (path / "run.json").is_file():
                continue
            try:
                if load_state(path).options.sweep_id == sweep_id:
                    found[path.name] = path
            except (AscentError, ValueError):
                continue
    if not found:
        raise AscentError(
            f"no run belongs to the sweep '{sweep_id}'", hint="see `ascent runs list`"
        )
    return [found[k] for k in sorted(found)]
