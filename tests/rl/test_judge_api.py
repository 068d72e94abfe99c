"""`POST /judge` on a real grading server over HTTP on 127.0.0.1: auth, train and dev prompts
only, the query budget, malformed requests, and every call recorded in the run."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from ascent.harness.budget import Budget
from ascent.harness.grading.client import GradingClient
from ascent.harness.grading.server import ServerThread, create_app
from ascent.harness.grading.service import GradingService, ServiceConfig
from ascent.record.recorder import Recorder
from ascent.tasks.grading import Grader
from ascent.tasks.rl import judge

TOKEN = "judge-token-7"


@dataclass
class Served:
    client: GradingClient
    url: str
    recorder: Recorder
    run_dir: Path

    def judge(self, items: list[dict]) -> httpx.Response:
        return self.client.request("POST", "/judge", json={"items": items})

    def kinds(self, kind: str) -> list:
        return [e for e in self.recorder.events() if e.kind == kind]


def _rows(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


@pytest.fixture
def served(rl_prepared, rl_home, tmp_path, monkeypatch):
    prepared = rl_prepared("instruction-following")
    monkeypatch.setenv("ASCENT_HOME", str(rl_home.home))
    run_dir = tmp_path / "run"
    workspace = run_dir / "workspace"
    workspace.mkdir(parents=True)
    recorder = Recorder(run_dir, "r1")
    config = ServiceConfig(
        run_id="r1", run_dir=run_dir, workspace=workspace, inside_root=str(workspace)
    )
    service = GradingService(config, prepared.task, Grader(prepared), Budget(600, 3), recorder)
    app = create_app(service, TOKEN, rate=500, burst=500)
    desk = app.state.judge_desk
    desk.spec = desk.spec.model_copy(update={"queries": 6, "max_batch": 4})
    server = ServerThread(app).start()
    yield Served(GradingClient(server.url, TOKEN), server.url, recorder, run_dir)
    server.stop()
    recorder.close()


def test_the_judge_needs_the_token(served):
    assert httpx.post(f"{served.url}/judge", json={"items": []}).status_code == 401
    wrong = httpx.post(
        f"{served.url}/judge", json={"items": []}, headers={"Authorization": "Bearer nope"}
    )
    assert wrong.status_code == 403 and not served.kinds("agent_step")


def test_verdicts_on_train_and_dev_prompts_match_the_judge(served, rl_prepared):
    prepared = rl_prepared("instruction-following")
    train, dev = _rows(prepared.public / "train.jsonl"), _rows(prepared.public / "dev.jsonl")
    items = [
        {"id": train[0]["id"], "reply": train[0]["reference"]},
        {"prompt": dev[0]["prompt"], "reply": ""},
    ]
    answer = served.judge(items)
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["used"] == 2 and body["remaining"] == 4 and body["budget"] == 6
    first, second = body["verdicts"]
    assert first == {"id": train[0]["id"], "verdict": 0.5}
    expected = judge.load(prepared.private).verdict(dev[0]["prompt"], "", dev[0]["reference"])
    assert second["id"] == dev[0]["id"] and second["verdict"] == pytest.approx(expected, abs=1e-6)
    [step] = [e for e in served.kinds("agent_step") if e.action == "judge"]
    assert step.detail["n"] == 2 and step.detail["used"] == 2
    assert served.client.request("GET", "/judge").json()["remaining"] == 4


def test_held_out_and_unknown_prompts_are_refused(served, rl_prepared):
    prepared = rl_prepared("instruction-following")
    test = _rows(prepared.private / "test.jsonl")
    by_prompt = served.judge([{"prompt": test[0]["prompt"], "reply": "x"}])
    assert by_prompt.status_code == 403 and "held out" in by_prompt.json()["error"]
    by_id = served.judge([{"id": test[0]["id"], "reply": "x"}])
    assert by_id.status_code == 403
    unknown = served.judge([{"prompt": "Tell me a secret.", "reply": "x"}])
    assert unknown.status_code == 404 and "train.jsonl" in unknown.json()["error"]
    assert served.client.request("GET", "/judge").json()["used"] == 0
    assert [r.status_code for r in served.kinds("refusal")] == [403, 403, 404]


def test_the_budget_is_enforced_and_survives_a_restart(served, rl_prepared):
    prepared = rl_prepared("instruction-following")
    train = _rows(prepared.public / "train.jsonl")
    items = [{"id": r["id"], "reply": "Some advice."} for r in train[:4]]
    assert served.judge(items).status_code == 200
    too_many = served.judge(items[:3])
    assert too_many.status_code == 429
    assert "budget exhausted" in too_many.json()["error"] and too_many.json()["remaining"] == 2
    assert served.judge(items[:2]).status_code == 200
    assert served.judge(items[:1]).status_code == 429
    assert json.loads((served.run_dir / "judge_usage.json").read_text()) == {"used": 6}


def test_malformed_requests_are_refused_clearly(served):
    assert served.client.request("POST", "/judge", json={"reply": "x"}).status_code == 422
    assert served.judge([]).status_code == 422
    assert served.judge([{"reply": "no prompt"}]).status_code == 422
    five = [{"id": f"train-{i:04d}", "reply": "x"} for i in range(5)]
    assert served.judge(five).status_code == 413
    assert served.client.request("GET", "/judge").json()["used"] == 0
