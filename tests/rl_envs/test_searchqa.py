"""The search QA environment: BM25 search finds an entity's own page, the expert answers every
question, open / answer / malformed actions and the step limit follow the shared rules, the
bundled task prepares identically twice, and its episodes are served by the environment API on a
real grading server (and, slow, played through the dojo by a stdlib agent)."""

from __future__ import annotations

import json
from collections import Counter

import httpx
import pytest

from ascent.config import Paths
from ascent.harness.budget import Budget
from ascent.harness.grading.client import GradingClient
from ascent.harness.grading.server import ServerThread, create_app
from ascent.harness.grading.service import GradingService, ServiceConfig
from ascent.record.recorder import Recorder
from ascent.tasks.ft.models import TINY
from ascent.tasks.grading import Grader
from ascent.tasks.prepare import prepare_task
from ascent.tasks.registry import Registry
from ascent.tasks.rl.envs import open_environment
from ascent.tasks.rl.envs.base import EnvConfig, EnvError, write_config
from ascent.tasks.rl.envs.rollout import expert_policy_rollout
from ascent.tasks.rl.envs.searchqa import (
    Index,
    SearchQaEnvironment,
    make_corpus,
    normalise,
    write_corpus,
)
from tests.rl_envs.conftest import play_through_dojo

TRAIN, TEST = list(range(100, 160)), list(range(9000, 9020))
TOKEN = "searchqa-token-7"


@pytest.fixture(scope="module")
def env(tmp_path_factory) -> SearchQaEnvironment:
    private = tmp_path_factory.mktemp("searchqa")
    write_corpus(private, make_corpus(5))
    write_config(
        private, EnvConfig(env="searchqa", max_steps=10, train_seeds=TRAIN, test_seeds=TEST)
    )
    opened = open_environment(private)
    assert isinstance(opened, SearchQaEnvironment)
    return opened


def test_search_ranks_an_entity_page_first(env):
    index = Index(env.corpus)
    assert {d.kind for d in env.corpus} == {"city", "person", "company", "product"}
    for doc in env.corpus:
        assert index.search(doc.title)[0].title == doc.title
        assert index.search(doc.title.upper() + " please")[0].title == doc.title
    for seed in TRAIN:  # the whole question works as a query too
        question = env.question(seed)
        assert index.search(question.text)[0].title == question.subject, question
    assert index.search("which company of the") == []  # stop words only


def test_the_expert_answers_every_question_in_two_steps_a_hop(env):
    hops = Counter()
    for seed in TRAIN + TEST:
        trajectory = expert_policy_rollout(env, seed)
        question = env.question(seed)
        assert trajectory.success and trajectory.reward == 1.0, (question, trajectory.steps)
        assert trajectory.n_steps == 2 * question.hops + 1 <= 7
        hops[question.hops] += 1
    assert set(hops) == {1, 2, 3}


def test_held_out_questions_are_about_entities_no_training_question_names(env):
    train = {env.question(s).subject for s in TRAIN}
    test = {env.question(s).subject for s in TEST}
    assert train.isdisjoint(test) and len(test) > 10
    assert env.question(TRAIN[0]) == env.question(TRAIN[0])  # a seed replays identically
    with pytest.raises(EnvError, match="no searchqa episode has seed 5"):
        env.episode().reset(5)


def test_open_needs_a_search_and_answer_ends_the_episode(env):
    seed = next(s for s in TRAIN if env.question(s).hops == 2)
    question = env.question(seed)
    episode = env.episode()
    start = episode.reset(seed)
    assert start.goal == question.text and question.text in start.prompt
    assert start.admissible_actions == ["search <words>", "answer <text>"]
    closed = episode.step(f"open {question.subject}")
    assert closed.observation.text.startswith("Nothing happens") and not closed.done
    found = episode.step(f"search {question.subject}")
    assert found.observation.text.splitlines()[1].startswith(f"1. {question.subject}: ")
    assert found.observation.admissible_actions[0] == f"open {question.subject}"
    page = episode.step(f"OPEN [{question.subject.lower()}]")
    document = next(d for d in env.corpus if d.title == question.subject)
    assert page.observation.text == f"{document.title}\n{document.text}"
    assert question.chain[1] in document.text  # the page names the next hop
    invalid = episode.step("jump around")
    assert invalid.observation.text.startswith("Invalid action") and invalid.error is None
    assert invalid.observation.admissible_actions == found.observation.admissible_actions
    wrong = episode.step("answer Atlantis")
    assert wrong.done and wrong.done_reason == "failure" and wrong.reward == 0.0
    assert wrong.observation.admissible_actions == []
    with pytest.raises(EnvError, match="has ended"):
        episode.step("answer again")

    right = env.episode()
    right.reset(seed)
    result = right.step(f"answer:  The {question.answer.upper()}.")
    assert result.done and result.success and result.reward == 1.0
    assert normalise("The  Ovalominia!") == normalise("ovalominia")


