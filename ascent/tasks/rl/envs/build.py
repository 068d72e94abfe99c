"""Preparing an environment task: the environment's data and settings in `private/`, the
held-out seeds in `private/test.jsonl`, and for the agent `public/environment.json` (train seeds,
rules, the API) and `public/demonstrations.jsonl` (expert episodes on some train seeds)."""

from __future__ import annotations

import json
from pathlib import Path

from ascent.tasks.rl.envs import open_environment
from ascent.tasks.rl.envs.base import MAX_ACTION_CHARS, EnvConfig, write_config
from ascent.tasks.rl.envs.rollout import expert_policy_rollout

ACTIONS = {
    "household": "a command such as `go east`, `open cabinet`, `take mug from table`, "
    "`insert mug into cabinet` (containers) or `put mug on table` (supporters)",
    "shopping": "`search[words]`, `click[<product id>]`, `choose[<option>: <value>]`, `next`, "
    "`back` or `buy`",
    "webshop": "`search[words]`, `click[<product asin>]`, `choose[<option>: <value>]`, `next`, "
    "`back` or `buy`",
    "searchqa": "`search <words>`, `open <title>` (a title a search listed) or "
    "`answer <text>` (ends the episode)",
    "deepsearchqa": "`search <words>`, `open <title>` (a title a search listed) or "
    "`answer <text>` (ends the episode; a list answer names every item, separated by commas)",
    "alfworld": "an ALFWorld command such as `go to countertop 1`, `open cabinet 2`, "
    "`take mug 1 from countertop 1`, `clean mug 1 with sinkbasin 1`, `put mug 1 in/on cabinet 2`",
}


def finish(public: Path, private: Path, config: EnvConfig, n_demos: int) -> None:
    """Write the settings, the held-out list, the public facts and expert demonstrations."""
    write_config(private, config)
    lines = [json.dumps({"id": str(seed)}) for seed in config.test_seeds]
    (private / "test.jsonl").write_text("\n".join(lines) + "\n")
    env = open_environment(private)
    facts = {
        "env": config.env,
        "train_seeds": config.train_seeds,
        "max_steps": config.max_steps,
        "max_malformed_in_a_row": config.max_malformed,
        "max_action_chars": MAX_ACTION_CHARS,
        "episode_budget": config.episode_budget,
        "eval_max_new_tokens": config.max_new_tokens,
        "held_out_episodes": len(config.test_seeds),
        "actions": ACTIONS[config.env],
    }
    (public / "environment.json").write_text(json.dumps(facts, indent=1) + "\n")
    with (public / "demonstrations.jsonl").open("w") as fh:
        for seed in config.train_seeds[:n_demos]:
            trajectory = expert_policy_rollout(env, seed)
            if not trajectory.success:
                raise RuntimeError(f"the expert fails on {config.env} seed {seed}")
            fh.write(trajectory.model_dump_json() + "\n")
