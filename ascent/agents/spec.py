"""`agent.yaml`: how to start an agent that runs inside the sandbox.

```yaml
name: example
description: Trains a model from INSTRUCTIONS.md and submits.
command: [python, "{agent_dir}/start.py"]   # run with the workspace as working directory
env: [ANTHROPIC_API_KEY]                     # host variables passed in (only if set)
network: none                                # none | llm-only | full
llm_hosts: [api.anthropic.com:443]           # what llm-only lets through
requires: [claude]                           # executables that must exist on the host
prompt: prompt.md                            # rendered to $ASCENT_PROMPT_FILE
```
`{agent_dir}` is where the agent folder appears inside the sandbox (read-only).
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from ascent.errors import AgentError
from ascent.tasks.spec import describe_validation_error


class AgentSpec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(pattern=r"^[a-z0-9][a-z0-9._-]*$")
    description: str = ""
    command: list[str] = Field(min_length=1)
    env: list[str] = Field(default_factory=list, description="Host variables passed through.")
    network: Literal["none", "llm-only", "full"] = "none"
    llm_hosts: list[str] = Field(default_factory=list, description="host:port allowed by llm-only.")
    requires: list[str] = Field(default_factory=list, description="Executables needed on the host.")
    prompt: str | None = Field(None, description="Prompt template file in the agent folder.")
    snapshot_seconds: float = Field(30.0, gt=0, description="Code snapshot interval.")


def load_agent_spec(path: Path) -> AgentSpec:
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise AgentError(f"cannot read {path}: {exc}".replace("\n", " ")) from exc
    if not isinstance(raw, dict):
        raise AgentError(f"{path} must be a mapping of fields")
    try:
        return AgentSpec.model_validate(raw)
    except ValidationError as exc:
        raise AgentError(f"{path}: {describe_validation_error(exc)}") from exc
