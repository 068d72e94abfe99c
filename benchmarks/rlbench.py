"""What the RL environment benchmarks share: loading a model for rollouts, the batched against
one-at-a-time throughput measure, and an in-process household client for the training script.

`rl_env.py` prints the throughput measure alone; `rl.py` prints it after its training stages.
`household_client` is what the RL training script's `ASCENT_RL_ENV=module:factory` hook loads:
the same reset/step/seeds contract as the dojo's `/env` API, played on the prepared environment
in `$ASCENT_BENCH_ENV` (its `private/` folder) so a benchmark needs no grading server.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from pathlib import Path

from ascent.tasks.rl.envs import open_environment
from ascent.tasks.rl.envs.base import Environment, Episode
from ascent.tasks.rl.envs.rollout import (
    ModelPolicy,
    Trajectory,
    one_at_a_time,
    rollout,
    success_rate,
)

ENV_VAR = "ASCENT_BENCH_ENV"


def load_for_rollouts(folder: Path):
    """(model, tokenizer) of a full model folder, ready for batched greedy generation."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    model = AutoModelForCausalLM.from_pretrained(str(folder), dtype=torch.float32).eval()
    tokenizer = AutoTokenizer.from_pretrained(str(folder))
    tokenizer.pad_token = tokenizer.pad_token or tokenizer.eos_token
    tokenizer.padding_side = "left"
    return model, tokenizer


@dataclass
class Pass:
    """The summed cost of one way of playing the episodes, over the rounds."""

    seconds: float = 0.0
    steps: int = 0
    calls: int = 0
    trajectories: list[Trajectory] = field(default_factory=list)

    @property
    def steps_per_second(self) -> float:
        return self.steps / self.seconds if self.seconds else 0.0


@dataclass
class Throughput:
    episodes: int
    rounds: int
    batched: Pass
    single: Pass

    @property
    def ratio(self) -> float:
        """Steps a second batched over steps a second one at a time (per-step, so that passes
        whose episodes end at different steps still compare)."""
        single = self.single.steps_per_second
        return self.batched.steps_per_second / single if single else 0.0

    @property
    def identical(self) -> int:
        """Episodes whose actions are the same in both passes (greedy decoding: all, unless
        padding changes a reply)."""
        return sum(
            [s.action for s in a.steps] == [s.action for s in b.steps]
            for a, b in zip(self.batched.trajectories, self.single.trajectories, strict=True)
        )

    def lines(self) -> list[str]:
        out = []
        for name, run in (("batched", self.batched), ("one-at-a-time", self.single)):
            episodes = self.episodes * self.rounds
            out.append(
                f"{name:>14}: {episodes} episodes, {run.steps} steps, {run.calls} generate "
                f"calls, {run.seconds:.1f} s = {episodes / run.seconds * 60:.1f} episodes/min, "
                f"{run.steps_per_second:.2f} steps/s, "
                f"success {success_rate(run.trajectories):.2f}"
            )
        out.append(
            f"episodes with identical actions in both passes: {self.identical}/{self.episodes}"
        )
        return out


def measure_throughput(
    env: Environment, seeds: list[int], model, tokenizer, batch: int, rounds: int
) -> Throughput:
    """Play `seeds` batched and one at a time, alternating for `rounds` rounds so that a
    machine whose load changes during the run weighs on both passes alike."""
    batched, single = Pass(), Pass()
    for _ in range(rounds):
        for run in (batched, single):
            policy = ModelPolicy(model, tokenizer, env.config.max_new_tokens)
            started = time.perf_counter()
            if run is batched:
                trajectories = rollout(env, seeds, policy, batch_size=batch, split="train")
            else:
                trajectories = one_at_a_time(env, seeds, policy)
            run.seconds += time.perf_counter() - started
            run.steps += sum(t.n_steps for t in trajectories)
            run.calls += policy.calls
            run.trajectories = trajectories
    return Throughput(len(seeds), rounds, batched, single)


class HouseholdClient:
    """One episode at a time of a prepared environment, with the `/env` API's contract:
    `reset(seed)` and `step(action)` give observations as dicts carrying the model's prompt."""

    def __init__(self, env: Environment) -> None:
        self.env = env
        self.episode: Episode | None = None

    def reset(self, seed: int) -> dict:
        self.close()
        self.episode = self.env.episode()
        return self.episode.reset(int(seed)).model_dump()

    def step(self, action: str) -> tuple[dict, float, bool]:
        if self.episode is None:
            raise RuntimeError("reset the episode first")
        if self.episode.done:  # like the API after the end: nothing more to earn
            return {"prompt": "", "text": "The episode has ended."}, 0.0, True
        result = self.episode.step(action)
        return result.observation.model_dump(), result.reward, result.done

    def seeds(self) -> list[int]:
        return self.env.seeds("train")

    def close(self) -> None:
        if self.episode is not None:
            self.episode.close()
            self.episode = None


_ENV: dict[str, Environment] = {}


def household_client() -> HouseholdClient:
    """The factory `ASCENT_RL_ENV=rlbench:household_client` names (the environment is opened
    once a process; each client plays its own episodes)."""
    private = os.environ[ENV_VAR]
    if private not in _ENV:
        _ENV[private] = open_environment(Path(private))
    return HouseholdClient(_ENV[private])
