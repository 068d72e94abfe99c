"""Gome's memories: successes (momentum) and failures (changes not to repeat).

Momentum is the decayed sum of the gains that changes of one kind brought: a kind that worked
recently is preferred again, as a velocity carries a descent in the direction that paid off.
"""

from __future__ import annotations

from pydantic import BaseModel, Field


class Success(BaseModel):
    kind: str
    change: str
    gain: float
    trace: int
    round: int


class Memory(BaseModel):
    successes: list[Success] = Field(default_factory=list)
    failures: dict[int, list[str]] = Field(default_factory=dict)
    shared_until: int = 0

    def record_success(self, kind: str, change: str, gain: float, trace: int, round_: int) -> None:
        self.successes.append(
            Success(kind=kind, change=change, gain=gain, trace=trace, round=round_)
        )

    def record_failure(self, trace: int, change: str) -> None:
        self.failures.setdefault(trace, [])
        if change not in self.failures[trace]:
            self.failures[trace].append(change)

    def visible(self, trace: int) -> list[Success]:
        """A trace sees its own successes, and other traces' up to the last sharing point."""
        return [s for s in self.successes if s.trace == trace or s.round < self.shared_until]

    def share(self, round_: int) -> None:
        self.shared_until = round_ + 1

    def momentum(self, kind: str, trace: int, round_: int, decay: float = 0.7) -> float:
        seen = self.visible(trace)
        scale = max((abs(s.gain) for s in seen), default=0.0) or 1.0
        return sum(
            (s.gain / scale) * decay ** max(0, round_ - s.round) for s in seen if s.kind == kind
        )

    def summary(self, trace: int, limit: int = 8) -> list[dict]:
        seen = sorted(self.visible(trace), key=lambda s: -s.gain)[:limit]
        return [s.model_dump() for s in seen]

    def failed(self, trace: int) -> list[str]:
        return list(self.failures.get(trace, []))[-20:]
