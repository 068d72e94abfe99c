"""Grading a model directory on an environment: batched rollouts on held-out seeds.

The held-out seeds are listed in `private/test.jsonl` (one `{"id": seed}` a line) and split into
the public and private leaderboard halves like any other held-out examples. The score is the
success rate; the details give mean reward, steps, and how many actions were well formed and
admissible, so that an agent can tell a model that never answers with a command from one that
wanders.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pandas as pd

from ascent.config import get_paths
from ascent.errors import GraderError, InvalidSubmission
from ascent.tasks.ft.checks import inspect_model_dir
from ascent.tasks.ft.evaluate import load_model
from ascent.tasks.ft.models import ensure_base_model
from ascent.tasks.prepare import PreparedTask
from ascent.tasks.rl.envs import open_environment
from ascent.tasks.rl.envs.base import EnvError
from ascent.tasks.rl.envs.rollout import ModelPolicy, Trajectory, rollout, success_rate

log = logging.getLogger(__name__)
MAX_MODEL_MB = 2048


class EnvGrader:
    accepts_directory = True

    def __init__(self, prepared: PreparedTask) -> None:
        self.task = prepared.task
        try:
            self.env = open_environment(prepared.private)
            lines = (prepared.private / "test.jsonl").read_text().splitlines()
            seeds = [int(json.loads(line)["id"]) for line in lines if line.strip()]
            splits = pd.read_csv(prepared.split_file, dtype={"id": str})
        except (OSError, ValueError, EnvError) as exc:
            raise GraderError(
                f"the held-out episodes of '{self.task.id}' cannot be read: {exc}"
            ) from exc
        split_of = dict(zip(splits["id"], splits["split"], strict=True))
        self.seeds = {seed: split_of.get(str(seed), "private") for seed in seeds}
        self.base = ensure_base_model(self.task.spec.base_model or "", get_paths())
        self.last_trajectories: list[Trajectory] = []

    def score(self, submission: Path, split: str, measure_base: bool = False):
        from ascent.tasks.grading import Scored

        seeds = [s for s, where in self.seeds.items() if split == "all" or where == split]
        if not seeds:
            raise GraderError(f"no held-out episodes of '{self.task.id}' for split '{split}'")
        info = inspect_model_dir(submission, self.base, MAX_MODEL_MB)
        if "copy_model" in info.flags and self.task.spec.baseline is not None and not measure_base:
            return Scored(self.task.spec.baseline, len(seeds), {"copy_model": True}, info.flags)
        model, tokenizer = load_model(info, self.base)
        config = self.env.config
        policy = ModelPolicy(model, tokenizer, config.max_new_tokens)
        try:
            trajectories = rollout(
                self.env, seeds, policy, batch_size=config.eval_batch_size, split="test"
            )
        except (EnvError, GraderError):
            raise
        except Exception as exc:  # the model's generate failed: the submission's fault
            raise InvalidSubmission(
                f"the model failed while playing episodes: {type(exc).__name__}: {exc}"
            ) from exc
        self.last_trajectories = trajectories
        return Scored(
            success_rate(trajectories),
            len(trajectories),
            details(trajectories, info.kind),
            info.flags,
        )


def details(trajectories: list[Trajectory], model_kind: str) -> dict:
    steps = [s for t in trajectories for s in t.steps]
    n = max(len(steps), 1)
    return {
        "success_rate": round(success_rate(trajectories), 5),
        "mean_reward": round(sum(t.reward for t in trajectories) / len(trajectories), 5),
        "mean_steps": round(len(steps) / len(trajectories), 3),
        "malformed_actions": round(sum(s.error is not None for s in steps) / n, 5),
        "episodes": len(trajectories),
        "done_reasons": _count(t.done_reason or "none" for t in trajectories),
        "model_kind": model_kind,
    }


def _count(values) -> dict[str, int]:
    found: dict[str, int] = {}
    for value in values:
        found[value] = found.get(value, 0) + 1
    return dict(sorted(found.items()))
