"""Recorded answers: replay a run's reasoning deterministically, with no model and no network.

A recording is a JSONL file, one answer a line:

    {"version": 1, "call": "propose", "key": "<sha256 of the request>", "answer": {...}}

(or `"error": "..."` instead of `answer` when the recorded driver failed: replaying fails the
same way). `RecordingDriver(inner, path)` appends every answer of another driver;
`ReplayDriver(path)` answers from the file. A request asked several times is answered in the
recorded order, the last answer repeating. A request with no recording raises DriverError
naming the call (`strict`), or goes to a fallback driver, whose answer can be recorded too
(`record=True`: the file grows into a complete recording, as `ascent run --record` does).
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from ascent.drivers.base import Driver, make_driver
from ascent.drivers.models import (
    DebugRequest,
    DiagnoseRequest,
    Diagnosis,
    DraftRequest,
    Hypothesis,
    ImplementRequest,
    Proposals,
    ProposeRequest,
    Solution,
)
from ascent.errors import ConfigError, DriverError

RECORDING_VERSION = 1
# Keys whose values change from run to run of the same trajectory: timings, output paths.
_VOLATILE = {"seconds", "submission", "submission_path"}
ANSWER_MODELS: dict[str, type[BaseModel]] = {
    "draft": Solution,
    "diagnose": Diagnosis,
    "propose": Proposals,
    "implement": Solution,
    "debug": Solution,
}


def request_key(call: str, request: BaseModel) -> str:
    """A stable hash of a request: the same request gives the same key in any run.

    What differs between two runs of the same trajectory is left out: wall-clock seconds, and
    where the workspace is on this machine (its paths become `$WORKSPACE`...)."""
    data = _steady(request.model_dump(mode="json"))
    text = json.dumps({"call": call, "request": data}, sort_keys=True, separators=(",", ":"))
    facts = data.get("brief", {}).get("facts", {})
    roots = [(facts.get(k), f"${k.upper()}") for k in ("data_path", "output_dir", "workspace")]
    for root, name in sorted(
        ((r, n) for r, n in roots if isinstance(r, str) and len(r) > 1), key=lambda p: -len(p[0])
    ):
        text = text.replace(json.dumps(root)[1:-1], name)
    return hashlib.sha256(text.encode()).hexdigest()


def _steady(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _steady(v) for k, v in value.items() if k not in _VOLATILE}
    if isinstance(value, list):
        return [_steady(v) for v in value]
    return value


class Recording:
    """A recording file: its answers by key, and appends that are safe across threads."""

    def __init__(self, path: str | os.PathLike[str], create: bool = False) -> None:
        self.path = Path(path).expanduser()
        self._lock = threading.Lock()
        self._entries: dict[str, list[dict[str, Any]]] = defaultdict(list)
        self._served: dict[str, int] = defaultdict(int)
        self._newline = False  # the file ends in a line cut off by a crash
        if self.path.is_file():
            self._load()
        elif not create:
            raise ConfigError(
                f"no recording at {self.path}",
                hint="record one with `ascent run ... --record PATH` or RecordingDriver",
            )

    def __len__(self) -> int:
        return sum(len(v) for v in self._entries.values())

    def next(self, key: str) -> dict[str, Any] | None:
        """The next recorded entry for `key` (the last one again when all were served)."""
        with self._lock:
            entries = self._entries.get(key)
            if not entries:
                return None
            index = min(self._served[key], len(entries) - 1)
            self._served[key] += 1
            return entries[index]

    def append(self, entry: dict[str, Any]) -> None:
        line = json.dumps({"version": RECORDING_VERSION, **entry}, ensure_ascii=False)
        with self._lock:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with self.path.open("a", encoding="utf-8") as fh:
                fh.write(("\n" if self._newline else "") + line + "\n")
                self._newline = False
                fh.flush()
                os.fsync(fh.fileno())
            self._entries[entry["key"]].append(entry)
            self._served[entry["key"]] += 1  # just answered: a replay continues after it

    def _load(self) -> None:
        text = self.path.read_text(encoding="utf-8")
        self._newline = bool(text) and not text.endswith("\n")
        lines = text.splitlines()
        for number, line in enumerate(lines, 1):
            if not line.strip():
                continue
            try:
                entry = json.loads(line)
                key, call = entry["key"], entry["call"]
            except (ValueError, KeyError, TypeError):
                if line.startswith("{") and not line.rstrip().endswith("}"):
                    continue  # an entry cut off by a crash while it was written
                raise ConfigError(f"{self.path}:{number}: not a recording line") from None
            if call not in ANSWER_MODELS:
                raise ConfigError(f"{self.path}:{number}: unknown call '{call}'")
            self._entries[key].append(entry)


class _Calls(Driver):
    """The five calls routed through one `_call(name, request)`."""

    def draft(self, request: DraftRequest) -> Solution:
        return self._call("draft", request)  # type: ignore[return-value]

    def diagnose(self, request: DiagnoseRequest) -> Diagnosis:
        return self._call("diagnose", request)  # type: ignore[return-value]

    def propose(self, request: ProposeRequest) -> list[Hypothesis]:
        return self._call("propose", request).hypotheses  # type: ignore[attr-defined]

    def implement(self, request: ImplementRequest) -> Solution:
        return self._call("implement", request)  # type: ignore[return-value]

    def debug(self, request: DebugRequest) -> Solution:
        return self._call("debug", request)  # type: ignore[return-value]

    def _call(self, call: str, request: BaseModel) -> BaseModel:
        raise NotImplementedError


def _ask(driver: Driver, call: str, request: BaseModel) -> BaseModel:
    answer = getattr(driver, call)(request)
    return Proposals(hypotheses=answer) if call == "propose" else answer


class RecordingDriver(_Calls):
    """Another driver, with every answer (or failure) appended to a recording."""

    name = "recording"

    def __init__(self, inner: Driver, path: str | os.PathLike[str] | Recording) -> None:
        self.inner = inner
        self.recording = path if isinstance(path, Recording) else Recording(path, create=True)

    @property  # type: ignore[override]
    def emit(self) -> Callable[[Any], Any] | None:
        return self.inner.emit

    @emit.setter
    def emit(self, value: Callable[[Any], Any] | None) -> None:
        self.inner.emit = value

    def describe(self) -> dict[str, Any]:
        return {**self.inner.describe(), "recording": str(self.recording.path)}

    def _call(self, call: str, request: BaseModel) -> BaseModel:
        key = request_key(call, request)
        try:
            answer = _ask(self.inner, call, request)
        except DriverError as exc:
            self.recording.append({"call": call, "key": key, "error": str(exc)})
            raise
        self.recording.append({"call": call, "key": key, "answer": answer.model_dump(mode="json")})
        return answer


class ReplayDriver(_Calls):
    """Answers from a recording; misses fail (strict) or go to a fallback driver."""

    name = "replay"

    def __init__(
        self,
        path: str | os.PathLike[str],
        strict: bool = True,
        fallback: Driver | str | None = None,
        fallback_options: dict[str, Any] | None = None,
        record: bool = False,
    ) -> None:
        if record and fallback is None:
            raise ConfigError("recording needs a driver to record", hint="give a fallback driver")
        self.recording = Recording(path, create=record)
        self.strict = strict and fallback is None
        if isinstance(fallback, str):
            fallback = make_driver(fallback, **(fallback_options or {}))
        elif fallback is None and not strict:
            fallback = make_driver("heuristic")
        self.fallback: Driver | None = fallback
        self.record = record
        self._emit: Callable[[Any], Any] | None = None

    @property  # type: ignore[override]
    def emit(self) -> Callable[[Any], Any] | None:
        return self._emit

    @emit.setter
    def emit(self, value: Callable[[Any], Any] | None) -> None:
        self._emit = value
        if self.fallback is not None:
            self.fallback.emit = value

    def describe(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "driver": self.name,
            "recording": str(self.recording.path),
            "answers": len(self.recording),
        }
        if self.fallback is not None:
            out["fallback"] = self.fallback.describe()
            out["record"] = self.record
        return out

    def _call(self, call: str, request: BaseModel) -> BaseModel:
        key = request_key(call, request)
        entry = self.recording.next(key)
        if entry is not None:
            if entry.get("error") is not None:
                raise DriverError(f"{call} (replayed): {entry['error']}")
            try:
                return ANSWER_MODELS[call].model_validate(entry["answer"])
            except (KeyError, ValueError) as exc:
                raise DriverError(
                    f"the recorded answer to {call} ({key[:12]}) is unusable: {exc}"
                ) from None
        if self.fallback is None:
            raise DriverError(
                f"no recorded answer to {call} (request {key[:12]}) in {self.recording.path}",
                hint="the run asked something the recording does not hold: record it again, "
                "or replay with a fallback driver (strict=False)",
            )
        if not self.record:
            return _ask(self.fallback, call, request)
        try:
            answer = _ask(self.fallback, call, request)
        except DriverError as exc:
            self.recording.append({"call": call, "key": key, "error": str(exc)})
            raise
        self.recording.append({"call": call, "key": key, "answer": answer.model_dump(mode="json")})
        return answer
