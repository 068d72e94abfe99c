"""Each RL route renders to a TRL script that really trains a tiny random Llama (CPU, two
steps); rewards that raise are counted, never fatal; pairs and rollouts are built right."""

from __future__ import annotations

import importlib.util
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import ClassVar

import pytest

from ascent.tasks.rendering import plan_of
from ascent.tasks.rl.skills import TEMPLATE, RlPlan, RlSkills
from ascent.tasks.rl.skills.profile import profile_task
from tests.rl_skills.conftest import (
    arithmetic_rows,
    code_rows,
    judge_rows,
    make_public,
    run_route,
    write_jsonl,
)


def load_template(plan: dict | None = None):
    spec = importlib.util.spec_from_file_location("rl_train_template", TEMPLATE)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.PLAN = RlPlan(**(plan or {})).model_dump()
    return module


# -- fast: no training ---------------------------------------------------------------------------


def test_profile_reads_the_reward_from_the_data(tmp_path):
    cases = {
        "numeric": arithmetic_rows(3),
        "code": code_rows(3),
        "judge": judge_rows(3),
    }
    for kind, rows in cases.items():
        make_public(tmp_path / kind, rows, rows)
        profile = profile_task(tmp_path / kind / "public", {}, "at most **96 new tokens**")
        assert profile["reward"] == kind
        assert profile["level"] == (2 if kind == "judge" else 1)
        assert profile["demonstrations"] == 3
        assert profile["max_new_tokens"] == 96
    (tmp_path / "env" / "public").mkdir(parents=True)
    profile = profile_task(tmp_path / "env" / "public", {"level": 3}, "")
    assert (profile["reward"], profile["reward_kind"], profile["level"]) == ("env", "env", 3)


def test_rendered_script_carries_its_plan(tmp_path):
    make_public(tmp_path, arithmetic_rows(4), arithmetic_rows(2))
    skills = RlSkills()
    brief = skills.brief(tmp_path, {"task_id": "t", "family": "rl"}, "")
    plan = RlPlan(route="grpo", kl_beta=0.02, num_generations=6)
    solution = skills.solution(plan, brief)
    assert plan_of(solution.code) == plan.model_dump()
    assert skills.plan(solution) == plan
    edited = skills.apply(solution, {"scale": {"learning_rate": 0.5}, "route": "dpo"}, brief)
    assert skills.plan(edited).route == "dpo"
    assert skills.plan(edited).learning_rate == pytest.approx(plan.learning_rate / 2)
    compile(solution.code, "train.py", "exec")
    assert "GRPO" in solution.summary and "group 6" in solution.summary


def test_rewards_follow_the_task_rules():
    t = load_template()
    assert t.numeric_reward(
        ["x\nAnswer: 1,250", "Answer: 1250, not 13", "no number"], ["1250"] * 3
    ) == [
        1.0,
        1.0,
        0.0,
    ]
    row = code_rows(2)[1]
    good = f"```python\n{row['stub']}    return x + 1\n```"
    half = f"```python\n{row['stub']}    return x + 1 if x < 1 else 0\n```"
    scores = t.code_reward(
        [good, half, "while True: pass"],
        [row["stub"]] * 3,
        [row["entry_point"]] * 3,
        [row["tests"]] * 3,
    )
    assert scores[0] == 1.0 and scores[1] == pytest.approx(1 / 3) and scores[2] == 0.0


def test_code_reward_reads_humaneval_style_check_programs():
    t = load_template()
    stub = 'def add(a, b):\n    """Sum of a and b."""\n'
    tests = (
        "METADATA = {}\n\n\n"
        "def check(candidate):\n"
        "    assert candidate(1, 2) == 3\n"
        "    for a in range(3):\n"
        "        assert candidate(a, 0) == a\n"
        "    assert candidate(-1, 1) == 0\n"
    )
    right = "```python\ndef add(a, b):\n    return a + b\n```"
    wrong_sign = "```python\ndef add(a, b):\n    return a + b if a >= 0 else 5\n```"
    scores = t.code_reward([right, wrong_sign, "no code"], [stub] * 3, ["add"] * 3, [tests] * 3)
    assert scores[0] == 1.0
    assert scores[1] == pytest.approx(2 / 3)
    assert scores[2] == 0.0


def test_a_raising_reward_is_counted_not_fatal():
    t = load_template()

    def picky(prompts, completions, answer, **_):
        if any(a == "boom" for a in answer):
            raise ValueError("cannot read this answer")
        return [1.0 for _ in completions]

    reward = t.guarded(picky)
    assert reward(
        prompts=["a", "b", "c"], completions=["1", "2", "3"], answer=["1", "boom", "3"]
    ) == [
        1.0,
        0.0,
        1.0,
    ]
    assert t.REWARD_ERRORS["count"] == 1
    assert "cannot read this answer" in t.REWARD_ERRORS["last"]


