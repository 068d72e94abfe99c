"""Agents written in Python that think on the trusted side and run their code in the sandbox.

They are registered here by name; the agents issue adds gome, greedy, mcts and random.
"""

from __future__ import annotations

BUILTIN_AGENTS: dict[str, type] = {}
