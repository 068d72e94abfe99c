"""Environment fixtures: one small TextWorld house and a shopping catalogue, built once."""

from __future__ import annotations

import pytest

from ascent.tasks.rl.envs import open_environment
from ascent.tasks.rl.envs.base import EnvConfig, write_config
from ascent.tasks.rl.envs.household import generate_games
from ascent.tasks.rl.envs.shopping import make_catalogue, write_catalogue

HOUSE_SEEDS = [7000 + k for k in range(6)]
SHOP_TRAIN, SHOP_TEST = list(range(100, 160)), list(range(9000, 9020))


@pytest.fixture(scope="session")
def household(tmp_path_factory):
    private = tmp_path_factory.mktemp("household")
    generate_games(private / "games", [70], len(HOUSE_SEEDS), lambda s, k: s * 100 + k)
    write_config(
        private, EnvConfig(env="household", max_steps=8, train_seeds=HOUSE_SEEDS, test_seeds=[])
    )
    return open_environment(private)


@pytest.fixture(scope="session")
def shopping(tmp_path_factory):
    private = tmp_path_factory.mktemp("shopping")
    write_catalogue(private, make_catalogue(3))
    config = EnvConfig(env="shopping", max_steps=12, train_seeds=SHOP_TRAIN, test_seeds=SHOP_TEST)
    write_config(private, config)
    return open_environment(private)
