"""What a sweep is: a grid of tasks x agent variants x seeds, each cell one normal run.

A sweep spec is YAML (or the same given as `ascent sweep` flags):

```yaml
name: penguins
tasks: [penguin-species, tumor-diagnosis]
agents:                         # agent variants: a label, an agent, its options, its driver
  - greedy                      # shorthand: label = agent name, default driver
  - label: gome-no-memory
    agent: gome
    options: {memory: false, max_steps: 4}
    driver: heuristic
    driver_options: {quality: 0.8}
seeds: [0, 1, 2]
budget: 2m                      # 90, 90s, 2m, 1h (default: each task's own budget)
max_submissions: 10
sandbox: auto
limits: {cpus: 1, memory_mb: 2048}   # the sandbox limits of each run, and its resource request
retries: 2                      # infrastructure failures resumed per cell, per invocation
forward_env: [OPENAI_API_KEY]   # host variables handed to every cell (also on remote nodes)
```
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from ascent.errors import ConfigError
from ascent.harness.runstate import RunOptions
from ascent.harness.sandbox import Limits, SandboxKind

SPEC_VERSION = 1
DRIVERS = ("heuristic", "llm", "replay")
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smh]?)\s*$")
_LABEL = r"^[A-Za-z0-9][A-Za-z0-9._+-]{0,79}$"


def parse_duration(value: float | int | str) -> float:
    """`90`, `90s`, `15m`, `1.5h` -> seconds."""
    if isinstance(value, int | float):
        return float(value)
    match = _DURATION.match(str(value))
    if match is None:
        raise ValueError(f"cannot read the duration '{value}' (write e.g. 90s, 15m or 1h)")
    number, unit = float(match.group(1)), match.group(2) or "s"
    return number * {"s": 1, "m": 60, "h": 3600}[unit]


def parse_seeds(text: str) -> list[int]:
    """`0,1,2` or `0-4` (inclusive) or a mix: `0-2,7`."""
    seeds: list[int] = []
    for part in (p.strip() for p in text.split(",")):
        if not part:
            continue
        if re.fullmatch(r"\d+-\d+", part):
            low, high = (int(x) for x in part.split("-"))
            if high < low:
                raise ConfigError(f"the seed range '{part}' is empty", hint="write e.g. 0-4")
            seeds.extend(range(low, high + 1))
        elif re.fullmatch(r"-?\d+", part):
            seeds.append(int(part))
        else:
            raise ConfigError(f"cannot read the seeds '{text}'", hint="write e.g. 0,1,2 or 0-4")
    if not seeds:
        raise ConfigError("no seeds given", hint="write e.g. --seeds 0,1,2")
    return seeds


class AgentVariant(BaseModel):
    """One agent configuration of the grid; `label` names it in results."""

    model_config = ConfigDict(extra="forbid")

    label: str = Field(pattern=_LABEL)
    agent: str
    options: dict[str, Any] = Field(default_factory=dict, description="Agent options.")
    driver: str | None = Field(None, description="heuristic (default), llm or replay.")
    model: str | None = Field(None, description="LLM of the llm driver (LiteLLM name).")
    driver_options: dict[str, Any] = Field(default_factory=dict)

    @model_validator(mode="before")
    @classmethod
    def _shorthand(cls, data: Any) -> Any:
        if isinstance(data, str):
            return {"label": data, "agent": data}
        if isinstance(data, dict) and "label" not in data and "agent" in data:
            return {**data, "label": data["agent"]}
        return data

    @field_validator("driver")
    @classmethod
    def _known_driver(cls, value: str | None) -> str | None:
        if value is not None and value not in DRIVERS:
            raise ValueError(f"unknown driver '{value}' (use {', '.join(DRIVERS)})")
        return value


class SweepSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")

    version: int = SPEC_VERSION
    name: str = Field("sweep", pattern=_LABEL)
    tasks: list[str] = Field(min_length=1)
    agents: list[AgentVariant] = Field(min_length=1)
    seeds: list[int] = Field(default_factory=lambda: [0], min_length=1)
    budget: float | None = Field(None, gt=0, description="Seconds per run; default the task's.")
    max_submissions: int | None = Field(None, gt=0)
    sandbox: SandboxKind = "auto"
    limits: Limits | None = Field(None, description="Default: the task's memory and CPUs.")
    retries: int = Field(2, ge=0, le=20, description="Infrastructure retries per cell.")
    forward_env: list[str] = Field(default_factory=list)
    agent_dirs: list[str] = Field(default_factory=list)
    task_dirs: list[str] = Field(default_factory=list)

    @field_validator("budget", mode="before")
    @classmethod
    def _duration(cls, value: Any) -> Any:
        return None if value is None else parse_duration(value)

    @field_validator("seeds", mode="before")
    @classmethod
    def _seed_text(cls, value: Any) -> Any:
        if not isinstance(value, str):
            return value
        try:
            return parse_seeds(value)
        except ConfigError as exc:  # a ValueError, so that the message names the field
            raise ValueError(str(exc)) from None

    @model_validator(mode="after")
    def _distinct(self) -> SweepSpec:
        labels = [a.label for a in self.agents]
        for what, values in (("agent label", labels), ("task", self.tasks), ("seed", self.seeds)):
            repeated = sorted({str(v) for v in values if values.count(v) > 1})
            if repeated:
                raise ValueError(f"repeated {what}: {', '.join(repeated)}")
        return self

    def cells(self) -> list[Cell]:
        return [
            Cell(task_id=task, label=variant.label, seed=seed)
            for task in self.tasks
            for variant in self.agents
            for seed in self.seeds
        ]

    def variant(self, label: str) -> AgentVariant:
        for variant in self.agents:
            if variant.label == label:
                return variant
        raise ConfigError(f"the sweep has no agent variant '{label}'")

    def run_options(self, cell: Cell, sweep_id: str) -> RunOptions:
        variant = self.variant(cell.label)
        return RunOptions(
            task_id=cell.task_id,
            agent=variant.agent,
            seed=cell.seed,
            budget_seconds=self.budget,
            max_submissions=self.max_submissions,
            sandbox=self.sandbox,
            limits=self.limits,
            driver=variant.driver or "heuristic",
            model=variant.model,
            agent_options=dict(variant.options),
            driver_options=dict(variant.driver_options),
            sweep_id=sweep_id,
            agent_dirs=list(self.agent_dirs),
            task_dirs=list(self.task_dirs),
        )

    def to_yaml(self) -> str:
        return yaml.safe_dump(self.model_dump(mode="json", exclude_none=True), sort_keys=False)


class Cell(BaseModel):
    """One point of the grid."""

    model_config = ConfigDict(frozen=True)

    task_id: str
    label: str
    seed: int

    @property
    def key(self) -> str:
        return f"{self.task_id}/{self.label}/{self.seed}"


def load_sweep_spec(path: Path) -> SweepSpec:
    try:
        raw = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"cannot read the sweep spec {path}: {exc.strerror}") from exc
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path} is not valid YAML: {exc}".replace("\n", " ")) from exc
    if not isinstance(raw, dict):
        raise ConfigError(f"{path} must be a mapping of fields, got {type(raw).__name__}")
    return validate_spec(raw, str(path), base=Path(path).resolve().parent)


def validate_spec(
    raw: dict[str, Any], where: str = "the sweep spec", base: Path | None = None
) -> SweepSpec:
    """Validate a spec; relative agent and task folders are taken from `base` (the spec's
    folder) or the current directory."""
    try:
        spec = SweepSpec.model_validate(raw)
    except ValidationError as exc:
        problems = "; ".join(
            f"field '{'.'.join(str(p) for p in e['loc']) or '(top level)'}': {e['msg']}"
            for e in exc.errors()
        )
        raise ConfigError(f"{where}: {problems}") from exc
    root = base or Path.cwd()
    return spec.model_copy(
        update={
            "agent_dirs": [str((root / Path(p).expanduser()).resolve()) for p in spec.agent_dirs],
            "task_dirs": [str((root / Path(p).expanduser()).resolve()) for p in spec.task_dirs],
        }
    )