def test_malformed_actions_and_the_step_limit(env):
    episode = env.episode()
    episode.reset(TRAIN[0])
    bad = episode.step("")
    assert bad.error and bad.observation.text.startswith("Malformed") and not bad.done
    assert "over 160" in episode.step("search " + "x" * 200).error
    episode.step("search\nthing")
    ended = episode.step("\x07")
    assert ended.done and ended.done_reason == "malformed" and not ended.success

    episode = env.episode()
    episode.reset(TRAIN[0])
    results = [episode.step("search nothing here") for _ in range(10)]
    assert [r.done for r in results] == [False] * 9 + [True]
    assert results[-1].done_reason == "step_limit" and results[-1].reward == 0.0
    assert results[0].observation.text == "No document matches 'nothing here'."


@pytest.fixture(scope="module")
def prepared(tmp_path_factory):
    home = Paths(tmp_path_factory.mktemp("searchqa-home")).ensure()
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("ASCENT_HOME", str(home.home))
        task = Registry(plugins=False).get("search-qa").with_base_model(TINY)
        yield home, task, prepare_task(task, home)


def test_the_bundled_task_prepares_identically_and_keeps_held_out_seeds_private(prepared, tmp_path):
    _, task, first = prepared
    assert task.spec.level == 3 and task.family == "rl" and task.spec.base_model
    again = prepare_task(task, Paths(tmp_path / "other").ensure())
    assert again.checksum == first.checksum
    for name in ("corpus.jsonl", "env.json", "test.jsonl"):
        assert (again.private / name).read_bytes() == (first.private / name).read_bytes()
    facts = json.loads((first.public / "environment.json").read_text())
    config = open_environment(first.private).config
    assert facts["env"] == "searchqa" and facts["train_seeds"] == config.train_seeds
    assert "search <words>" in facts["actions"]
    demos = [
        json.loads(x) for x in (first.public / "demonstrations.jsonl").read_text().splitlines()
    ]
    assert len(demos) == 100 and all(d["success"] for d in demos)
    assert {d["seed"] for d in demos} <= set(config.train_seeds)
    assert set(config.train_seeds).isdisjoint(config.test_seeds)
    assert not list(first.public.rglob("corpus*"))


def test_the_env_api_serves_search_qa_episodes(prepared, tmp_path, monkeypatch):
    home, _, task = prepared
    monkeypatch.setenv("ASCENT_HOME", str(home.home))
    run_dir = tmp_path / "run"
    (run_dir / "workspace").mkdir(parents=True)
    recorder = Recorder(run_dir, "r1")
    config = ServiceConfig(
        run_id="r1",
        run_dir=run_dir,
        workspace=run_dir / "workspace",
        inside_root=str(run_dir / "workspace"),
    )
    service = GradingService(config, task.task, Grader(task), Budget(600, 3), recorder)
    server = ServerThread(create_app(service, TOKEN, rate=500, burst=500)).start()
    try:
        client = GradingClient(server.url, TOKEN)
        info = client.request("GET", "/env/info").json()
        assert info["env"] == "searchqa" and info["remaining_episodes"] == 3000
        seed = info["train_seeds"][7]
        started = client.request("POST", "/env/reset", json={"seed": seed}).json()
        episode = open_environment(task.private).episode()
        episode.reset(seed)
        for action in episode.expert():
            body = {"episode_id": started["episode_id"], "action": action}
            answer = client.request("POST", "/env/step", json=body)
            assert answer.status_code == 200, answer.text
        assert answer.json()["done"] and answer.json()["success"]
        held_out = open_environment(task.private).config.test_seeds[0]
        refused = client.request("POST", "/env/reset", json={"seed": held_out})
        assert refused.status_code == 403 and "not a training seed" in refused.json()["error"]
        assert httpx.get(f"{server.url}/env/info").status_code == 401
    finally:
        server.stop()
        recorder.close()
    [line] = (run_dir / "trajectories.jsonl").read_text().splitlines()
    record = json.loads(line)
    assert record["seed"] == seed and record["success"]
    assert [s["action"] for s in record["steps"]] == episode.expert()
    assert record["steps"][-1]["observation"] == "Correct."


@pytest.mark.slow  # a grading of 20 held-out episodes: minutes on a loaded 2-core box
@pytest.mark.timeout(1200)
def test_search_qa_runs_through_the_dojo(cli, tmp_path, monkeypatch):
    run = play_through_dojo(cli, tmp_path, monkeypatch, "search-qa")
    log, trajectories = run.log, run.trajectories
    assert log["episodes"][0]["success"]  # the demonstration replays to success
    assert not log["episodes"][1]["success"]  # `search <words>` ten times: the step limit
    assert log["held_out"][0] == 403
    assert [t["episode_id"] for t in trajectories] == [e["id"] for e in log["episodes"]]
    assert trajectories[1]["done_reason"] == "step_limit"
    assert len([e for e in run.events if e.kind == "env_episode"]) == 3
    assert any(e.kind == "refusal" and "training seed" in e.reason for e in run.events)
    entry = run.submission
    assert "copy_model" in entry["flags"] and entry["status"] == "ok"
    assert entry["details"]["episodes"] >= 10 and 0.0 <= entry["score"] <= 1.0
