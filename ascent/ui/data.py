"""What the web UI reads: runs from the index and their folders, reports with their plots.

Reports are computed once per change of a run's record (events, ledger, run.json, agent.log)
and kept in a small LRU; rendering is serialised (matplotlib is not meant for threads).
"""

from __future__ import annotations

import json
import os
import threading
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path

from ascent.analysis.render_html import RunPlots, run_plots
from ascent.analysis.reports import get_report, inputs_mtime, run_dir_of
from ascent.analysis.schema import RunReport
from ascent.config import Paths
from ascent.harness.runstate import load_state
from ascent.store import Store
from ascent.store.records import RunRecord

ENDED = ("finished", "failed", "sandbox_error")


@dataclass(frozen=True)
class Rendered:
    report: RunReport
    plots: RunPlots


@dataclass(frozen=True)
class Progress:
    last_seq: int
    status: str
    ended: bool


class RunCatalog:
    def __init__(self, paths: Paths, registry=None, capacity: int = 48) -> None:
        self.paths = paths
        self.registry = registry
        self.capacity = capacity
        self._store: Store | None = None
        self._cache: OrderedDict[Path, tuple[tuple, Rendered]] = OrderedDict()
        self._lock = threading.Lock()

    @property
    def store(self) -> Store:
        if self._store is None:
            self._store = Store(self.paths.db)
        return self._store

    def runs(self) -> list[RunRecord]:
        return self.store.list_runs()

    def run_dir(self, run_id: str) -> Path:
        return run_dir_of(self.paths.runs, run_id, allow_path=False)

    def rendered(self, run_dir: Path) -> Rendered:
        key = (inputs_mtime(run_dir), _mtime(run_dir / "run.json"))
        with self._lock:
            hit = self._cache.get(run_dir)
            if hit is not None and hit[0] == key:
                self._cache.move_to_end(run_dir)
                return hit[1]
            report = get_report(run_dir, registry=self.registry)
            result = Rendered(report, run_plots(report))
            self._cache[run_dir] = (key, result)
            while len(self._cache) > self.capacity:
                self._cache.popitem(last=False)
            return result

    def progress(self, run_dir: Path) -> Progress:
        status = load_state(run_dir).status
        return Progress(last_seq(run_dir / "events.jsonl"), status, status in ENDED)


def _mtime(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except OSError:
        return 0.0


def last_seq(path: Path) -> int:
    """The seq of the last complete event, reading only the end of the file."""
    try:
        with path.open("rb") as fh:
            size = fh.seek(0, os.SEEK_END)
            fh.seek(max(0, size - 65536))
            tail = fh.read()
    except OSError:
        return 0
    for line in reversed(
        tail.split(b"\n")[:-1] if tail.endswith(b"\n") else tail.split(b"\n")[1:-1]
    ):
        try:
            return int(json.loads(line)["seq"])
        except (ValueError, KeyError, TypeError):
            continue
    return 0
