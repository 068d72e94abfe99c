"""The driver interface: five structured calls, each returning a validated object."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable
from typing import Any

from ascent.drivers.models import (
    DebugRequest,
    DiagnoseRequest,
    Diagnosis,
    DraftRequest,
    Hypothesis,
    ImplementRequest,
    ProposeRequest,
    Solution,
)
from ascent.errors import ConfigError


class Driver(ABC):
    """Reasoning for agents. Implementations must be usable from several threads.

    The harness sets `emit` to its recorder's emit, so that drivers can record `llm_call`
    events (model, tokens, cost, latency); drivers must work without it too.
    """

    name: str = "abstract"
    emit: Callable[[Any], Any] | None = None

    @abstractmethod
    def draft(self, request: DraftRequest) -> Solution:
        """A first, complete, runnable solution."""

    @abstractmethod
    def diagnose(self, request: DiagnoseRequest) -> Diagnosis:
        """What limits the solution, from its outcome: the 'gradient'."""

    @abstractmethod
    def propose(self, request: ProposeRequest) -> list[Hypothesis]:
        """Candidate changes, each with an expected gain and a confidence."""

    @abstractmethod
    def implement(self, request: ImplementRequest) -> Solution:
        """The solution with the hypothesis applied."""

    @abstractmethod
    def debug(self, request: DebugRequest) -> Solution:
        """The solution, repaired after the error in its outcome."""

    def describe(self) -> dict[str, Any]:
        return {"driver": self.name}


def make_driver(name: str, **options: Any) -> Driver:
    """A driver by name: heuristic, llm or replay (options are passed to its constructor)."""
    if name == "heuristic":
        from ascent.drivers.heuristic import HeuristicDriver

        return HeuristicDriver(**options)
    if name == "llm":
        from ascent.drivers.llm import LlmDriver

        return LlmDriver(**options)
    if name == "replay":
        from ascent.drivers.replay import ReplayDriver

        return ReplayDriver(**options)
    raise ConfigError(f"unknown driver '{name}'", hint="use heuristic, llm or replay")
