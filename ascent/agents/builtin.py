"""Agents written in Python that think on the trusted side and run their code in the sandbox."""

from __future__ import annotations

from ascent.agents.core import Agent
from ascent.agents.ftagent import FtAgent
from ascent.agents.gome import Gome
from ascent.agents.greedy import Greedy
from ascent.agents.mcts import Mcts
from ascent.agents.random_search import RandomSearch

BUILTIN_AGENTS: dict[str, type[Agent]] = {
    cls.name: cls for cls in (Gome, Greedy, Mcts, RandomSearch, FtAgent)
}
