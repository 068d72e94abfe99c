"""Whole runs: `ascent run` to a medal report, and kill -9 followed by `ascent resume`."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from ascent.harness.grading.ledger import Ledger
from ascent.harness.runstate import load_state
from ascent.record.recorder import read_events
from ascent.store import Store
from tests.conftest import FIXTURES

AGENTS = FIXTURES / "agents"


def _run_dir(home) -> Path:
    [run_dir] = [p for p in home.runs.iterdir() if p.is_dir()]
    return run_dir


def _check_log_integrity(run_dir: Path, store_path: Path) -> list:
    events = read_events(run_dir / "events.jsonl")
    seqs = [e.seq for e in events]
    assert seqs == list(range(1, len(events) + 1)), "events lost, duplicated or reordered"
    with Store(store_path) as store:
        indexed = store.events(run_dir.name)
    assert [e.seq for e in indexed] == seqs, "SQLite index differs from events.jsonl"
    return events


def test_example_agent_end_to_end_with_a_medal(cli, home):
    result = cli("run", "--task", "penguin-species", "--agent", "example", "--budget", "3m")
    assert result.exit_code == 0, result.stderr
    assert "medal" in result.stdout
    run_dir = _run_dir(home)
    state = load_state(run_dir)
    assert state.status == "finished" and state.end_reason == "agent_exit"
    assert state.final is not None and state.final.valid and state.final.any_medal
    report = json.loads((run_dir / "report.json").read_text())
    assert report["final"]["split"] == "private" and report["submissions_valid"] == 2
    assert "private split score" in (run_dir / "report.md").read_text()
    events = _check_log_integrity(run_dir, home.db)
    kinds = [e.kind for e in events]
    assert kinds[0] == "run_start" and kinds[-1] == "run_end"
    assert kinds.count("submission") == 2 and "final_grade" in kinds
    assert "code_snapshot" in kinds  # the agent's code is snapshotted at each submission
    listed = json.loads(cli("runs", "list", "--json").stdout)
    assert listed[0]["run_id"] == run_dir.name and listed[0]["medal"] == state.final.medal
    shown = cli("runs", "show", run_dir.name)
    assert "private split score" in shown.stdout
    assert "token" not in cli("runs", "show", run_dir.name, "--json").stdout


def test_agents_list(cli, home):
    rows = json.loads(cli("agents", "list", "--json").stdout)
    assert "example" in {r["name"] for r in rows}
    with_extra = json.loads(cli("agents", "list", "--agent-dir", AGENTS, "--json").stdout)
    assert "sleepy" in {r["name"] for r in with_extra}


def test_bad_run_options_are_one_line_errors(cli, home):
    assert (
        "no agent named 'nobody'"
        in cli("run", "--task", "penguin-species", "--agent", "nobody").stderr
    )
    bad = cli("run", "--task", "penguin-species", "--budget", "soon")
    assert bad.exit_code == 2 and "cannot read the duration 'soon'" in bad.stderr
    assert cli("run", "--task", "penguin-species", "--sandbox", "docker").exit_code == 2


def _wait_for(predicate, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


@pytest.mark.parametrize("sandbox", ["auto", "process"])
def test_kill_9_then_resume_loses_and_duplicates_nothing(home, sandbox):
    env = {**os.environ, "ASCENT_HOME": str(home.home), "SLEEPY_SECONDS": "120"}
    harness = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "ascent",
            "run",
            "--task",
            "penguin-species",
            "--agent",
            "sleepy",
            "--agent-dir",
            str(AGENTS),
            "--budget",
            "90s",
            "--sandbox",
            sandbox,
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        _wait_for(lambda: home.runs.exists() and any(home.runs.iterdir()), 60, "the run folder")
        run_dir = _run_dir(home)
        events_path = run_dir / "events.jsonl"
        _wait_for(
            lambda: events_path.exists() and b'"kind":"submission"' in events_path.read_bytes(),
            90,
            "the first submission",
        )
        time.sleep(0.5)
    finally:
        harness.send_signal(signal.SIGKILL)
        harness.wait(10)
    before = events_path.read_bytes()
    assert load_state(run_dir).status == "running"

    resumed = subprocess.run(
        [sys.executable, "-m", "ascent", "resume", run_dir.name, "--json"],
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert resumed.returncode == 0, resumed.stderr
    state = json.loads(resumed.stdout)
    assert state["status"] == "finished" and len(state["segments"]) == 2
    after = events_path.read_bytes()
    complete_before = before[: before.rfind(b"\n") + 1]
    assert after.startswith(complete_before), "events written before the kill changed"
    events = _check_log_integrity(run_dir, home.db)
    starts = [e for e in events if e.kind == "run_start"]
    assert [s.resumed for s in starts] == [False, True]
    entries = Ledger(run_dir).entries()
    assert [e.submission_id for e in entries] == ["s0001", "s0002"]
    assert all(e.status == "ok" and e.charged for e in entries)
    submitted = [e.submission_id for e in events if e.kind == "submission"]
    assert submitted == ["s0001", "s0002"]
    with Store(home.db) as store:
        assert [s.submission_id for s in store.submissions(run_dir.name)] == ["s0001", "s0002"]
    report = json.loads((run_dir / "report.json").read_text())
    assert report["segments"] == 2 and report["submissions_charged"] == 2
    assert report["used_seconds"] < 90


def test_lost_index_is_rebuilt_from_run_folders(cli, home):
    assert (
        cli("run", "--task", "penguin-species", "--agent", "example", "--budget", "3m").exit_code
        == 0
    )
    run_dir = _run_dir(home)
    before = json.loads(cli("runs", "list", "--json").stdout)
    home.db.rename(home.db.with_suffix(".lost"))
    for suffix in ("-wal", "-shm"):
        Path(str(home.db) + suffix).unlink(missing_ok=True)
    result = cli("runs", "reindex")
    assert result.exit_code == 0 and "indexed 1 runs, 2 submissions" in result.stdout
    after = json.loads(cli("runs", "list", "--json").stdout)
    assert [r["run_id"] for r in after] == [r["run_id"] for r in before]
    assert (
        after[0]["final_score"] == before[0]["final_score"]
        and after[0]["medal"] == before[0]["medal"]
    )
    _check_log_integrity(run_dir, home.db)