def test_preference_pairs_from_verdicts():
    t = load_template({"min_margin": 0.1})
    rows = judge_rows(3)
    candidates = [["red\ngreen", "x"], ["same", "same"], ["", "blue"]]

    def verdict(items):  # a local judge: replies naming colours are better
        return [0.9 if any(c in i["reply"] for c in ("red", "blue")) else 0.45 for i in items]

    pairs = t.preference_pairs(rows, candidates, verdict)
    assert pairs[0] == {"prompt": rows[0]["prompt"], "chosen": "red\ngreen", "rejected": "x"}
    # all candidates within the margin of the reference (0.5): no pair
    assert [p["prompt"] for p in pairs] == [rows[0]["prompt"], rows[2]["prompt"]]
    assert pairs[1]["chosen"] == "blue"
    with pytest.raises(SystemExit, match="judge"):
        t.preference_pairs(rows, candidates, lambda items: None)


class CountdownEnv:
    """Reach zero from the seed by saying `down`; anything else is a wasted turn."""

    def reset(self, seed: int) -> str:
        self.left = seed % 3 + 1
        return f"{self.left} to go."

    def step(self, action: str) -> tuple[str, float, bool]:
        if action == "down":
            self.left -= 1
        done = self.left <= 0
        return f"{self.left} to go.", float(done), done


def test_demonstrations_from_rows_and_recorded_expert_episodes():
    """An environment task's demonstrations.jsonl holds whole expert episodes: each step is one
    (prompt, action) pair; rows with a worked reply count once; rows without a reply do not."""
    t = load_template()
    episode = {
        "env": "household",
        "seed": 1,
        "steps": [
            {"prompt": "Goal: g\nValid actions: go east", "action": "go east", "reward": 0.0},
            {"prompt": "Goal: g\nValid actions: take mug", "action": "take mug", "reward": 1.0},
        ],
    }
    rows = [episode, {"prompt": "2 + 2?", "solution": "4"}, {"prompt": "no reply", "answer": "1"}]
    assert t.demonstration_pairs(rows) == [
        {"prompt": "Goal: g\nValid actions: go east", "completion": "go east"},
        {"prompt": "Goal: g\nValid actions: take mug", "completion": "take mug"},
        {"prompt": "2 + 2?", "completion": "4"},
    ]


def test_online_rollouts_record_states_and_returns(monkeypatch):
    t = load_template()
    monkeypatch.setenv("ASCENT_RL_ENV", f"{__name__}:CountdownEnv")
    calls = []

    def policy(prompts):
        calls.append(prompts)
        return ["down\nsomething else"] * len(prompts)

    states, returns = t.collect_rollouts(policy, [0, 2], max_turns=5)
    assert returns == [1.0, 1.0]
    assert [len(c) for c in calls] == [2, 1, 1]  # one batched call a turn
    assert [json.loads(s["history"]) for s in states] == [[], [], ["down"], ["down", "down"]]
    assert t.env_reward(["down", "wait"], [2, 2], [json.dumps(["down", "down"])] * 2) == [1.0, 0.0]


class FlakyEnv(CountdownEnv):
    """Counts the episodes it starts; a replayed `explode` fails the way a refused request does."""

    resets = 0

    def reset(self, seed: int) -> str:
        FlakyEnv.resets += 1
        return super().reset(seed)

    def step(self, action: str) -> tuple[str, float, bool]:
        if action == "explode":
            raise RuntimeError("/env/step answered 404")
        return super().step(action)


def test_each_replayed_reward_starts_one_episode_even_when_one_fails(monkeypatch):
    """A failing replay scores 0 and is counted; the samples that worked are not replayed
    again (each replay is an episode of the run's budget)."""
    t = load_template()
    monkeypatch.setenv("ASCENT_RL_ENV", f"{__name__}:FlakyEnv")
    FlakyEnv.resets = 0
    reward = t.guarded(t.env_reward)
    histories = [json.dumps(h) for h in (["down"], ["explode"], [], ["down", "down"])]
    scores = reward(
        prompts=["p"] * 4, completions=["down"] * 4, seed=[2, 2, 0, 2], history=histories
    )
    assert scores == [0.0, 0.0, 1.0, 1.0]
    assert FlakyEnv.resets == 4
    assert t.REWARD_ERRORS["count"] == 1 and "404" in t.REWARD_ERRORS["last"]


# -- real training -------------------------------------------------------------------------------


@pytest.mark.timeout(900)
def test_grpo_trains_through_a_reward_that_raises(tmp_path, tiny_model):
    """Training answers that are not numbers make the rule reward raise on every sample: GRPO
    still runs its steps, the errors are counted, and a model is saved."""
    make_public(tmp_path, arithmetic_rows(6, answer=lambda i: "unknown"), arithmetic_rows(3))
    outcome, log = run_route(tmp_path, tiny_model, {"route": "grpo", "num_generations": 2})
    assert outcome.ok, log[-3000:]
    assert outcome.extra["reward_errors"] >= 4  # 2 steps x group of 2
    assert "ValueError" in outcome.extra["reward_error"]
    assert (tmp_path / "output" / "model" / "adapter_model.safetensors").is_file()


