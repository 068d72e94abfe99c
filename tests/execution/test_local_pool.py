"""The local executor: a pool of child processes; a child killed mid-run is retried by resuming
its run; the sweep process killed with -9 is resumed with `ascent sweep resume`."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys

from ascent.execution.state import SweepFolder
from ascent.store import Store
from tests.execution.conftest import (
    ascent,
    check_run,
    cli_env,
    only_sweep,
    submitted,
    sweep_flags,
    wait_for,
)


def test_local_pool_runs_cells_in_parallel_and_reports(cli, home, monkeypatch):
    """Two cells at once; on one task the agent fails: a result (score 0), never retried."""
    monkeypatch.setenv("SWEEPER_SLEEP", "0")
    monkeypatch.setenv("SWEEPER_FAIL_TASK", "tumor-diagnosis")
    flags = sweep_flags(0, tasks="penguin-species,tumor-diagnosis")
    result = cli(*flags, "--name", "pool", "--workers", "2")
    assert result.exit_code == 0, result.stderr
    assert "| sweeper | 2 |" in result.stdout and "norm. score (private)" in result.stdout
    sweep = only_sweep(home)
    assert sweep.status == "finished" and sweep.executor == "local"
    assert [c.status for c in sweep.cells] == ["done", "done"]
    assert all(c.retries == 0 and len(c.attempts) == 1 for c in sweep.cells)
    first, second = (c.attempts[0] for c in sweep.cells)
    assert first.started_at <= second.ended_at and second.started_at <= first.ended_at
    for cell in sweep.cells:
        check_run(home, cell.run_id, segments=1)
    with Store(home.db) as store:
        [record] = store.list_sweeps()
        runs = store.list_runs(sweep_id=sweep.sweep_id)
    assert record.done == 2 and record.status == "finished"
    assert sorted(r.run_id for r in runs) == sorted(c.run_id for c in sweep.cells)
    listed = json.loads(cli("sweep", "list", "--json").stdout)
    assert listed[0]["sweep_id"] == sweep.sweep_id
    by_task = json.loads(
        cli("sweep", "results", sweep.sweep_id, "--by", "task", "--format", "json").stdout
    )
    groups = {g["group"]["task"]: g for g in by_task["groups"]}
    assert groups["penguin-species"]["normalised_score"]["mean"] > 0.2
    assert groups["tumor-diagnosis"]["normalised_score"]["mean"] == 0  # no valid final
    assert groups["tumor-diagnosis"]["n"] == 1 and groups["tumor-diagnosis"]["retries"] == 0
    assert groups["penguin-species"]["normalised_score"]["split"] == "private"
    csv_text = cli("sweep", "results", sweep.sweep_id, "--by", "agent,seed", "-f", "csv").stdout
    assert csv_text.startswith("agent,seed,n,not_ended,retries,normalised_score_mean[private]")
    # Everything is done: resuming runs nothing again.
    again = cli("sweep", "resume", sweep.sweep_id)
    assert again.exit_code == 0 and "2/2 cells ended" in again.stderr
    assert all(len(c.attempts) == 1 for c in only_sweep(home).cells)


def test_child_killed_mid_run_is_retried_without_duplicates(home):
    head = subprocess.Popen(
        [sys.executable, "-m", "ascent", *sweep_flags(0)],
        env=cli_env(home, SWEEPER_SLEEP="15"),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        cell = wait_for(
            lambda: (s := _sweep_or_none(home)) and s.cells[0].attempts and s.cells[0],
            90,
            "the cell to start",
        )
        wait_for(lambda: submitted(home, cell.run_id), 90, "the first submission")
        pid = cell.attempts[0].pid
        assert pid is not None
        os.kill(pid, signal.SIGKILL)
        assert head.wait(180) == 0
    finally:
        if head.poll() is None:
            head.kill()
            head.wait(10)
    [cell] = only_sweep(home).cells
    assert cell.status == "done" and cell.retries == 1
    assert [a.outcome for a in cell.attempts] == ["infra", "ended"]
    assert "SIGKILL" in (cell.attempts[0].error or "")
    events = check_run(home, cell.run_id, segments=2)
    assert [e.submission_id for e in events if e.kind == "submission"] == ["s0001", "s0002"]


def test_sweep_process_killed_then_resumed(home):
    head = subprocess.Popen(
        [sys.executable, "-m", "ascent", *sweep_flags(0, 1), "--workers", "2"],
        env=cli_env(home, SWEEPER_SLEEP="60"),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        sweep = wait_for(
            lambda: (
                (s := _sweep_or_none(home))
                and all(submitted(home, c.run_id) for c in s.cells)
                and s
            ),
            120,
            "both cells' first submission",
        )
    finally:
        head.send_signal(signal.SIGKILL)
        head.wait(10)
    run_ids = [c.run_id for c in sweep.cells]
    # Its cells die with it (SIGTERM from the kernel) and interrupt their runs cleanly.
    folder = SweepFolder(home, sweep.sweep_id)
    wait_for(lambda: not folder.is_locked(), 30, "the sweep lock to be released")
    resumed = ascent(home, "sweep", "resume", sweep.sweep_id, timeout=240, SWEEPER_SLEEP="60")
    assert resumed.returncode == 0, resumed.stderr
    assert "| sweeper | 2 |" in resumed.stdout
    after = only_sweep(home)
    assert after.status == "finished" and [c.run_id for c in after.cells] == run_ids
    for cell in after.cells:
        assert [a.outcome for a in cell.attempts] == ["lost", "ended"] and cell.retries == 0
        events = check_run(home, cell.run_id, segments=2)
        assert [e.submission_id for e in events if e.kind == "submission"] == ["s0001", "s0002"]
    with Store(home.db) as store:
        assert len(store.list_runs(sweep_id=after.sweep_id)) == 2


def _sweep_or_none(home):
    try:
        return only_sweep(home)
    except (ValueError, OSError):
        return None
