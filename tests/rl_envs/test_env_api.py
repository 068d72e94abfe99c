"""The environment API on a real grading server over HTTP on 127.0.0.1: auth, training seeds
only, the episode budget, malformed requests, and every episode recorded in the run."""

from __future__ import annotations

import json
from dataclasses import dataclass

import httpx
import pytest

from ascent.config import Paths
from ascent.harness.budget import Budget
from ascent.harness.grading.client import GradingClient
from ascent.harness.grading.env_routes import EnvSessions
from ascent.harness.grading.server import ServerThread, create_app
from ascent.harness.grading.service import GradingService, Refused, ServiceConfig
from ascent.record import events as ev
from ascent.record.recorder import Recorder
from ascent.tasks.ft.models import TINY
from ascent.tasks.grading import Grader
from ascent.tasks.prepare import prepare_task
from ascent.tasks.registry import Registry
from ascent.tasks.rl.envs import open_environment

TOKEN = "env-token-42"


@pytest.fixture(scope="session")
def shop_task(tmp_path_factory):
    home = Paths(tmp_path_factory.mktemp("rl-env-home")).ensure()
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("ASCENT_HOME", str(home.home))
        task = Registry(plugins=False).get("shopping").with_base_model(TINY)
        yield home, prepare_task(task, home)


@dataclass
class Served:
    client: GradingClient
    url: str
    service: GradingService
    recorder: Recorder
    run_dir: object
    sessions: object

    def post(self, route: str, body: dict) -> httpx.Response:
        return self.client.request("POST", route, json=body)

    def kinds(self, kind: str) -> list:
        return [e for e in self.recorder.events() if e.kind == kind]


@pytest.fixture
def served(shop_task, tmp_path, monkeypatch):
    home, prepared = shop_task
    monkeypatch.setenv("ASCENT_HOME", str(home.home))
    run_dir = tmp_path / "run"
    workspace = run_dir / "workspace"
    workspace.mkdir(parents=True)
    recorder = Recorder(run_dir, "r1")
    config = ServiceConfig(
        run_id="r1", run_dir=run_dir, workspace=workspace, inside_root=str(workspace)
    )
    service = GradingService(config, prepared.task, Grader(prepared), Budget(600, 3), recorder)
    app = create_app(service, TOKEN, rate=500, burst=500)
    server = ServerThread(app).start()
    yield Served(
        GradingClient(server.url, TOKEN),
        server.url,
        service,
        recorder,
        run_dir,
        app.state.env_sessions,
    )
    server.stop()
    recorder.close()


def test_routes_need_the_token(served):
    assert httpx.post(f"{served.url}/env/reset", json={}).status_code == 401
    wrong = httpx.post(f"{served.url}/env/reset", json={}, headers={"Authorization": "Bearer x"})
    assert wrong.status_code == 403
    assert httpx.get(f"{served.url}/env/info").status_code == 401
    assert not (served.run_dir / "trajectories.jsonl").exists()


def test_an_expert_episode_is_played_and_recorded(served, shop_task):
    _, prepared = shop_task
    info = served.client.request("GET", "/env/info").json()
    assert info["env"] == "shopping" and info["remaining_episodes"] == 3000
    seed = info["train_seeds"][3]
    started = served.post("/env/reset", {"seed": seed}).json()
    assert (
        started["seed"] == seed
        and started["observation"]["goal"] in started["observation"]["prompt"]
    )
    episode = open_environment(prepared.private).episode()
    episode.reset(seed)
    for action in episode.expert():
        answer = served.post("/env/step", {"episode_id": started["episode_id"], "action": action})
        assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["done"] and body["success"] and body["reward"] == 1.0
    again = served.post("/env/step", {"episode_id": started["episode_id"], "action": "buy"})
    assert again.status_code == 404 and "ended" in again.json()["error"]
    [line] = (served.run_dir / "trajectories.jsonl").read_text().splitlines()
    record = json.loads(line)
    assert record["episode_id"] == started["episode_id"] and record["seed"] == seed
    assert record["success"] and [s["action"] for s in record["steps"]] == episode.expert()
    assert record["steps"][0]["prompt"] == started["observation"]["prompt"]
    [event] = served.kinds("env_episode")
    assert event.success and event.steps == len(episode.expert()) and event.seed == seed


