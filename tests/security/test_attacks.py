"""The security and fault suite: adversarial agents and faults, each with its safe outcome.

Every case is a real run of an adversarial agent through the dojo, under each sandbox backend
that works here. Cases the `process` backend cannot defend are skipped there with the reason.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import socket
import threading
import time
from pathlib import Path

import psutil
import pytest

from ascent.harness.grading.ledger import Ledger
from ascent.harness.lifecycle import create_run, execute_run
from ascent.harness.runstate import RunOptions, RunState
from ascent.harness.sandbox import Limits
from ascent.record.recorder import read_events
from ascent.store import Store
from ascent.tasks.prepare import prepare_task
from ascent.tasks.registry import Registry
from tests.dojo.conftest import BACKENDS, require_backend, require_cgroups, require_isolation

HERE = Path(__file__).parent
TASK = "penguin-species"
ISOLATION = {
    "read_absolute",
    "read_dotdot",
    "read_symlink",
    "proc_harness",
    "network_tcp",
    "network_dns",
    "pip_install",
    "write_outside",
}


class HostListener:
    """A TCP listener on the host's 127.0.0.1 that records whether anything connected."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(5)
        self.sock.settimeout(0.5)
        self.port = self.sock.getsockname()[1]
        self.connections = 0
        self._stop = False
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    def _accept(self) -> None:
        for _ in range(240):  # bounded: at most ~2 minutes
            if self._stop:
                return
            try:
                conn, _ = self.sock.accept()
                self.connections += 1
                conn.close()
            except TimeoutError:
                continue

    def close(self) -> None:
        self._stop = True
        self._thread.join(2)
        self.sock.close()


class Attack:
    def __init__(self, tmp_path: Path, home, backend: str, monkeypatch) -> None:
        self.tmp_path, self.home, self.backend = tmp_path, home, backend
        self.secret = f"harness-secret-{os.getpid()}-{time.time_ns()}"
        monkeypatch.setenv("ASCENT_TEST_SECRET", self.secret)
        monkeypatch.setenv("OPENAI_API_KEY", self.secret)
        self.store = Store(home.db)
        task = Registry().get(TASK)
        self.prepared = prepare_task(task, home, self.store)
        self.grader_path = task.root / "grade.py"
        self.grader_sha = hashlib.sha256(self.grader_path.read_bytes()).hexdigest()
        self.listener = HostListener()
        self.marker = f"ascent-daemon-{time.time_ns()}"

    def run(self, case: str, **options) -> tuple[RunState, dict]:
        agents = self.tmp_path / "agents" / case
        agents.mkdir(parents=True)
        shutil.copy(HERE / "attacker" / "attack.py", agents / "attack.py")
        (agents / "agent.yaml").write_text(
            (HERE / "attacker" / "agent.yaml.in")
            .read_text()
            .replace("{name}", case.replace("_", "-"))
            .replace("{case}", case)
        )
        other = create_run(self.home, self.store, RunOptions(task_id=TASK, agent="example"))
        run_options = RunOptions(
            task_id=TASK,
            agent=f"attacker-{case.replace('_', '-')}",
            sandbox=self.backend,
            agent_dirs=[str(agents)],
            budget_seconds=options.pop("budget", 30.0),
            **options,
        )
        state = create_run(self.home, self.store, run_options)
        self.run_dir = self.home.runs / state.run_id
        (agents / "targets.json").write_text(
            json.dumps(
                {
                    "answers": str(self.prepared.private / "answers.csv"),
                    "host_workspace": str(self.run_dir / "workspace"),
                    "harness_pid": os.getpid(),
                    "harness_cwd": os.getcwd(),
                    "host_port": self.listener.port,
                    "other_token": other.token,
                    "secret": self.secret,
                    "grader": str(self.grader_path),
                    "marker": self.marker,
                }
            )
        )
        final = execute_run(self.home, self.store, state.run_id)
        result_file = self.run_dir / "workspace" / "output" / "attack.json"
        found = json.loads(result_file.read_text()) if result_file.exists() else {}
        assert not found or found["case"] == case
        return final, found

    def events(self, kind: str) -> list:
        return [e for e in read_events(self.run_dir / "events.jsonl") if e.kind == kind]

    def close(self) -> None:
        self.listener.close()
        self.store.close()


@pytest.fixture(params=BACKENDS)
def attack(request, tmp_path, home, monkeypatch):
    require_backend(request.param)
    made = Attack(tmp_path, home, request.param, monkeypatch)
    yield made
    made.close()


