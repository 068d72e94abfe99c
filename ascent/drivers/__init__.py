"""Drivers: the reasoning behind agents, behind one interface of structured calls.

`heuristic` (offline rules, the default), `llm` (LiteLLM, any provider or local server),
`replay` (recorded answers, for tests and demos).
"""
