"""The interface every text environment of the RL family implements.

An `Environment` holds the prepared data of one environment (games, catalogue...) and the seeds
it may start from; `env.episode()` gives a fresh `Episode`, played with `reset(seed)` then
`step(action)` until `done`. The rules shared by every environment live here, so that each
environment only says what happens in its own world:

- an action is one line of printable text of at most `MAX_ACTION_CHARS` characters; anything else
  is malformed: the answer is an error observation, the step counts, the world is unchanged;
- `max_malformed` malformed actions in a row end the episode (`done_reason="malformed"`);
- at `max_steps` steps the episode ends (`done_reason="step_limit"`);
- stepping an episode that has ended, or one that was never reset, is an `EnvError`.
"""

from __future__ import annotations

import json
from abc import ABC, abstractmethod
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from ascent.errors import AscentError

MAX_ACTION_CHARS = 160
ENV_FILE = "env.json"
DoneReason = Literal["success", "failure", "step_limit", "malformed"]


class EnvError(AscentError):
    """A misuse of an environment (unknown seed, step after the end, missing data)."""


class EnvConfig(BaseModel):
    """What prepare writes to `private/env.json`: which environment, its seeds and its rules."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    version: int = 1
    env: Literal["household", "shopping", "alfworld", "searchqa", "webshop", "deepsearchqa"]
    max_steps: int = Field(gt=0, le=200, description="Steps before an episode is cut off.")
    max_malformed: int = Field(4, gt=0, description="Malformed actions in a row that end it.")
    train_seeds: list[int] = Field(description="Seeds the agent may play through the API.")
    test_seeds: list[int] = Field(description="Held-out seeds only the grader plays.")
    episode_budget: int = Field(2000, gt=0, description="Episodes one run may start.")
    max_new_tokens: int = Field(24, gt=0, le=256, description="Greedy tokens per action.")
    eval_batch_size: int = Field(16, gt=0, le=256, description="Episodes stepped at once.")


class Observation(BaseModel):
    """What the agent sees at one point of an episode. `prompt` is the exact text the graded
    model is given (one user turn through its chat template): train on the same format."""

    text: str
    goal: str
    admissible_actions: list[str]
    step: int
    max_steps: int
    prompt: str = ""
    progress: float | None = Field(
        None,
        description="How much of the way to the goal is done, in [0, 1], for environments "
        "that can tell (a signal for reward shaping; the score is success alone).",
    )


class StepResult(BaseModel):
    observation: Observation
    reward: float
    done: bool
    success: bool
    done_reason: DoneReason | None = None
    error: str | None = Field(None, description="Why the action was malformed, if it was.")


@dataclass
class Turn:
    action: str
    text: str


def render_prompt(goal: str, opening: str, history: list[Turn], admissible: list[str]) -> str:
    """The model's view of a turn: the goal, the opening text while the episode is young, the
    last two exchanges (`> action` then what came back), and the valid actions."""
    lines = [f"Goal: {goal}"]
    if len(history) < 2:
        lines.append(opening)
    for turn in history[-2:]:
        lines.append(f"> {turn.action}\n{turn.text}")
    if admissible:
        lines.append("Valid actions: " + " | ".join(admissible))
    lines.append("Answer with one action only.")
    return "\n".join(lines)


def parse_action(reply: str) -> str:
    """The action in a model's reply: its first non-empty line, without a leading `>` or
    quotes and a trailing full stop."""
    for line in reply.splitlines():
        line = line.strip().lstrip(">").strip().strip("\"'`").strip()
        if line:
            return line[:-1] if line.endswith(".") else line
    return ""


def malformed(action: str) -> str | None:
    """Why `action` is not a well-formed action, or None."""
    if not action.strip():
        return "the action is empty; answer with one of the valid actions"
    if "\n" in action.strip():
        return "the action spans several lines; answer with a single line"
    if len(action) > MAX_ACTION_CHARS:
        return f"the action is {len(action)} characters long, over {MAX_ACTION_CHARS}"
    if not action.isprintable():
        return "the action contains control characters"
    return None


class Episode(ABC):
    """One episode of an environment; subclasses implement `_start`, `_act` and `expert`."""

    def __init__(self, config: EnvConfig) -> None:
        self.config = config
        self.seed: int | None = None
        self.steps = 0
        self.done = False
        self.history: list[Turn] = []
        self._malformed_run = 0
        self._goal = ""
        self._opening = ""
        self._text = ""
        self._admissible: list[str] = []

    # -- what an environment implements ------------------------------------------------------
    @abstractmethod
    def _start(self, seed: int) -> tuple[str, str, list[str]]:
        """Begin the episode of `seed`: (goal, first observation text, admissible actions)."""

    @abstractmethod
    def _act(self, action: str) -> tuple[str, float, bool, list[str]]:
        """Apply a well-formed action: (text, reward, episode over, admissible actions).
        Success is a reward of 1.0."""

    @abstractmethod
    def expert(self) -> list[str]:
        """Actions that solve this episode from its start (after `reset`)."""

    def close(self) -> None:  # noqa: B027 (optional hook)
        """Release what the episode holds (a game process...)."""

    def progress(self) -> float | None:
        """How much of the way to the goal is done, in [0, 1]; None when unknown."""
        return None

    # -- the shared rules ----------------------------------------------------------------------
    def reset(self, seed: int) -> Observation:
        self.seed, self.steps, self.done = seed, 0, False
        self.history, self._malformed_run = [], 0
        self._goal, self._opening, self._admissible = self._start(seed)
        self._text = self._opening
        return self._observation()

    def step(self, action: str) -> StepResult:
        if self.seed is None:
            raise EnvError("the episode was never reset; call reset(seed) first")
        if self.done:
            raise EnvError("the episode has ended; start a new one")
        self.steps += 1
        reason = malformed(action)
        reward, success, done_reason = 0.0, False, None
        if reason is not None:
            self._malformed_run += 1
            text = f"Malformed action: {reason}."
            if self._malformed_run >= self.config.max_malformed:
                done_reason = "malformed"
        else:
            self._malformed_run = 0
            action = action.strip()
            text, reward, over, self._admissible = self._act(action)
            success = reward >= 1.0
            if over:
                done_reason = "success" if success else "failure"
        if done_reason is None and self.steps >= self.config.max_steps:
            done_reason = "step_limit"
        self.done = done_reason is not None
        self.history.append(Turn(action if reason is None else action[:MAX_ACTION_CHARS], text))
        self._text = text
        return StepResult(
            observation=self._observation(),
            reward=reward,
            done=self.done,
            success=success,
            done_reason=done_reason,
            error=reason,
        )

    def _observation(self) -> Observation:
        return Observation(
            text=self._text,
            goal=self._goal,
            admissible_actions=list(self._admissible),
            step=self.steps,
            max_steps=self.config.max_steps,
            prompt=render_prompt(self._goal, self._opening, self.history, self._admissible),
            progress=self.progress(),
        )


class Environment(ABC):
    """The prepared data of one environment; makes episodes."""

    name: str

    def __init__(self, config: EnvConfig, data_dir: Path) -> None:
        self.config = config
        self.data_dir = data_dir

    @abstractmethod
    def episode(self) -> Episode: ...

    def seeds(self, split: Literal["train", "test"]) -> list[int]:
        return list(self.config.train_seeds if split == "train" else self.config.test_seeds)


def load_config(private: Path) -> EnvConfig:
    path = private / ENV_FILE
    try:
        return EnvConfig.model_validate_json(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise EnvError(f"the environment settings {path} cannot be read: {exc.strerror}") from exc
    except ValueError as exc:
        raise EnvError(f"the environment settings {path} are not valid: {exc}") from exc


def write_config(private: Path, config: EnvConfig) -> None:
    (private / ENV_FILE).write_text(json.dumps(config.model_dump(), indent=1), encoding="utf-8")
