"""Playing many episodes with a model: batched (one `generate` per turn for every live episode)
or one episode at a time, recorded as trajectories.

A policy is any callable from a list of prompts to a list of replies; `ModelPolicy` answers a
whole turn with one batched greedy `model.generate`. The batched runner keeps up to
`batch_size` episodes live and starts the next seed as soon as one ends, so the batch stays full.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Literal

from pydantic import BaseModel, Field

from ascent.tasks.rl.envs.base import DoneReason, Environment, Episode, parse_action

Policy = Callable[[list[str]], list[str]]


class TrajectoryStep(BaseModel):
    prompt: str = Field("", description="What the model was given before this action.")
    reply: str = Field("", description="The model's raw reply (empty when sent by hand).")
    action: str
    observation: str
    reward: float
    error: str | None = None


class Trajectory(BaseModel):
    version: int = 1
    env: str
    seed: int
    split: Literal["train", "test"] = "train"
    goal: str = ""
    steps: list[TrajectoryStep] = Field(default_factory=list)
    reward: float = 0.0
    success: bool = False
    done_reason: DoneReason | Literal["abandoned"] | None = None

    @property
    def n_steps(self) -> int:
        return len(self.steps)


class ModelPolicy:
    """Greedy replies of a causal LM, a whole turn in one batched `generate`."""

    def __init__(self, model, tokenizer, max_new_tokens: int) -> None:
        self.model, self.tokenizer, self.max_new_tokens = model, tokenizer, max_new_tokens
        self.calls = 0

    def __call__(self, prompts: list[str]) -> list[str]:
        from ascent.tasks.ft.evaluate import generate

        self.calls += 1
        return generate(
            self.model, self.tokenizer, prompts, self.max_new_tokens, batch_size=len(prompts)
        )


def rollout(
    env: Environment,
    seeds: Iterable[int],
    policy: Policy,
    batch_size: int = 16,
    split: Literal["train", "test"] = "test",
) -> list[Trajectory]:
    """Play one episode per seed; trajectories come back in the order of `seeds`."""
    queue = list(seeds)
    results: dict[int, Trajectory] = {}
    live: list[tuple[int, Episode, Trajectory, str]] = []  # index, episode, record, prompt
    index = 0
    try:
        while queue or live:
            while queue and len(live) < batch_size:
                seed = queue.pop(0)
                episode = env.episode()
                observation = episode.reset(seed)
                record = Trajectory(env=env.name, seed=seed, split=split, goal=observation.goal)
                live.append((index, episode, record, observation.prompt))
                index += 1
            replies = policy([prompt for *_, prompt in live])
            still: list[tuple[int, Episode, Trajectory, str]] = []
            for (i, episode, record, prompt), reply in zip(live, replies, strict=True):
                action = parse_action(reply)
                result = episode.step(action)
                record.steps.append(
                    TrajectoryStep(
                        prompt=prompt,
                        reply=reply,
                        action=action,
                        observation=result.observation.text,
                        reward=result.reward,
                        error=result.error,
                    )
                )
                record.reward += result.reward
                if result.done:
                    record.success, record.done_reason = result.success, result.done_reason
                    results[i] = record
                    episode.close()
                else:
                    still.append((i, episode, record, result.observation.prompt))
            live = still
    finally:
        for _, episode, *_ in live:
            episode.close()
    return [results[i] for i in range(index)]


def one_at_a_time(env: Environment, seeds: Iterable[int], policy: Policy) -> list[Trajectory]:
    """The unbatched baseline: each episode played to its end before the next starts."""
    return [t for seed in seeds for t in rollout(env, [seed], policy, batch_size=1)]


def expert_policy_rollout(env: Environment, seed: int) -> Trajectory:
    """The expert's episode of `seed`, as a trajectory (demonstrations for warm-up SFT)."""
    episode = env.episode()
    try:
        observation = episode.reset(seed)
        record = Trajectory(env=env.name, seed=seed, split="train", goal=observation.goal)
        prompt = observation.prompt
        for action in episode.expert():
            result = episode.step(action)
            record.steps.append(
                TrajectoryStep(
                    prompt=prompt,
                    action=action,
                    observation=result.observation.text,
                    reward=result.reward,
                    error=result.error,
                )
            )
            record.reward += result.reward
            prompt = result.observation.prompt
            if result.done:
                record.success, record.done_reason = result.success, result.done_reason
                break
        return record
    finally:
        episode.close()


def success_rate(trajectories: list[Trajectory]) -> float:
    return sum(t.success for t in trajectories) / len(trajectories) if trajectories else 0.0
