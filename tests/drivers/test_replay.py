"""Recorded answers: a recording replays to identical answers; misses are errors or fall back."""

from __future__ import annotations

import json

import pytest

from ascent.drivers.base import make_driver
from ascent.drivers.heuristic import HeuristicDriver
from ascent.drivers.models import (
    DebugRequest,
    DiagnoseRequest,
    DraftRequest,
    ImplementRequest,
    Outcome,
    ProposeRequest,
)
from ascent.drivers.replay import RecordingDriver, ReplayDriver, request_key
from ascent.errors import ConfigError, DriverError


def session(driver, brief):
    """A short sequence of every call, each request built from earlier answers."""
    answers = []
    draft = driver.draft(DraftRequest(brief=brief, index=0))
    outcome = Outcome(ok=True, valid_score=0.12, valid_std=0.02, train_score=0.01)
    diagnosis = driver.diagnose(DiagnoseRequest(brief=brief, solution=draft, outcome=outcome))
    proposals = driver.propose(
        ProposeRequest(brief=brief, solution=draft, outcome=outcome, diagnosis=diagnosis)
    )
    edited = driver.implement(
        ImplementRequest(brief=brief, solution=draft, hypothesis=proposals[0])
    )
    failed = Outcome(ok=False, error="Traceback\nKeyError: 'id_col'")
    fixed = driver.debug(DebugRequest(brief=brief, solution=edited, outcome=failed))
    answers += [draft, diagnosis, proposals, edited, fixed]
    second = driver.draft(DraftRequest(brief=brief, index=1, avoid=[draft.summary]))
    return [*answers, second]


def test_a_recording_replays_to_identical_answers(brief, tmp_path):
    path = tmp_path / "answers.jsonl"
    recorder = RecordingDriver(HeuristicDriver(quality=0.6, seed=3), path)
    recorded = session(recorder, brief)
    lines = [json.loads(line) for line in path.read_text().splitlines()]
    assert [line["call"] for line in lines] == [
        "draft",
        "diagnose",
        "propose",
        "implement",
        "debug",
        "draft",
    ]
    replayed = session(ReplayDriver(path=path), brief)
    assert replayed == recorded
    by_name = session(make_driver("replay", path=str(path)), brief)
    assert by_name == recorded


def test_a_strict_miss_names_the_call(brief, tmp_path):
    path = tmp_path / "answers.jsonl"
    RecordingDriver(HeuristicDriver(), path).draft(DraftRequest(brief=brief, index=0))
    replay = ReplayDriver(path=path)
    with pytest.raises(DriverError, match=r"no recorded answer to draft \(request [0-9a-f]{12}\)"):
        replay.draft(DraftRequest(brief=brief, index=5))
    with pytest.raises(ConfigError, match="no recording"):
        ReplayDriver(path=tmp_path / "missing.jsonl")


def test_misses_fall_back_and_can_be_recorded(brief, tmp_path):
    path = tmp_path / "answers.jsonl"
    path.write_text("")
    heuristic = HeuristicDriver()
    loose = ReplayDriver(path=path, strict=False)  # falls back to the heuristic driver
    assert loose.draft(DraftRequest(brief=brief, index=2)) == heuristic.draft(
        DraftRequest(brief=brief, index=2)
    )
    assert path.read_text() == ""
    recording = ReplayDriver(path=path, fallback="heuristic", record=True)
    first = session(recording, brief)
    assert len(path.read_text().splitlines()) == 6
    assert session(ReplayDriver(path=path), brief) == first
    assert recording.describe()["fallback"] == {"driver": "heuristic", "quality": 1.0}


def test_failures_are_recorded_and_replayed(brief, tmp_path):
    path = tmp_path / "answers.jsonl"
    request = ImplementRequest(
        brief=brief,
        solution=HeuristicDriver().draft(DraftRequest(brief=brief, index=0)),
        hypothesis={"change": "bad", "kind": "model", "edit": {"folds": 99}},
    )
    with pytest.raises(DriverError):
        RecordingDriver(HeuristicDriver(), path).implement(request)
    with pytest.raises(DriverError, match=r"implement \(replayed\): cannot apply bad"):
        ReplayDriver(path=path).implement(request)


def test_keys_are_stable_and_the_file_survives_a_torn_line(brief, tmp_path):
    request = DraftRequest(brief=brief, index=0)
    again = DraftRequest.model_validate_json(request.model_dump_json())
    assert request_key("draft", request) == request_key("draft", again)
    assert request_key("draft", request) != request_key("debug", request)
    path = tmp_path / "answers.jsonl"
    RecordingDriver(HeuristicDriver(), path).draft(request)
    path.write_text(path.read_text() + '{"call": "dra')  # killed while writing
    recorder = RecordingDriver(HeuristicDriver(), path)
    recorder.draft(DraftRequest(brief=brief, index=1))
    replay = ReplayDriver(path=path)
    assert len(replay.recording) == 2
    replay.draft(DraftRequest(brief=brief, index=1))


def test_keys_ignore_timings_and_where_the_workspace_is(brief):
    solution = HeuristicDriver().draft(DraftRequest(brief=brief, index=0))

    def request(root: str, seconds: float) -> DebugRequest:
        facts = {**brief.facts, "workspace": root, "data_path": f"{root}/public"}
        error = f'File "{root}/solutions/node_0001/solution.py", line 3\nKeyError: 1'
        outcome = Outcome(ok=False, seconds=seconds, error=error, extra={"seconds": seconds})
        moved = brief.model_copy(update={"facts": facts})
        return DebugRequest(brief=moved, solution=solution, outcome=outcome)

    key = request_key("debug", request("/workspace", 1.5))
    assert request_key("debug", request("/runs/r2/workspace", 2.25)) == key
    other = request("/workspace", 1.5)
    other.outcome.error = "KeyError: 2"
    assert request_key("debug", other) != key
