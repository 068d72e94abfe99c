"""A generated encyclopedia of 156 documents for the search QA environment; training questions
are seeds 1000-1299, the 40 held-out ones seeds 70000-70039 (about entities no training
question names)."""

from __future__ import annotations

from pathlib import Path

from ascent.tasks.rl.envs.base import EnvConfig
from ascent.tasks.rl.envs.build import finish
from ascent.tasks.rl.envs.searchqa import make_corpus, write_corpus


def prepare(raw: Path, public: Path, private: Path, seed: int = 0) -> None:
    write_corpus(private, make_corpus(seed))
    config = EnvConfig(
        env="searchqa",
        max_steps=10,
        train_seeds=list(range(1000, 1300)),
        test_seeds=list(range(70000, 70040)),
        episode_budget=3000,
        max_new_tokens=24,
        eval_batch_size=20,
    )
    finish(public, private, config, n_demos=100)
