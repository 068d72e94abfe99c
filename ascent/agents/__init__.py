"""Agents: folders with an `agent.yaml` run inside the sandbox, or built-in Python agents."""