@pytest.mark.slow
@pytest.mark.timeout(900)  # a loaded machine takes minutes to import TRL
def test_sft_on_demonstrations(tmp_path, tiny_model):
    make_public(tmp_path, arithmetic_rows(8), arithmetic_rows(3))
    outcome, log = run_route(tmp_path, tiny_model, {"route": "sft", "method": "full"})
    assert outcome.ok, log[-3000:]
    assert outcome.extra["sft_examples"] == 4 and outcome.extra["sft_loss"] > 0
    assert (tmp_path / "output" / "model" / "model.safetensors").is_file()


@pytest.mark.slow
@pytest.mark.timeout(900)  # a loaded machine takes minutes to import TRL
def test_rejection_sampling_falls_back_to_demonstrations(tmp_path, tiny_model):
    make_public(tmp_path, arithmetic_rows(6), arithmetic_rows(3))
    outcome, log = run_route(tmp_path, tiny_model, {"route": "sft_rejection"})
    assert outcome.ok, log[-3000:]
    # a random model solves nothing: every sample is rejected, demonstrations fill in
    assert outcome.extra["sampled"] == 8 and outcome.extra["accepted"] == 0
    assert outcome.extra["sft_examples"] == 4  # a debug run imitates four


@pytest.mark.slow
@pytest.mark.timeout(900)  # a loaded machine takes minutes to import TRL
def test_grpo_with_unit_test_reward(tmp_path, tiny_model):
    make_public(tmp_path, code_rows(4), code_rows(2))
    outcome, log = run_route(tmp_path, tiny_model, {"route": "grpo", "num_generations": 2})
    assert outcome.ok, log[-3000:]
    assert outcome.extra["reward"] == "code" and outcome.extra["reward_errors"] == 0
    assert outcome.extra["reward_first"] == 0.0  # random replies pass no test


class _Judge(BaseHTTPRequestHandler):
    """The /judge contract over real HTTP: a local verdict (longer replies win)."""

    seen: ClassVar[list[dict]] = []

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        assert self.path == "/judge" and self.headers["Authorization"] == "Bearer tok"
        _Judge.seen += body["items"]
        verdicts = [
            {"id": i["prompt"][:8], "verdict": min(1.0, len(i["reply"]) / 20)}
            for i in body["items"]
        ]
        data = json.dumps({"verdicts": verdicts}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args: object) -> None:
        pass


@pytest.mark.slow
@pytest.mark.timeout(900)  # a loaded machine takes minutes to import TRL
def test_dpo_from_judge_verdicts(tmp_path, tiny_model):
    make_public(tmp_path, judge_rows(6), judge_rows(2))
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Judge)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}"
        outcome, log = run_route(
            tmp_path,
            tiny_model,
            {"route": "dpo", "dpo_beta": 0.1},
            env={"GRADING_SERVER_URL": url, "ASCENT_TOKEN": "tok"},
        )
    finally:
        server.shutdown()
    assert outcome.ok, log[-3000:]
    assert outcome.extra["pairs"] >= 1 and outcome.extra["dpo_loss"] > 0
    assert set(_Judge.seen[0]) == {"prompt", "reply"}  # the route's contract: no reference


@pytest.mark.slow
@pytest.mark.timeout(900)  # a loaded machine takes minutes to import TRL
def test_warm_up_then_grpo_on_online_rollouts(tmp_path, tiny_model):
    root = make_public(tmp_path, [], [])
    write_jsonl(
        root / "public" / "demonstrations.jsonl",
        [
            {
                "prompt": f"{n} to go.\nWhat do you do next? Reply with one command.",
                "action": "down",
            }
            for n in (1, 2, 3)
        ],
    )
    (tmp_path / "countdown_env.py").write_text(_ENV_SOURCE)
    outcome, log = run_route(
        tmp_path,
        tiny_model,
        {"route": "sft_then_grpo", "num_generations": 2, "env_seeds": [0, 1]},
        env={"ASCENT_RL_ENV": "countdown_env:CountdownEnv", "PYTHONPATH": str(tmp_path)},
    )
    assert outcome.ok, log[-3000:]
    assert outcome.extra["sft_examples"] == 3
    assert outcome.extra["rollout_return"] is not None and "grpo_loss" in outcome.extra
    assert outcome.extra["reward_errors"] == 0


_ENV_SOURCE = """
class CountdownEnv:
    def reset(self, seed):
        self.left = seed % 3 + 1
        return f"{self.left} to go."

    def step(self, action):
        if action == "down":
            self.left -= 1
        done = self.left <= 0
        return f"{self.left} to go.", float(done), done
"""
