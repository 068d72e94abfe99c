"""A home holding the recorded runs (indexed like the CLI does), and a run that is still going."""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest

from ascent.config import Paths
from ascent.store import Store
from ascent.store.reindex import reindex_runs
from tests.analysis.conftest import ALL_RUNS, RUNS, SLEEPY, copy_run

LIVE = "penguin-species.sleepy.live"


@dataclass
class LiveRun:
    """The sleepy run as it was when killed after its first submission; `finish` plays the rest."""

    run_dir: Path

    @classmethod
    def create(cls, runs_root: Path) -> LiveRun:
        run_dir = runs_root / LIVE
        shutil.copytree(RUNS / SLEEPY, run_dir)
        lines = (RUNS / SLEEPY / "events.jsonl").read_text().splitlines(keepends=True)
        (run_dir / "events.jsonl").write_text("".join(lines[:5]))
        state = json.loads((RUNS / SLEEPY / "run.json").read_text())
        state.update(
            run_id=LIVE,
            status="running",
            end_reason=None,
            final=None,
            segments=state["segments"][:1],
        )
        (run_dir / "run.json").write_text(json.dumps(state))
        (run_dir / "submissions" / "s0002.json").unlink()
        (run_dir / "report.json").unlink()
        return cls(run_dir)

    def finish(self) -> None:
        shutil.copy(RUNS / SLEEPY / "submissions" / "s0002.json", self.run_dir / "submissions")
        lines = (RUNS / SLEEPY / "events.jsonl").read_text().splitlines(keepends=True)
        with (self.run_dir / "events.jsonl").open("a") as fh:
            fh.write("".join(lines[5:]))
        state = json.loads((RUNS / SLEEPY / "run.json").read_text())
        state["run_id"] = LIVE
        (self.run_dir / "run.json").write_text(json.dumps(state))


@pytest.fixture
def ui_home(tmp_path) -> Paths:
    paths = Paths(tmp_path / "home").ensure()
    for name in ALL_RUNS:
        copy_run(name, paths.runs)
    with Store(paths.db) as store:
        reindex_runs(store, paths.runs)
    return paths


@pytest.fixture
def live_run(ui_home) -> LiveRun:
    run = LiveRun.create(ui_home.runs)
    with Store(ui_home.db) as store:
        reindex_runs(store, ui_home.runs)
    return run
