"""Active time across segments, and timestamps mapped onto it."""

from __future__ import annotations

import pytest

from ascent.analysis.clock import ActiveClock, used_seconds
from ascent.record import events as ev


def _events(*items: tuple[str, float]) -> list:
    out = []
    for seq, (kind, ts) in enumerate(items, start=1):
        if kind == "start":
            out.append(
                ev.RunStart(
                    seq=seq,
                    ts=ts,
                    run_id="r",
                    task_id="t",
                    agent="a",
                    sandbox="process",
                    budget_seconds=60,
                    max_submissions=5,
                )
            )
        else:
            out.append(ev.AgentStep(seq=seq, ts=ts, step=seq, action="x"))
    return out


def test_segments_add_up_and_downtime_is_skipped():
    events = _events(("start", 100), ("step", 110), ("start", 500), ("step", 503), ("step", 520))
    clock = ActiveClock.from_events(events)
    assert clock.segments == 2
    assert clock.total == pytest.approx(10 + 20) == used_seconds(events)
    assert clock.at(105) == pytest.approx(5)
    assert clock.at(300) == pytest.approx(10)  # the harness was down: time stands still
    assert clock.at(503) == pytest.approx(13)
    assert clock.at(50) == 0.0


def test_no_events_no_time():
    assert used_seconds([]) == 0.0 and ActiveClock.from_events([]).at(10) == 0.0
