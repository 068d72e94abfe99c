"""Active time of a run: the sum of its segments, each from its `run_start` to its last event.

A run killed with `kill -9` and resumed later has two segments; the time the harness was down
is not spent by the agent, so it counts neither against the budget nor in the report's times.
"""

from __future__ import annotations

import bisect
from collections.abc import Sequence
from dataclasses import dataclass

from ascent.record.events import Event


@dataclass(frozen=True)
class Span:
    start: float
    end: float
    offset: float  # active seconds before this span began


class ActiveClock:
    """Maps wall-clock timestamps (Unix seconds) to active seconds since the run began."""

    def __init__(self, spans: Sequence[Span]) -> None:
        self.spans = list(spans)
        self._starts = [s.start for s in self.spans]

    @classmethod
    def from_events(cls, events: Sequence[Event]) -> ActiveClock:
        spans: list[Span] = []
        start: float | None = None
        last: float | None = None
        offset = 0.0
        for event in events:
            if event.kind == "run_start":
                if start is not None and last is not None:
                    spans.append(Span(start, last, offset))
                    offset += last - start
                start = event.ts
            if start is not None:
                last = event.ts
        if start is not None and last is not None:
            spans.append(Span(start, last, offset))
        return cls(spans)

    @property
    def total(self) -> float:
        if not self.spans:
            return 0.0
        last = self.spans[-1]
        return last.offset + (last.end - last.start)

    @property
    def segments(self) -> int:
        return len(self.spans)

    def at(self, ts: float) -> float:
        """Active seconds at wall time `ts`; times between segments map to the earlier end."""
        index = bisect.bisect_right(self._starts, ts) - 1
        if index < 0:
            return 0.0
        span = self.spans[index]
        return span.offset + min(ts, span.end) - span.start


def used_seconds(events: Sequence[Event]) -> float:
    """Active time over all segments: each from its run_start to its last event."""
    return ActiveClock.from_events(events).total
