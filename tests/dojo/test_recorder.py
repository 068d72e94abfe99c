"""The event log: durable, numbered, repaired after a torn write, indexed in SQLite."""

import json

from ascent.record import events as ev
from ascent.record.recorder import Recorder, read_events
from ascent.store import Store


def test_events_are_numbered_persisted_and_indexed(tmp_path):
    store = Store(tmp_path / "a.db")
    recorder = Recorder(tmp_path, "r1", store)
    recorder.emit(ev.AgentStep(step=1, action="draft"))
    recorder.emit(ev.Submission(submission_id="s0001", status="ok", valid=True, score=0.5))
    recorder.close()
    lines = (tmp_path / "events.jsonl").read_text().splitlines()
    assert [json.loads(line)["seq"] for line in lines] == [1, 2]
    assert [e.kind for e in read_events(tmp_path / "events.jsonl")] == ["agent_step", "submission"]
    indexed = store.events("r1")
    assert [(e.seq, e.kind) for e in indexed] == [(1, "agent_step"), (2, "submission")]
    assert indexed[1].payload["score"] == 0.5


def test_torn_last_line_is_cut_and_numbering_continues(tmp_path):
    recorder = Recorder(tmp_path, "r1")
    recorder.emit(ev.AgentStep(step=1, action="a"))
    recorder.close()
    with (tmp_path / "events.jsonl").open("ab") as fh:
        fh.write(b'{"seq": 2, "ts": 1.0, "kind": "agent_st')  # a crash mid-write
    reopened = Recorder(tmp_path, "r1")
    assert reopened.last_seq == 1
    reopened.emit(ev.AgentStep(step=2, action="b"))
    reopened.close()
    events = read_events(tmp_path / "events.jsonl")
    assert [e.seq for e in events] == [1, 2] and events[1].action == "b"


def test_reindex_fills_a_lost_index_without_duplicates(tmp_path):
    recorder = Recorder(tmp_path, "r1")
    for i in range(5):
        recorder.emit(ev.AgentStep(step=i, action="x"))
    store = Store(tmp_path / "a.db")
    recorder.store = store
    assert recorder.reindex() == 5
    assert recorder.reindex() == 0
    assert len(store.events("r1")) == 5


def test_listeners_see_events_and_a_broken_listener_is_harmless(tmp_path):
    seen = []
    recorder = Recorder(tmp_path, "r1")
    recorder.subscribe(lambda e: 1 / 0)
    recorder.subscribe(seen.append)
    recorder.emit(ev.Refusal(what="GET /x", reason="unknown route", status_code=404))
    assert seen[0].kind == "refusal" and seen[0].seq == 1
