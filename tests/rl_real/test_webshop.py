"""The real-scale WebShop task: prepared from files in WebShop's official formats, played in the
shopping pages with WebShop's reward, graded on model directories, and a clear error when its
data is missing."""

from __future__ import annotations

import json
import shutil

import pytest

from ascent.config import Paths
from ascent.errors import TaskPrepareError
from ascent.tasks.prepare import prepare_task
from ascent.tasks.rl.envs import open_environment
from ascent.tasks.rl.envs.grading import EnvGrader
from ascent.tasks.rl.envs.rollout import Trajectory, expert_policy_rollout
from ascent.tasks.rl.kit import read_jsonl
from tests.rl_real.conftest import DATA, ENV, play, prepare_error
from tests.rl_real.test_real_tasks import perturbed_copy

VAR, FIXTURE = ENV["webshop"]


@pytest.fixture(scope="module")
def env(prepared_real):
    return open_environment(prepared_real("webshop").private)


def seed_of(env, text: str) -> int:
    return next(s for s, g in env.goals.items() if g.text.startswith(text))


def test_missing_data_names_the_files_and_where_to_put_them(real_task, data_env, tmp_path):
    error = prepare_error(real_task, data_env, tmp_path, "webshop")
    assert "WebShop data is not on this machine" in error.message
    assert "items_human_ins.json" in error.message and "items_shuffle_1000.json" in error.message
    assert VAR in (error.hint or "") and "setup.sh" in (error.hint or "")


def test_prepared_from_the_official_files(prepared_real, env):
    prepared = prepared_real("webshop")
    # the 'nan' asin and the repeated one are skipped, as WebShop does
    assert sorted(env.products) == [f"B0FX00000{i}" for i in range(1, 7)]
    assert env.products["B0FX000003"].price == 19.99  # "$19.99$34.99": the lower end
    assert env.products["B0FX000006"].price == 100.0  # no pricing: WebShop's 100
    assert env.products["B0FX000003"].options["size"] == ["small", "medium", "large", "x-large"]
    assert env.items["B0FX000005"].attributes == ["gluten free", "low sugar"]
    # seven human instructions have attributes (an eighth has none); three are held out
    assert len(env.goals) == 7
    assert len(env.config.test_seeds) == 3 and len(env.config.train_seeds) == 4
    assert not set(env.config.test_seeds) & set(env.config.train_seeds)
    for goal in env.goals.values():
        assert ", and price lower than " in goal.text and goal.price_upper % 10 == 0
        assert (
            env.products[goal.asin].price < goal.price_upper <= env.products[goal.asin].price + 40
        )
    held_out = [json.loads(line)["id"] for line in (prepared.private / "test.jsonl").open()]
    assert held_out == [str(s) for s in env.config.test_seeds]
    facts = json.loads((prepared.public / "environment.json").read_text())
    assert facts["env"] == "webshop" and facts["train_seeds"] == env.config.train_seeds
    demos = [
        Trajectory.model_validate(r) for r in read_jsonl(prepared.public / "demonstrations.jsonl")
    ]
    assert len(demos) == 4 and all(d.success and d.reward == 1.0 for d in demos)
    assert not list(prepared.public.glob("*goals*")) and not list(prepared.public.glob("items*"))


def test_the_expert_meets_every_goal(env):
    for seed in env.config.train_seeds + env.config.test_seeds:
        trajectory = expert_policy_rollout(env, seed)
        assert trajectory.success and trajectory.done_reason == "success", seed


def test_reward_counts_attributes_options_price_and_type(env):
    seed = seed_of(env, "i want a slim fit long sleeve")  # light blue, large; two attributes
    shirt = "click[B0FX000003]"
    right = [shirt, "choose[color: light blue]", "choose[size: large]", "buy"]
    bought = play(env, seed, ["search[slim fit dress shirt]", *right])
    assert bought.done and (bought.reward, bought.success) == (1.0, True)
    # one of the two options wrong: 4 of the 5 requirements
    wrong_size = [shirt, "choose[color: light blue]", "choose[size: small]", "buy"]
    bought = play(env, seed, ["search[slim fit dress shirt]", *wrong_size])
    assert bought.done and bought.reward == pytest.approx(4 / 5) and not bought.success
    # no option chosen: attributes and price only
    bought = play(env, seed, ["search[slim fit dress shirt]", shirt, "buy"])
    assert bought.done and bought.reward == pytest.approx(3 / 5)
    # another dress shirt: same kind, neither attribute, the grey option is not asked for
    other = ["search[regular fit dress shirt]", "click[B0FX000004]", "choose[size: large]", "buy"]
    bought = play(env, seed, other)
    assert bought.done and bought.reward == pytest.approx(2 / 5)
    # a product of another kind scores nothing, whatever it meets
    bars = ["search[snack bars]", "click[B0FX000005]", "buy"]
    bought = play(env, seed, bars)
    assert bought.done and (bought.reward, bought.success) == (0.0, False)


def test_price_limit_counts(env):
    seed = seed_of(env, "noise cancelling wireless headphones")
    goal = env.goals[seed]
    bought = env.products["B0FX000006"]
    assert env.score(bought, {}, goal) == 1.0
    cheaper_limit = goal.model_copy(update={"price_upper": bought.price - 1})
    assert env.score(bought, {}, cheaper_limit) == pytest.approx(1 / 2)


def test_reads_the_repository_data_folder(real_task, data_env, tmp_path):
    """WebShop's setup.sh leaves the files in the repository's data/ folder."""
    repo = tmp_path / "WebShop"
    shutil.copytree(DATA / "webshop", repo / "data")
    data_env.delenv(VAR)
    data_env.setenv("ASCENT_RL_DATA", str(tmp_path / "rl"))
    (tmp_path / "rl").mkdir()
    (tmp_path / "rl" / "webshop").symlink_to(repo)
    try:
        prepared = prepare_task(real_task("webshop"), Paths(tmp_path / "home").ensure())
    finally:
        data_env.setenv(VAR, str(FIXTURE))
        data_env.delenv("ASCENT_RL_DATA")
    assert len(open_environment(prepared.private).goals) == 7


def test_a_catalogue_that_is_not_webshops_is_refused(real_task, data_env, tmp_path):
    folder = tmp_path / "broken"
    shutil.copytree(DATA / "webshop", folder)
    (folder / "items_shuffle_1000.json").write_text(json.dumps({"B0FX000001": {}}))
    data_env.setenv(VAR, str(folder))
    try:
        with pytest.raises(TaskPrepareError, match="must hold a list of products"):
            prepare_task(real_task("webshop"), Paths(tmp_path / "home").ensure())
    finally:
        data_env.setenv(VAR, str(FIXTURE))


def test_model_directories_are_graded(prepared_real, tiny_base, tmp_path):
    grader = EnvGrader(prepared_real("webshop"))
    scored = grader.score(perturbed_copy(tiny_base, tmp_path / "model"), "all")
    assert scored.n_rows == 3 and scored.score == 0.0  # a random model buys nothing right
    assert "copy_model" not in scored.flags
    shutil.copytree(tiny_base, tmp_path / "copy")
    assert "copy_model" in grader.score(tmp_path / "copy", "all").flags