def _survivors(marker: str) -> int:
    count = 0
    for p in psutil.process_iter(["cmdline"]):
        try:
            count += marker in " ".join(p.info["cmdline"] or [])
        except psutil.Error:
            continue
    return count


@pytest.mark.parametrize("case", sorted(ISOLATION))
def test_isolation_attacks_leak_nothing(attack, case):
    require_isolation(attack.backend)
    state, found = attack.run(case)
    assert found.get("ran"), f"the attacker of {case} did not complete: {found}"
    assert found["leaked"] is False, found
    assert state.status == "finished" and state.isolated
    assert attack.listener.connections == 0
    assert hashlib.sha256(attack.grader_path.read_bytes()).hexdigest() == attack.grader_sha
    if case == "read_symlink":
        assert found["submit_status"] == 400
        assert any("symbolic link" in e.reason for e in attack.events("refusal"))


def test_environment_holds_no_secret(attack):
    _state, found = attack.run("environment")
    assert found["ran"]
    assert found["leaked"] is False, found["env_keys"]
    assert "OPENAI_API_KEY" not in found["env_keys"]
    assert {"ASCENT_TOKEN", "GRADING_SERVER_URL", "WORKSPACE", "ASCENT_DEADLINE"} <= set(
        found["env_keys"]
    )


def test_submitting_private_paths_is_refused_and_uncharged(attack):
    _state, found = attack.run("submit_private_paths")
    assert found["statuses"] == [400, 400, 400]
    assert Ledger(attack.run_dir).entries() == []
    assert len(attack.events("refusal")) >= 3


def test_forged_and_foreign_tokens_and_unknown_routes(attack):
    _state, found = attack.run("tokens")
    assert found["statuses"] == [403, 403, 401, 404, 404]
    reasons = [e.reason for e in attack.events("refusal")]
    assert reasons.count("invalid token") == 2 and "missing bearer token" in reasons


def test_oversized_upload_is_refused_and_the_api_stays_up(attack):
    _state, found = attack.run("oversized_upload")
    assert found["statuses"] == [413, 200]
    assert Ledger(attack.run_dir).entries() == []


def test_twenty_concurrent_submits_against_a_budget_of_five(attack):
    _state, found = attack.run("concurrent_submits", max_submissions=5)
    assert found["statuses"] == [200] * 5 + [429] * 15
    entries = Ledger(attack.run_dir).entries()
    assert [e.seq for e in entries] == [1, 2, 3, 4, 5] and len({e.sha256 for e in entries}) == 5
    assert len(attack.events("submission")) == 5


def test_editing_after_submitting_changes_nothing(attack):
    _state, found = attack.run("edit_after_submit")
    [entry] = Ledger(attack.run_dir).entries()
    assert entry.sha256 == found["original_sha256"] and entry.status == "ok"


def test_fork_bomb_is_contained(attack):
    require_cgroups()
    state, found = attack.run("fork_bomb", limits=Limits(max_processes=64))
    assert state.status == "finished"
    assert 0 < found["children"] < 64
    time.sleep(0.3)
    assert _survivors("attack.py fork_bomb") == 0


def test_memory_bomb_ends_the_run_with_the_reason(attack):
    require_cgroups()
    state, _ = attack.run("memory_bomb", limits=Limits(memory_mb=300))
    assert state.status == "finished" and state.end_reason == "out_of_memory"
    assert any(e.error_kind == "out_of_memory" for e in attack.events("error"))


def test_filling_the_disk_ends_the_run_with_the_reason(attack):
    state, _ = attack.run("disk_fill", limits=Limits(max_file_mb=8, disk_mb=40))
    assert state.status == "finished" and state.end_reason == "disk_limit"
    assert (attack.run_dir / "workspace" / "output" / "fill.bin").stat().st_size <= 8 * 2**20


def test_busy_loop_is_killed_at_the_deadline(attack):
    state, _ = attack.run("busy_past_deadline", budget=4.0)
    assert state.end_reason == "deadline"
    [end] = attack.events("run_end")
    assert end.elapsed - 4.0 < 5.0
    assert _survivors("attack.py busy_past_deadline") == 0


def test_background_daemons_do_not_survive_the_run(attack):
    if attack.backend == "process":
        require_cgroups()
    _state, _ = attack.run("daemon")
    time.sleep(0.5)
    assert _survivors(attack.marker) == 0
