"""`benchmarks/rl.py` end to end at tiny sizes: the base, SFT warm-up and GRPO stages through
the RL skills' training script on a tiny random model, held-out rollouts after each, and the
throughput passes, so that the benchmark cannot rot."""

from __future__ import annotations

import importlib
import importlib.util
import json
from pathlib import Path

import pytest

from ascent.tasks.ft.models import build_tiny_model
from ascent.tasks.rl.envs import open_environment
from ascent.tasks.rl.envs.base import EnvConfig, write_config
from ascent.tasks.rl.envs.household import generate_games
from ascent.tasks.rl.skills import TEMPLATE, RlPlan

BENCH = Path(__file__).resolve().parents[2] / "benchmarks"


@pytest.fixture()
def bench(monkeypatch):
    """The benchmark imports its shared module as a sibling, as `python benchmarks/rl.py` does."""
    monkeypatch.syspath_prepend(str(BENCH))
    return importlib.import_module("rl")


@pytest.fixture(scope="module")
def houses(tmp_path_factory) -> Path:
    """One training house and one held-out house, from different layout seeds."""
    private = tmp_path_factory.mktemp("houses")
    train = generate_games(private / "games", [61], 3, lambda s, k: s * 100 + k)
    test = generate_games(private / "games", [62], 2, lambda s, k: s * 100 + k, "test")
    config = EnvConfig(
        env="household",
        max_steps=3,
        train_seeds=[g.seed for g in train],
        test_seeds=[g.seed for g in test],
        max_new_tokens=4,
        eval_batch_size=2,
    )
    write_config(private, config)
    return private


@pytest.mark.timeout(1800)  # two training scripts import TRL: minutes on a loaded machine
def test_stages_table_and_throughput(bench, houses, tmp_path):
    model = build_tiny_model(tmp_path / "tiny")
    settings = bench.Settings(
        sft_steps=2, grpo_steps=2, group=2, batch_size=2, max_length=1536, max_turns=2,
        throughput_episodes=2, batch=2, debug=True,
    )  # fmt: skip
    report = bench.run_benchmark(houses, model, tmp_path / "work", settings)

    # expert steps of the three training seeds, in the evaluation prompt format
    demos = (tmp_path / "work" / "public" / "demonstrations.jsonl").read_text().splitlines()
    assert len(demos) == report.demonstrations >= 3
    assert all('"prompt": "Goal: put the ' in line for line in demos)

    names = [s.name for s in report.stages]
    assert names == ["base", "SFT warm-up", "+ GRPO online"]
    for stage in report.stages:
        assert 0.0 <= stage.success <= 1.0 and stage.episodes == 2
        assert sorted(t.seed for t in stage.trajectories) == [6200, 6201]
        assert stage.eval_cpu > 0
    sft, grpo = report.stages[1], report.stages[2]
    assert sft.train_cpu > 0 and sft.extra["sft_examples"] > 0
    assert (sft.model / "model.safetensors").is_file()  # a full model: GRPO's base
    assert grpo.train_cpu > 0 and "grpo_loss" in grpo.extra and grpo.extra["reward_errors"] == 0
    assert (grpo.model / "adapter_model.safetensors").is_file()

    assert report.throughput is not None
    assert report.throughput.batched.calls < report.throughput.single.calls
    assert report.throughput.identical == 2
    lines = bench.table(report)
    assert lines[0].split()[:3] == ["stage", "held-out", "success"]
    assert lines[4].startswith("lift after GRPO") and lines[4].endswith(("PASS", "MISS"))
    assert lines[-1].startswith("throughput ratio") and lines[-1].endswith(("PASS", "MISS"))


def test_arguments_fill_the_settings(bench):
    args, settings = bench.parse(["--model", "tiny-random-llama", "--sft-steps", "5"])
    assert args.model == "tiny-random-llama" and settings.sft_steps == 5
    assert settings.grpo_steps == bench.Settings().grpo_steps


def test_stage_plans_split_the_training_seeds(bench):
    """Each script checks itself on the last training seeds; GRPO's rollouts come from others,
    spread over them (a house's seeds are consecutive)."""
    sft, grpo = bench.plans(bench.Settings(rollout_seeds=3, check_seeds=2), list(range(10)))
    assert sft.env_eval_seeds == grpo.env_eval_seeds == [8, 9]
    assert grpo.env_seeds == [0, 2, 4] and sft.route == "sft" and grpo.route == "grpo"
    assert grpo.progress_weight == 0.5 and sft.progress_weight == 0.0
    _, every = bench.plans(bench.Settings(rollout_seeds=20, check_seeds=1), list(range(5)))
    assert every.env_seeds == [0, 1, 2, 3]


def test_shaped_environment_reward_tells_a_step_forward_from_a_wasted_one(
    bench, houses, monkeypatch
):
    """The training script's GRPO reward on a real house: with progress shaping the expert's
    next action scores above a wasted one and a step back below it; without, all score 0 until
    the goal is reached."""
    env = open_environment(houses)
    seed = env.seeds("train")[0]
    episode = env.episode()
    episode.reset(seed)
    plan = episode.expert()
    episode.close()
    taken = next(i for i, a in enumerate(plan) if a.startswith("take "))
    thing = env.goal(seed).object
    monkeypatch.setenv("ASCENT_RL_ENV", "rlbench:household_client")
    monkeypatch.setenv(bench.ENV_VAR, str(houses))
    spec = importlib.util.spec_from_file_location("rl_template_shaping", TEMPLATE)
    assert spec is not None and spec.loader is not None
    template = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(template)

    def rewards(weight: float) -> list[float]:
        template.PLAN = RlPlan(reward="env", progress_weight=weight).model_dump()
        history = json.dumps(plan[: taken + 1])  # holding the goal's object
        actions = [plan[taken + 1], "dance", f"drop {thing}"]
        return template.env_reward(actions, [seed] * 3, [history] * 3)

    forward, wasted, back = rewards(0.5)
    assert forward > 0 and wasted == 0 and back < 0, (forward, wasted, back)
    assert rewards(0.0) == [float(len(plan) == taken + 2), 0.0, 0.0]
