"""Finding agents: bundled folders, `--agent-dir` folders, and built-in Python agents."""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from pathlib import Path

from ascent.agents.spec import AgentSpec, load_agent_spec
from ascent.errors import AgentError

BUNDLED = Path(__file__).with_name("bundled")


@dataclass(frozen=True)
class AgentEntry:
    name: str
    kind: str  # "folder": runs inside the sandbox; "builtin": thinks on the trusted side
    description: str
    root: Path | None = None
    spec: AgentSpec | None = None


def _builtin_agents() -> dict[str, AgentEntry]:
    from ascent.agents.builtin import BUILTIN_AGENTS

    return {
        name: AgentEntry(name=name, kind="builtin", description=cls.description)
        for name, cls in BUILTIN_AGENTS.items()
    }


class AgentRegistry:
    def __init__(self, agent_dirs: list[Path] | tuple[Path, ...] = ()) -> None:
        self._agents: dict[str, AgentEntry] = dict(_builtin_agents())
        for root in [BUNDLED, *agent_dirs]:
            self._scan(Path(root))

    def _scan(self, root: Path) -> None:
        if not root.is_dir():
            raise AgentError(f"agent folder {root} does not exist")
        candidates = [root] if (root / "agent.yaml").is_file() else sorted(root.iterdir())
        for folder in candidates:
            if (folder / "agent.yaml").is_file():
                spec = load_agent_spec(folder / "agent.yaml")
                self._agents[spec.name] = AgentEntry(
                    name=spec.name,
                    kind="folder",
                    description=spec.description,
                    root=folder.resolve(),
                    spec=spec,
                )

    def all(self) -> list[AgentEntry]:
        return sorted(self._agents.values(), key=lambda a: (a.kind, a.name))

    def get(self, name: str) -> AgentEntry:
        if name not in self._agents:
            close = difflib.get_close_matches(name, self._agents, n=3)
            hint = f"did you mean {', '.join(close)}?" if close else "see `ascent agents list`"
            raise AgentError(f"no agent named '{name}'", hint=hint)
        return self._agents[name]
