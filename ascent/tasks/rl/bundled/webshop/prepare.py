"""WebShop (Yao et al., 2022) from its official data files, read on this machine, never
downloaded.

The files (`setup.sh` of the WebShop repository downloads them into its `data/` folder) are found
in this task's `raw/` folder, `$ASCENT_WEBSHOP_DIR` or `$ASCENT_RL_DATA/webshop`, directly or
under `data/`: the catalogue `items_shuffle_1000.json` (or the full `items_shuffle.json`), the
product attributes `items_ins_v2_1000.json` (or `items_ins_v2.json`; optional) and the human
instructions `items_human_ins.json`. Each human instruction with attributes is one episode
(`ascent.tasks.rl.envs.webshop`); the goals are shuffled with the task's seed and the first 500
(at most half of them) are held out, as WebShop holds out 500 human instructions for its test.
"""

from __future__ import annotations

import json
import os
import random
from pathlib import Path

from ascent.errors import TaskPrepareError
from ascent.tasks.rl.envs import open_environment
from ascent.tasks.rl.envs.base import EnvConfig, EnvError, write_config
from ascent.tasks.rl.envs.build import finish
from ascent.tasks.rl.envs.rollout import expert_policy_rollout
from ascent.tasks.rl.envs.webshop import (
    ATTRIBUTE_NAMES,
    CATALOGUE_NAMES,
    HUMAN_GOALS,
    read_goals,
    read_products,
    write_webshop,
)

ENV_VAR = "ASCENT_WEBSHOP_DIR"
HELD_OUT = 500
DEMOS = 40
DEMO_CANDIDATES = 400  # training goals tried for expert demonstrations


def data_roots(raw: Path) -> list[Path]:
    roots = [raw]
    if os.environ.get(ENV_VAR):
        roots.append(Path(os.environ[ENV_VAR]).expanduser())
    if os.environ.get("ASCENT_RL_DATA"):
        roots.append(Path(os.environ["ASCENT_RL_DATA"]).expanduser() / "webshop")
    return [r for root in roots for r in (root, root / "data")]


def first(root: Path, names: tuple[str, ...]) -> Path | None:
    return next((root / n for n in names if (root / n).is_file()), None)


def find_files(raw: Path) -> tuple[Path, Path | None, Path]:
    for root in data_roots(raw):
        catalogue, goals = first(root, CATALOGUE_NAMES), first(root, (HUMAN_GOALS,))
        if catalogue and goals:
            return catalogue, first(root, ATTRIBUTE_NAMES), goals
    raise TaskPrepareError(
        "the WebShop data is not on this machine (looked in raw/, $ASCENT_WEBSHOP_DIR and "
        "$ASCENT_RL_DATA/webshop, and their data/ folders, for items_shuffle_1000.json or "
        "items_shuffle.json next to items_human_ins.json)",
        hint="clone github.com/princeton-nlp/WebShop and run its setup.sh (or download "
        "items_shuffle_1000.json, items_ins_v2_1000.json and items_human_ins.json by hand); "
        f"then export {ENV_VAR}=<its data folder> or put them in $ASCENT_RL_DATA/webshop",
    )


def read_json(path: Path) -> object:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise TaskPrepareError(f"the WebShop file {path} cannot be read as JSON: {exc}") from exc


def prepare(raw: Path, public: Path, private: Path, seed: int = 0) -> None:
    catalogue_path, attributes_path, goals_path = find_files(raw)
    catalogue, human = read_json(catalogue_path), read_json(goals_path)
    attributes = read_json(attributes_path) if attributes_path else {}
    if not isinstance(catalogue, list) or not isinstance(human, dict):
        raise TaskPrepareError(
            f"{catalogue_path.name} must hold a list of products and {goals_path.name} an "
            "object from asin to instructions, as WebShop's files do"
        )
    try:
        products, items = read_products(
            catalogue, attributes if isinstance(attributes, dict) else {}
        )
    except EnvError as exc:
        raise TaskPrepareError(f"{catalogue_path}: {exc.message}") from exc
    goals = read_goals(human, products, seed)
    if len(goals) < 2:
        raise TaskPrepareError(
            f"{goals_path} gives {len(goals)} instruction(s) with attributes for the products of "
            f"{catalogue_path.name}; at least 2 are needed"
        )
    order = [g.seed for g in goals]
    random.Random(seed).shuffle(order)
    n_test = min(HELD_OUT, len(order) // 2)
    test, train = sorted(order[:n_test]), order[n_test:]
    write_webshop(private, products, items, goals)
    config = EnvConfig(
        env="webshop",
        max_steps=15,
        train_seeds=sorted(train),
        test_seeds=test,
        episode_budget=20000,
        max_new_tokens=32,
        eval_batch_size=16,
    )
    # demonstrations come from the training goals the expert fully meets, listed first
    write_config(private, config)
    env = open_environment(private)
    solved = [s for s in sorted(train)[:DEMO_CANDIDATES] if expert_policy_rollout(env, s).success]
    solved = solved[:DEMOS]
    config = config.model_copy(
        update={"train_seeds": solved + [s for s in sorted(train) if s not in set(solved)]}
    )
    finish(public, private, config, n_demos=len(solved))
