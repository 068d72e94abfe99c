"""The local executor: a pool of child processes; a child killed mid-run is retried by resuming
its run; the sweep process killed with -9 is resumed with `ascent sweep resume`."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys

import pytest

from ascent.execution.state import SweepFolder
from ascent.store import Store
from tests.execution.conftest import (
    ascent,
    cell_process,
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


@pytest.mark.slow  # timing-sensitive: the Ctrl-C must land while a cell still sleeps
def test_sweep_process_killed_resumed_cancelled_resumed(home):
    """kill -9 of `ascent sweep`, then `ascent sweep resume`, Ctrl-C of that, then resume
    again: every run continues where it was, nothing is lost or counted twice."""
    sleeps = (
        "60,240"  # the agent waits after its submission in segments 1 and 2 (Ctrl-C lands in 2)
    )
    head = _sweep_process(home, [*sweep_flags(0, 1), "--workers", "2"], sleeps)
    try:
        sweep = _wait_submissions(home, 1)
    finally:
        head.send_signal(signal.SIGKILL)
        head.wait(10)
    run_ids = [c.run_id for c in sweep.cells]
    # Its cells stop with it (they watch it) and interrupt their runs cleanly.
    folder = SweepFolder(home, sweep.sweep_id)
    wait_for(lambda: not folder.is_locked(), 30, "the sweep lock to be released")
    for run_id in run_ids:
        wait_for(lambda r=run_id: cell_process(home.runs / r) is None, 60, "the cells to stop")

    resumed = _sweep_process(home, ["sweep", "resume", sweep.sweep_id], sleeps)
    try:
        _wait_submissions(home, 2)
        resumed.send_signal(signal.SIGINT)  # Ctrl-C
        _, err = resumed.communicate(timeout=120)
    finally:
        if resumed.poll() is None:
            resumed.kill()
            resumed.wait(10)
    assert resumed.returncode == 130, err
    assert f"ascent sweep resume {sweep.sweep_id}" in err
    cancelled = only_sweep(home)
    assert cancelled.status == "cancelled"
    for cell in cancelled.cells:
        assert cell.status == "pending" and cell.run_status == "interrupted"
        assert [a.outcome for a in cell.attempts] == ["lost", "cancelled"]
        assert cell.retries == 0 and cell_process(home.runs / cell.run_id) is None
    with Store(home.db) as store:
        assert store.get_sweep(sweep.sweep_id).status == "cancelled"
        assert {store.get_run(r).status for r in run_ids} == {"interrupted"}

    final = ascent(home, "sweep", "resume", sweep.sweep_id, timeout=240, SWEEPER_SLEEP=sleeps)
    assert final.returncode == 0, final.stderr
    assert "| sweeper | 2 |" in final.stdout
    after = only_sweep(home)
    assert after.status == "finished" and [c.run_id for c in after.cells] == run_ids
    for cell in after.cells:
        assert [a.outcome for a in cell.attempts] == ["lost", "cancelled", "ended"]
        events = check_run(home, cell.run_id, segments=3)
        submitted_ids = [e.submission_id for e in events if e.kind == "submission"]
        assert submitted_ids == ["s0001", "s0002", "s0003"]
    with Store(home.db) as store:
        assert len(store.list_runs(sweep_id=after.sweep_id)) == 2


def _sweep_process(home, args: list[str], sleeps: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "ascent", *args],
        env=cli_env(home, SWEEPER_SLEEP=sleeps),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )


def _submissions(home, run_id: str | None) -> int:
    if run_id is None:
        return 0
    path = home.runs / run_id / "events.jsonl"
    return path.read_bytes().count(b'"kind":"submission"') if path.exists() else 0


def _wait_submissions(home, count: int):
    return wait_for(
        lambda: (
            (s := _sweep_or_none(home))
            and all(_submissions(home, c.run_id) >= count for c in s.cells)
            and s
        ),
        120,
        f"{count} submission(s) in every cell",
    )


def _sweep_or_none(home):
    try:
        return only_sweep(home)
    except (ValueError, OSError):
        return None
