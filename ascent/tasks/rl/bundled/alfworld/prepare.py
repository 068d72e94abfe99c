"""ALFWorld (Shridhar et al., 2021), its text games read on this machine, never downloaded.

The games are found under this task's `raw/` folder, `$ALFWORLD_DATA` (where `alfworld-download`
puts them) or `$ASCENT_RL_DATA/alfworld`, as `json_2.1.1/<split>/<task type>/<trial>/game.tw-pddl`.
Training episodes are the `train` games (seed = index), held-out episodes the `valid_unseen`
games (seed = 100000 + index), as in the ALFWorld papers' out-of-distribution evaluation.
"""

from __future__ import annotations

import os
from pathlib import Path

from ascent.errors import TaskPrepareError
from ascent.tasks.rl.envs.alfworld import SPLITS, find_games, write_games
from ascent.tasks.rl.envs.base import EnvConfig
from ascent.tasks.rl.envs.build import finish

TEST_OFFSET = 100_000
MAX_TEST = 140  # valid_unseen holds 134 games
DEMOS = 20


def data_roots(raw: Path) -> list[Path]:
    roots = [raw]
    if os.environ.get("ALFWORLD_DATA"):
        roots.append(Path(os.environ["ALFWORLD_DATA"]).expanduser())
    if os.environ.get("ASCENT_RL_DATA"):
        roots.append(Path(os.environ["ASCENT_RL_DATA"]).expanduser() / "alfworld")
    return roots


def prepare(raw: Path, public: Path, private: Path, seed: int = 0) -> None:
    for root in data_roots(raw):
        train, test = find_games(root, SPLITS["train"]), find_games(root, SPLITS["test"])
        if train and test:
            break
    else:
        raise TaskPrepareError(
            "the ALFWorld games are not on this machine (looked in raw/, $ALFWORLD_DATA and "
            "$ASCENT_RL_DATA/alfworld for json_2.1.1/train and json_2.1.1/valid_unseen)",
            hint="pip install alfworld; alfworld-download; export ALFWORLD_DATA=<its folder>",
        )
    games = {i: path.resolve() for i, path in enumerate(train)}
    games |= {TEST_OFFSET + i: path.resolve() for i, path in enumerate(test[:MAX_TEST])}
    write_games(private, games)
    config = EnvConfig(
        env="alfworld",
        max_steps=50,
        train_seeds=sorted(s for s in games if s < TEST_OFFSET),
        test_seeds=sorted(s for s in games if s >= TEST_OFFSET),
        episode_budget=20000,
        max_new_tokens=24,
        eval_batch_size=16,
    )
    finish(public, private, config, n_demos=DEMOS)
