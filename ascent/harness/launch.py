"""How an agent folder is started inside the sandbox: mounts, environment, command, prompt,
and the network policy (`none`; `llm-only` through the allowlisting proxy; `full`)."""

from __future__ import annotations

import os
import shutil
import sys
from dataclasses import dataclass, field
from pathlib import Path

from jinja2 import Environment, StrictUndefined

from ascent.agents.registry import AgentEntry
from ascent.errors import AgentError
from ascent.harness.netproxy import normalise
from ascent.harness.sandbox import Mount
from ascent.harness.sandbox.bwrap import GRADING_HOST, python_roots
from ascent.harness.workspace import INSIDE

GRADING_PORT = 8765
PROXY_PORT = 8766
INSIDE_MOUNT = "/opt/ascent"
AGENT_MOUNT = "/opt/agent"
SOCKET_MOUNT = "/run/ascent"
_ALREADY_MOUNTED = ("/usr/",)
DEFAULT_PROMPT = Path(__file__).parents[1] / "agents" / "prompts" / "default.md"


@dataclass
class LaunchPlan:
    kind: str
    agent: AgentEntry
    sock_dir: Path
    mounts: list[Mount] = field(default_factory=list)
    path_dirs: list[str] = field(default_factory=list)
    proxy_allow: list[str] | None = None

    @property
    def bwrap(self) -> bool:
        return self.kind == "bwrap"

    @property
    def network(self) -> str:
        return self.agent.spec.network if self.agent.spec else "none"


def plan_launch(agent: AgentEntry, kind: str, sock_dir: Path) -> LaunchPlan:
    if agent.kind != "folder" or agent.spec is None or agent.root is None:
        raise AgentError(f"agent '{agent.name}' does not run inside the sandbox")
    plan = LaunchPlan(kind=kind, agent=agent, sock_dir=sock_dir)
    for name in agent.spec.requires:
        found = shutil.which(name)
        if found is None:
            raise AgentError(
                f"agent '{agent.name}' needs the program '{name}', which is not installed here",
                hint=f"install {name}, or pick another agent",
            )
        plan.path_dirs.append(str(Path(found).parent))
        if kind == "bwrap":
            plan.mounts += _program_mounts(Path(found))
    if kind == "bwrap":
        plan.mounts = [
            Mount(source=INSIDE, target=INSIDE_MOUNT),
            Mount(source=sock_dir, target=SOCKET_MOUNT),
            Mount(source=agent.root, target=AGENT_MOUNT),
            *_unique(plan.mounts),
        ]
    if agent.spec.network == "llm-only":
        allow = list(agent.spec.llm_hosts)
        if os.environ.get("ASCENT_API_BASE"):
            allow.append(os.environ["ASCENT_API_BASE"])
        plan.proxy_allow = [normalise(a) for a in allow]
    return plan


def _program_mounts(program: Path) -> list[Mount]:
    """A program outside /usr and the Python environment: mount its install folder read-only."""
    mounts = []
    for path in {program.parent, program.resolve().parent.parent}:
        text = str(path)
        inside_python = any(path.is_relative_to(root) for root in python_roots())
        if not text.startswith(_ALREADY_MOUNTED) and not inside_python and path != Path("/"):
            mounts.append(Mount(source=path, target=text))
    return mounts


def _unique(mounts: list[Mount]) -> list[Mount]:
    seen, out = set(), []
    for mount in mounts:
        if mount.target not in seen:
            seen.add(mount.target)
            out.append(mount)
    return out


def agent_command(plan: LaunchPlan) -> tuple[list[str], list[str]]:
    """The agent's own command and the full argv (through the in-sandbox init)."""
    spec, root = plan.agent.spec, plan.agent.root
    assert spec is not None and root is not None
    agent_dir = AGENT_MOUNT if plan.bwrap else str(root)
    inside = INSIDE_MOUNT if plan.bwrap else str(INSIDE)
    command = [part.replace("{agent_dir}", agent_dir) for part in spec.command]
    forward: list[str] = []
    if plan.bwrap:
        forward += ["--forward", f"{GRADING_PORT}={SOCKET_MOUNT}/grading.sock"]
        if plan.proxy_allow is not None:
            forward += ["--forward", f"{PROXY_PORT}={SOCKET_MOUNT}/proxy.sock"]
    return command, [sys.executable, f"{inside}/init.py", *forward, "--", *command]


def agent_env(plan: LaunchPlan, base: dict[str, str]) -> dict[str, str]:
    """`base` (the run's variables) plus PATH, passed-through keys and proxy settings."""
    spec = plan.agent.spec
    assert spec is not None
    env = dict(base)
    env["PATH"] = ":".join(
        [*plan.path_dirs, str(Path(sys.executable).parent), "/usr/local/bin", "/usr/bin", "/bin"]
    )
    for name in spec.env:
        if name in os.environ:
            env[name] = os.environ[name]
    if plan.proxy_allow is not None:
        proxy = f"http://127.0.0.1:{PROXY_PORT}"
        for key in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy", "ALL_PROXY"):
            env[key] = proxy
        # Under bwrap the grading server is reached by name, so that 127.0.0.1 (a local LLM
        # server on the host, say) can still go through the proxy.
        direct = GRADING_HOST if plan.bwrap else "127.0.0.1,localhost"
        env["NO_PROXY"] = env["no_proxy"] = direct
    return env


def grading_url(plan: LaunchPlan, server_url: str) -> str:
    return f"http://{GRADING_HOST}:{GRADING_PORT}" if plan.bwrap else server_url


def render_prompt(plan: LaunchPlan, variables: dict[str, object]) -> str | None:
    spec, root = plan.agent.spec, plan.agent.root
    assert spec is not None and root is not None
    if spec.prompt is None:
        return None
    path = DEFAULT_PROMPT if spec.prompt == "default" else root / spec.prompt
    if not path.is_file():
        raise AgentError(f"agent '{plan.agent.name}': prompt file {path} is missing")
    template = Environment(undefined=StrictUndefined, autoescape=False).from_string(
        path.read_text()
    )
    return template.render(**variables)