def test_held_out_and_unknown_seeds_are_refused(served, shop_task):
    _, prepared = shop_task
    held_out = open_environment(prepared.private).config.test_seeds[0]
    refused = served.post("/env/reset", {"seed": held_out})
    assert refused.status_code == 403 and "not a training seed" in refused.json()["error"]
    assert served.post("/env/reset", {"seed": -1}).status_code == 403
    assert served.post("/env/reset", {"seed": "many"}).status_code == 422
    assert served.post("/env/step", {"episode_id": "e99999", "action": "buy"}).status_code == 404
    assert served.post("/env/step", {"episode_id": "e1"}).status_code == 422
    refusals = served.kinds("refusal")
    assert any(r.status_code == 403 and "training seed" in r.reason for r in refusals)
    assert served.client.request("GET", "/env/info").json()["episodes_started"] == 0


def test_malformed_actions_are_answered_and_the_episode_goes_on(served):
    episode_id = served.post("/env/reset", {}).json()["episode_id"]
    body = served.post("/env/step", {"episode_id": episode_id, "action": "   "}).json()
    assert (
        body["error"] and body["observation"]["text"].startswith("Malformed") and not body["done"]
    )
    body = served.post(
        "/env/step", {"episode_id": episode_id, "action": "search[wool scarf]"}
    ).json()
    assert body["error"] is None and "Results" in body["observation"]["text"]


def test_the_episode_budget_is_enforced_and_open_episodes_recorded_at_the_end(served):
    sessions = served.sessions
    sessions.env.config = sessions.env.config.model_copy(update={"episode_budget": 2})
    first = served.post("/env/reset", {}).json()
    second = served.post("/env/reset", {}).json()
    assert first["seed"] != second["seed"] and second["remaining_episodes"] == 0
    over = served.post("/env/reset", {})
    assert over.status_code == 429 and "budget of 2 episodes" in over.json()["error"]
    served.post("/env/step", {"episode_id": first["episode_id"], "action": "search[mug]"})
    served.recorder.emit(ev.RunEnd(reason="test", status="finished", elapsed=1.0))
    lines = [
        json.loads(x) for x in (served.run_dir / "trajectories.jsonl").read_text().splitlines()
    ]
    assert sorted(x["episode_id"] for x in lines) == sorted(
        [first["episode_id"], second["episode_id"]]
    )
    assert {x["done_reason"] for x in lines} == {"abandoned"}
    assert {len(x["steps"]) for x in lines} == {0, 1}
    assert served.post("/env/reset", {}).status_code == 403  # the run is over


def test_episodes_left_open_by_a_crash_count_against_the_budget_after_a_resume(served):
    """The harness dies with episodes open (no run end): the next segment still counts them,
    records them as abandoned, and a crash-and-resume loop cannot exceed the budget."""
    config = served.sessions.env.config.model_copy(update={"episode_budget": 3})
    served.sessions.env.config = config
    first = served.post("/env/reset", {}).json()
    second = served.post("/env/reset", {}).json()
    assert not (served.run_dir / "trajectories.jsonl").exists()  # nothing recorded yet

    def resume() -> EnvSessions:
        env = open_environment(served.service.grader.prepared.private)
        env.config = config
        return EnvSessions(env, served.run_dir, served.recorder, lambda: False)

    resumed = resume()
    assert resumed.started == 2 and resumed.info()["remaining_episodes"] == 1
    lines = [
        json.loads(x) for x in (served.run_dir / "trajectories.jsonl").read_text().splitlines()
    ]
    assert [x["episode_id"] for x in lines] == [first["episode_id"], second["episode_id"]]
    assert [x["seed"] for x in lines] == [first["seed"], second["seed"]]
    assert {x["done_reason"] for x in lines} == {"abandoned"}
    assert len(served.kinds("env_episode")) == 2
    assert resumed.reset(None)["episode_id"] == "e00003"
    with pytest.raises(Refused) as over:
        resumed.reset(None)
    assert over.value.status_code == 429
    again = resume()  # a second crash, with the third episode open
    assert again.started == 3 and again.info()["remaining_episodes"] == 0
    with pytest.raises(Refused):
        again.reset(None)
    recorded = (served.run_dir / "trajectories.jsonl").read_text().splitlines()
    assert [json.loads(x)["episode_id"] for x in recorded] == ["e00001", "e00002", "e00003"]


def test_a_model_that_cannot_play_is_an_invalid_submission(shop_task, tmp_path, monkeypatch):
    import shutil

    from ascent.tasks.ft.models import ensure_base_model
    from tests.rl.conftest import unable_to_generate

    home, prepared = shop_task
    monkeypatch.setenv("ASCENT_HOME", str(home.home))
    model = unable_to_generate(shutil.copytree(ensure_base_model(TINY, home), tmp_path / "m"))
    result = Grader(prepared).grade(model, "public")
    assert result.status == "invalid" and "failed while playing" in result.error, result.error
