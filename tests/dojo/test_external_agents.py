"""Adapters for external agent CLIs, exercised with a stand-in executable of the same name,
and the `llm-only` network policy enforced by the allowlisting proxy."""

from __future__ import annotations

import json
import shutil
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest

from ascent.agents.registry import AgentRegistry
from ascent.errors import AgentError
from ascent.harness.lifecycle import create_run, execute_run
from ascent.harness.runstate import RunOptions
from ascent.record.recorder import read_events
from ascent.store import Store
from tests.conftest import FIXTURES
from tests.dojo.conftest import BACKENDS, require_backend

ADAPTERS = {
    "claude-code": "claude",
    "codex": "codex",
    "gemini-cli": "gemini",
    "openhands": "openhands",
    "aider": "aider",
    "opencode": "opencode",
}


class FakeLlm:
    """An OpenAI-style endpoint on 127.0.0.1 that counts its requests."""

    def __init__(self) -> None:
        outer = self
        self.requests = 0

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                outer.requests += 1
                self.rfile.read(int(self.headers.get("Content-Length", 0)))
                body = b'{"answer": "fake-llm-says-hello"}'
                self.send_response(200)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args) -> None:
                pass

        self.server = HTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def llm():
    server = FakeLlm()
    yield server
    server.close()


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("adapter", sorted(ADAPTERS))
def test_adapter_runs_its_cli_with_the_promised_flags(
    adapter, backend, home, tmp_path, llm, monkeypatch
):
    require_backend(backend)
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    shutil.copy(FIXTURES / "fake_cli" / "fake_cli.py", bin_dir / ADAPTERS[adapter])
    monkeypatch.setenv("PATH", f"{bin_dir}:{__import__('os').environ['PATH']}")
    for var in (
        "ANTHROPIC_BASE_URL",
        "OPENAI_BASE_URL",
        "GOOGLE_GEMINI_BASE_URL",
        "LLM_BASE_URL",
        "OPENAI_API_BASE",
    ):
        monkeypatch.setenv(var, llm.url)
    for key in ("ANTHROPIC_API_KEY", "OPENAI_API_KEY", "GEMINI_API_KEY", "LLM_API_KEY"):
        monkeypatch.setenv(key, "test-key")
    monkeypatch.setenv("ASCENT_API_BASE", llm.url)  # the configured LLM endpoint: allowlisted
    monkeypatch.setenv("ASCENT_TEST_SECRET", "harness-only")
    store = Store(home.db)
    state = create_run(
        home,
        store,
        RunOptions(
            task_id="penguin-species",
            agent=adapter,
            sandbox=backend,
            budget_seconds=120,
        ),
    )
    final = execute_run(home, store, state.run_id)
    run_dir = home.runs / state.run_id
    report = json.loads((run_dir / "workspace" / "output" / "fake_cli.json").read_text())
    assert report["argv_ok"] and report["prompt_ok"], report
    assert report["keys_seen"] and not report["secret_seen"]
    assert report["llm_status"] == 200 and "fake-llm-says-hello" in report["llm_answer"]
    assert llm.requests == 1
    assert final.status == "finished" and final.final.valid
    events = read_events(run_dir / "events.jsonl")
    start = next(e for e in events if e.kind == "agent_step")
    assert start.detail["network"] == "llm-only"
    if backend == "bwrap":
        # Only the allowlisted endpoint gets through; the other request is refused and logged.
        assert report["forbidden_status"] == 403
        refusals = [e for e in events if e.kind == "refusal"]
        assert any("127.0.0.1:9 is not allowlisted" in e.reason for e in refusals)
    store.close()


def test_missing_cli_is_a_clear_error(home, tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", "/usr/bin:/bin")
    store = Store(home.db)
    state = create_run(home, store, RunOptions(task_id="penguin-species", agent="claude-code"))
    with pytest.raises(AgentError, match="needs the program 'claude'"):
        execute_run(home, store, state.run_id)
    store.close()


def test_every_adapter_is_listed_and_valid():
    agents = {a.name: a for a in AgentRegistry().all()}
    for name in ADAPTERS:
        spec = agents[name].spec
        assert spec is not None and spec.network == "llm-only" and spec.prompt == "default"
        assert (agents[name].root / "start.sh").is_file()
