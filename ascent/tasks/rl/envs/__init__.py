"""Online text environments of the RL family (level 3): household (TextWorld), shopping,
search-based question answering over a generated corpus, ALFWorld's own games through the
`alfworld` package, WebShop's own catalogue and instructions in the shopping pages, and DeepSearchQA's questions
over a local corpus in the search pages.

`open_environment(private)` opens the environment a task prepared into its `private/` folder.
"""

from __future__ import annotations

from pathlib import Path

from ascent.tasks.rl.envs.base import EnvError, Environment, load_config


def open_environment(private: Path) -> Environment:
    config = load_config(private)
    if config.env == "household":
        from ascent.tasks.rl.envs.household import HouseholdEnvironment

        return HouseholdEnvironment(config, private)
    if config.env == "shopping":
        from ascent.tasks.rl.envs.shopping import ShoppingEnvironment

        return ShoppingEnvironment(config, private)
    if config.env == "searchqa":
        from ascent.tasks.rl.envs.searchqa import SearchQaEnvironment

        return SearchQaEnvironment(config, private)
    if config.env == "webshop":
        from ascent.tasks.rl.envs.webshop import WebShopEnvironment

        return WebShopEnvironment(config, private)
    if config.env == "deepsearchqa":
        from ascent.tasks.rl.envs.deepsearchqa import DeepSearchQaEnvironment

        return DeepSearchQaEnvironment(config, private)
    if config.env == "alfworld":
        from ascent.tasks.rl.envs.alfworld import AlfworldEnvironment

        return AlfworldEnvironment(config, private)
    raise EnvError(f"unknown environment '{config.env}'")
