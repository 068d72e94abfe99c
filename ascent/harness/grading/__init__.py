"""The grading API of a run: service (rules, budget, ledger), HTTP server, client."""
