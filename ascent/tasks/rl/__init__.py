"""The RL post-training family: rule-, judge- and environment-rewarded tasks."""
