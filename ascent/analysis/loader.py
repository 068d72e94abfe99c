"""A run folder as read-only typed data.

Nothing here writes to the run folder or repairs it: the web UI and `ascent report` read runs
that may still be going. The submission records are read directly rather than through the
harness's `Ledger`, which owns the folder (it creates it, and cleans up after its own submits).
"""

from __future__ import annotations

import contextlib
import json
import logging
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

from ascent.analysis.clock import ActiveClock
from ascent.analysis.schema import MetricInfo
from ascent.errors import AscentError
from ascent.harness.grading.models import SubmissionEntry
from ascent.harness.runstate import RunState, load_state
from ascent.record.events import Event
from ascent.record.recorder import read_events

log = logging.getLogger(__name__)

LOG_FILE = "agent.log"
SNAPSHOTS = "snapshots.git"
MAX_LOG_BYTES = 4 * 2**20  # the tail of a longer agent.log is analysed


@dataclass(frozen=True)
class TaskFacts:
    """What the report needs from the task: its declared metric and family."""

    metric: MetricInfo
    family: str


@dataclass
class RunData:
    run_dir: Path
    state: RunState
    events: list[Event]
    entries: list[SubmissionEntry]
    facts: TaskFacts
    log_text: str = ""
    log_first_line: int = 1  # number of the first line of `log_text` in agent.log

    @cached_property
    def clock(self) -> ActiveClock:
        return ActiveClock.from_events(self.events)

    @property
    def snapshots_dir(self) -> Path:
        return self.run_dir / SNAPSHOTS

    @property
    def higher_is_better(self) -> bool:
        return self.facts.metric.higher_is_better

    @property
    def run_id(self) -> str:
        return self.state.run_id


def read_entries(run_dir: Path) -> list[SubmissionEntry]:
    folder = run_dir / "submissions"
    entries = []
    for path in sorted(folder.glob("s*.json")):
        with contextlib.suppress(ValueError, OSError):
            entries.append(SubmissionEntry.model_validate_json(path.read_text()))
    return sorted(entries, key=lambda e: e.seq)


def read_log(run_dir: Path) -> tuple[str, int]:
    """agent.log as text (undecodable bytes replaced), at most its last MAX_LOG_BYTES."""
    path = run_dir / LOG_FILE
    try:
        size = path.stat().st_size
    except OSError:
        return "", 1
    with path.open("rb") as fh:
        if size <= MAX_LOG_BYTES:
            return fh.read().decode("utf-8", errors="replace"), 1
        newlines, remaining = 0, size - MAX_LOG_BYTES
        while remaining > 0 and (chunk := fh.read(min(1 << 20, remaining))):
            newlines += chunk.count(b"\n")
            remaining -= len(chunk)
        data = fh.read()
    cut = data.find(b"\n") + 1  # start at a whole line
    newlines += 1 if cut else 0
    return data[cut:].decode("utf-8", errors="replace"), newlines + 1


def task_facts(state: RunState, run_dir: Path, registry=None) -> TaskFacts:
    """The metric as the task declares it; else as an earlier report of this run recorded it."""
    from ascent.tasks.registry import Registry

    try:
        reg = registry or Registry([Path(p) for p in state.options.task_dirs])
        task = reg.get(state.options.task_id)
        return TaskFacts(
            MetricInfo(
                name=task.spec.metric.name, higher_is_better=task.spec.metric.higher_is_better
            ),
            task.family,
        )
    except AscentError as exc:
        earlier = _earlier_report(run_dir)
        if earlier is not None:
            return earlier
        raise AscentError(
            f"cannot analyse {state.run_id}: its task '{state.options.task_id}' is not "
            f"available here ({exc.message}) and the run has no earlier report naming its metric",
            hint="add the task's folder with --task-dir",
        ) from exc


def _earlier_report(run_dir: Path) -> TaskFacts | None:
    try:
        data = json.loads((run_dir / "report.json").read_text())
        return TaskFacts(
            MetricInfo(name=data["metric"], higher_is_better=bool(data["higher_is_better"])),
            str(data.get("family", "unknown")),
        )
    except (OSError, ValueError, KeyError, TypeError):
        return None


def load_run(run_dir: Path, facts: TaskFacts | None = None, registry=None) -> RunData:
    state = load_state(run_dir)
    events = read_events(run_dir / "events.jsonl")
    text, first = read_log(run_dir)
    return RunData(
        run_dir=run_dir,
        state=state,
        events=events,
        entries=read_entries(run_dir),
        facts=facts or task_facts(state, run_dir, registry),
        log_text=text,
        log_first_line=first,
    )
