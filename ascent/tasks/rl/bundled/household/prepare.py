"""Houses for the household environment, built and compiled with TextWorld.

Sixteen training houses and five held-out houses, from disjoint layout seeds; four goals are
played in each (64 training episodes, 20 held-out ones): many layouts, so that what a model
learns in the training houses is how to read a house, not one house by heart. Episode seeds are
`layout_seed * 100 + k`, so training and held-out seeds never meet.
"""

from __future__ import annotations

from pathlib import Path

from ascent.tasks.rl.envs.base import EnvConfig
from ascent.tasks.rl.envs.build import finish
from ascent.tasks.rl.envs.household import generate_games

OBSERVATIONS = 2  # the form of the observation texts in demonstrations.jsonl (terse rooms)
TRAIN_HOUSES, TEST_HOUSES = 16, 5
TRAIN_GOALS, TEST_GOALS = 4, 4


def prepare(raw: Path, public: Path, private: Path, seed: int = 0) -> None:
    train_layouts = [seed * 100 + i for i in range(TRAIN_HOUSES)]
    test_layouts = [seed * 100 + 50 + i for i in range(TEST_HOUSES)]
    games = private / "games"
    train = generate_games(games, train_layouts, TRAIN_GOALS, lambda s, k: s * 100 + k)
    test = generate_games(games, test_layouts, TEST_GOALS, lambda s, k: s * 100 + k, "test")
    config = EnvConfig(
        env="household",
        max_steps=15,
        train_seeds=[g.seed for g in train],
        test_seeds=[g.seed for g in test],
        episode_budget=3000,
        max_new_tokens=16,
        eval_batch_size=10,
    )
    finish(public, private, config, n_demos=len(train))
