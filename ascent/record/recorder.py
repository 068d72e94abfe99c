"""Appends events to `events.jsonl` (flushed and fsynced) and indexes them in SQLite.

The file is the source of truth: an event is on disk before anything that depends on it is
answered, so a crash loses nothing already reported. On reopening, a line torn by a crash is cut
off and numbering continues after the last complete event; `reindex` brings SQLite up to date.
"""

from __future__ import annotations

import json
import logging
import os
import threading
import time
from collections.abc import Callable
from pathlib import Path

from ascent.record.events import Event, _Event, parse_event
from ascent.store import Store
from ascent.store.records import EventRecord

log = logging.getLogger(__name__)

EVENTS_FILE = "events.jsonl"


class Recorder:
    def __init__(self, run_dir: Path, run_id: str, store: Store | None = None) -> None:
        self.run_id = run_id
        self.path = run_dir / EVENTS_FILE
        self.store = store
        self._lock = threading.Lock()
        self._listeners: list[Callable[[Event], None]] = []
        self._seq = _repair_and_count(self.path)
        self._fh = self.path.open("ab")

    @property
    def last_seq(self) -> int:
        return self._seq

    def subscribe(self, listener: Callable[[Event], None]) -> None:
        """Called with every event after it is on disk (live panels, budget clocks)."""
        self._listeners.append(listener)

    def emit(self, event: _Event) -> Event:
        with self._lock:
            self._seq += 1
            stamped = event.model_copy(update={"seq": self._seq, "ts": time.time()})
            line = stamped.model_dump_json().encode() + b"\n"
            self._fh.write(line)
            self._fh.flush()
            os.fsync(self._fh.fileno())
            if self.store is not None:
                self.store.insert_events([_record(self.run_id, stamped)])
        for listener in self._listeners:
            try:
                listener(stamped)  # type: ignore[arg-type]
            except Exception:  # a broken listener must not stop recording
                log.exception("event listener failed")
        return stamped  # type: ignore[return-value]

    def events(self) -> list[Event]:
        return read_events(self.path)

    def reindex(self) -> int:
        """Index every event of the file in SQLite; returns how many were missing there."""
        if self.store is None:
            return 0
        return self.store.insert_events(_record(self.run_id, e) for e in self.events())

    def close(self) -> None:
        with self._lock:
            if not self._fh.closed:
                self._fh.close()


def read_events(path: Path) -> list[Event]:
    events: list[Event] = []
    if not path.exists():
        return events
    with path.open("rb") as fh:
        for number, line in enumerate(fh, start=1):
            if not line.endswith(b"\n"):
                break  # a torn last line: not an event
            try:
                events.append(parse_event(line))
            except ValueError:
                log.warning("%s:%d is not a valid event; skipped", path, number)
    return events


def _repair_and_count(path: Path) -> int:
    """Cut a torn last line (a crash mid-write) and return the last complete seq."""
    if not path.exists():
        return 0
    data = path.read_bytes()
    if data and not data.endswith(b"\n"):
        keep = data.rfind(b"\n") + 1
        with path.open("r+b") as fh:
            fh.truncate(keep)
        log.warning("%s ended with a torn line; %d bytes cut", path, len(data) - keep)
    events = read_events(path)
    return max((e.seq for e in events), default=0)


def _record(run_id: str, event: _Event) -> EventRecord:
    payload = json.loads(event.model_dump_json(exclude={"seq", "ts"}))
    return EventRecord(
        run_id=run_id, seq=event.seq, ts=event.ts, kind=payload.pop("kind"), payload=payload
    )
