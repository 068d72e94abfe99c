"""A generated catalogue of 240 products for the shopping environment; training instructions
are seeds 1000-1299, the 40 held-out ones seeds 70000-70039."""

from __future__ import annotations

from pathlib import Path

from ascent.tasks.rl.envs.base import EnvConfig
from ascent.tasks.rl.envs.build import finish
from ascent.tasks.rl.envs.shopping import make_catalogue, write_catalogue


def prepare(raw: Path, public: Path, private: Path, seed: int = 0) -> None:
    write_catalogue(private, make_catalogue(seed))
    config = EnvConfig(
        env="shopping",
        max_steps=12,
        train_seeds=list(range(1000, 1300)),
        test_seeds=list(range(70000, 70040)),
        episode_budget=3000,
        max_new_tokens=24,
        eval_batch_size=20,
    )
    finish(public, private, config, n_demos=60)
