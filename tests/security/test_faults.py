"""Faults: the harness killed mid-grading, the sandbox killed mid-run, broken graders,
concurrent runs. Each ends in a defined state, never a false success."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import psutil
import pytest

from ascent.harness.grading.ledger import Ledger
from ascent.harness.lifecycle import create_run, execute_run
from ascent.harness.runstate import RunOptions, load_state
from ascent.record.recorder import read_events
from ascent.store import Store
from ascent.tasks.grading import grade
from ascent.tasks.prepare import prepare_task
from ascent.tasks.registry import Registry
from tests.conftest import FIXTURES
from tests.dojo.conftest import BACKENDS, require_backend
from tests.taskfactory import write_task

HERE = Path(__file__).parent


def _attacker(tmp_path: Path, case: str, targets: dict | None = None) -> Path:
    folder = tmp_path / "agents" / case
    folder.mkdir(parents=True)
    (folder / "attack.py").write_text((HERE / "attacker" / "attack.py").read_text())
    (folder / "agent.yaml").write_text(
        (HERE / "attacker" / "agent.yaml.in")
        .read_text()
        .replace("{name}", case.replace("_", "-"))
        .replace("{case}", case)
    )
    (folder / "targets.json").write_text(json.dumps(targets or {"secret": "x"}))
    return folder


def _wait_for(predicate, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def _pending(run_dir: Path) -> bool:
    return (
        any(e.status == "pending" for e in Ledger(run_dir).entries()) if run_dir.exists() else False
    )


@pytest.mark.parametrize("backend", BACKENDS)
def test_kill_9_during_grading_then_resume(backend, home, tmp_path):
    """Catalogue 23: the submission is recorded, scored and charged once — or absent."""
    require_backend(backend)
    agent = _attacker(tmp_path, "submit_then_wait")
    env = {**os.environ, "ASCENT_HOME": str(home.home)}
    base = [sys.executable, "-m", "ascent", "--task-dir", str(FIXTURES / "tasks" / "slow-grade")]
    harness = subprocess.Popen(
        [
            *base,
            "run",
            "--task",
            "slow-grade",
            "--agent",
            "attacker-submit-then-wait",
            "--agent-dir",
            str(agent),
            "--budget",
            "60s",
            "--sandbox",
            backend,
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        _wait_for(lambda: home.runs.exists() and any(home.runs.iterdir()), 60, "the run folder")
        [run_dir] = list(home.runs.iterdir())
        _wait_for(lambda: _pending(run_dir), 60, "a submission being graded")
    finally:
        harness.send_signal(signal.SIGKILL)
        harness.wait(10)
    with Store(home.db) as store:
        assert store.integrity_ok()  # catalogue 24: a kill mid-write leaves the index sound
    assert [e.status for e in Ledger(run_dir).entries()] == ["pending"]

    resumed = subprocess.run(
        [*base, "resume", run_dir.name, "--json"],
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert resumed.returncode == 0, resumed.stderr
    entries = Ledger(run_dir).entries()
    assert [(e.submission_id, e.status, e.charged) for e in entries] == [("s0001", "ok", True)]
    events = read_events(run_dir / "events.jsonl")
    submissions = [e for e in events if e.kind == "submission"]
    assert next((e.submission_id, e.charged) for e in submissions) == ("s0001", True)
    assert all(not e.charged for e in submissions[1:])  # the agent's resubmission: a duplicate
    assert json.loads(resumed.stdout)["status"] == "finished"


@pytest.mark.parametrize("backend", BACKENDS)
def test_sandbox_killed_mid_run_is_a_sandbox_error(backend, home, tmp_path):
    """Catalogue 22: never reported as success."""
    require_backend(backend)
    agent = _attacker(tmp_path, "busy_past_deadline")
    store = Store(home.db)
    state = create_run(
        home,
        store,
        RunOptions(
            task_id="penguin-species",
            agent="attacker-busy-past-deadline",
            sandbox=backend,
            agent_dirs=[str(agent)],
            budget_seconds=60,
        ),
    )
    me = psutil.Process()

    def sandbox_top(child: psutil.Process) -> bool:
        try:  # short-lived children (git snapshots) may be gone by now
            command = " ".join(child.cmdline()[:4])
            name = child.name()
        except psutil.Error:
            return False
        # The process backend's launcher execs the in-sandbox init at once: match either.
        return "launcher.py" in command or "init.py" in command or name in ("bwrap", "env")

    def kill_the_sandbox() -> None:
        for _ in range(1200):  # up to 2 minutes: preparing the task comes first
            launched = [c for c in me.children() if sandbox_top(c)]
            if launched:
                time.sleep(1.0)
                launched[0].kill()
                return
            time.sleep(0.1)

    killer = threading.Thread(target=kill_the_sandbox)
    killer.start()
    final = execute_run(home, store, state.run_id)
    killer.join()
    assert final.status == "sandbox_error" and final.end_reason == "sandbox_error"
    events = read_events(home.runs / state.run_id / "events.jsonl")
    assert any(e.kind == "error" and e.error_kind == "sandbox_error" for e in events)
    assert store.get_run(state.run_id).status == "sandbox_error"
    store.close()


def test_a_submission_still_grading_when_the_run_ends_is_graded_and_counts(home, tmp_path):
    """The agent submits without waiting and exits at once, while the (slow) grading goes on:
    the run waits for it, and the submission is the run's final one."""
    agent = _attacker(tmp_path, "submit_async_then_exit")
    store = Store(home.db)
    state = create_run(
        home,
        store,
        RunOptions(
            task_id="slow-grade",
            agent="attacker-submit-async-then-exit",
            agent_dirs=[str(agent)],
            task_dirs=[str(FIXTURES / "tasks" / "slow-grade")],
            budget_seconds=120,
        ),
    )
    final = execute_run(home, store, state.run_id)
    run_dir = home.runs / state.run_id
    found = json.loads((run_dir / "workspace" / "output" / "attack.json").read_text())
    assert found["async_status"] == "pending"  # the answer came before the grading ended
    assert [(e.submission_id, e.status) for e in Ledger(run_dir).entries()] == [("s0001", "ok")]
    assert final.status == "finished" and final.final is not None
    assert final.final.submission_id == "s0001" and final.final.valid
    store.close()


