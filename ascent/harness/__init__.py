"""The dojo: workspace, sandbox, grading server, budget, and the run lifecycle."""