def test_grader_that_raises_or_lost_answers_is_a_grader_error(tmp_path, home):
    """Catalogue 25: never a score, never valid."""
    raising = write_task(
        tmp_path, "raising", grade="def grade(submission, answers):\n    raise KeyError('oops')\n"
    )
    task = Registry([raising], bundled=False, plugins=False).get("raising")
    prepared = prepare_task(task, home)
    result = grade(prepared, prepared.public / "sample_submission.csv", "public")
    assert result.status == "grader_error" and not result.valid and result.score is None
    assert "KeyError" in result.error
    fine = Registry([write_task(tmp_path / "b", "fine")], bundled=False, plugins=False).get("fine")
    prepared = prepare_task(fine, home)
    (prepared.private / "answers.csv").unlink()
    result = grade(prepared, prepared.public / "sample_submission.csv", "public")
    assert result.status == "grader_error" and result.score is None and not result.valid


def test_two_runs_of_one_task_at_once_share_nothing_writable(home, tmp_path):
    """Catalogue 16 and 26: fresh workspaces, unique ids, separate ledgers."""
    agent = _attacker(tmp_path, "submit_then_wait")
    store = Store(home.db)
    states = [
        create_run(
            home,
            store,
            RunOptions(
                task_id="penguin-species",
                agent="attacker-submit-then-wait",
                agent_dirs=[str(agent)],
                budget_seconds=60,
            ),
        )
        for _ in range(2)
    ]
    results = {}
    threads = [
        threading.Thread(
            target=lambda s=s: results.__setitem__(s.run_id, execute_run(home, store, s.run_id))
        )
        for s in states
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    ids = [s.run_id for s in states]
    assert len(set(ids)) == 2 and len({s.token for s in states}) == 2
    for run_id in ids:
        assert results[run_id].status == "finished"
        run_dir = home.runs / run_id
        assert [e.submission_id for e in Ledger(run_dir).entries()] == ["s0001"]
        outputs = sorted(p.name for p in (run_dir / "workspace" / "output").iterdir())
        assert outputs == ["attack.json", "slow.csv"]
        assert not (run_dir / "workspace" / ".git").exists()
        assert load_state(run_dir).final.valid
    store.close()
