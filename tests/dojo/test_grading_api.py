"""The grading API over real HTTP on 127.0.0.1: rules, budget, refusals, concurrency."""

from __future__ import annotations

import json
import os
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import pandas as pd
import pytest

from ascent.harness.budget import Budget
from ascent.harness.grading.client import GradingClient
from ascent.harness.grading.server import ServerThread, create_app
from ascent.harness.grading.service import GradingService, ServiceConfig
from ascent.record.recorder import Recorder
from ascent.store import Store
from ascent.store.records import RunRecord
from ascent.tasks.grading import Grader

TASK = "penguin-species"
TOKEN = "test-token-123"


@dataclass
class Api:
    client: GradingClient
    service: GradingService
    workspace: object
    recorder: Recorder
    store: Store
    sample: pd.DataFrame
    answers: pd.DataFrame
    url: str

    def write(self, name: str, frame: pd.DataFrame) -> str:
        path = self.workspace / "output" / name
        frame.to_csv(path, index=False)
        return str(path)

    def events(self, kind: str) -> list:
        return [e for e in self.recorder.events() if e.kind == kind]


def _make_api(tmp_path, prepared, max_submissions=20, seconds=600, feedback=None, rate=200.0):
    p = prepared(TASK)
    task = p.task
    if feedback is not None:
        task = type(task)(
            spec=task.spec.model_copy(update={"feedback": feedback}),
            root=task.root,
            source=task.source,
        )
    run_dir = tmp_path / "run"
    workspace = run_dir / "workspace"
    (workspace / "output").mkdir(parents=True)
    store = Store(tmp_path / "a.db")
    store.insert_run(
        RunRecord(
            run_id="r1",
            task_id=TASK,
            family="mle",
            agent="test",
            status="running",
            created_at="now",
            path=str(run_dir),
        )
    )
    recorder = Recorder(run_dir, "r1", store)
    service = GradingService(
        ServiceConfig(
            run_id="r1",
            run_dir=run_dir,
            workspace=workspace,
            inside_root=str(workspace),
            max_bytes=2 * 1024 * 1024,
        ),
        task,
        Grader(p),
        Budget(seconds, max_submissions),
        recorder,
        store,
    )
    server = ServerThread(create_app(service, TOKEN, rate=rate, burst=int(rate))).start()
    api = Api(
        GradingClient(server.url, TOKEN),
        service,
        workspace,
        recorder,
        store,
        pd.read_csv(p.public / "sample_submission.csv"),
        pd.read_csv(p.private / "answers.csv"),
        server.url,
    )
    return api, server


@pytest.fixture
def api(tmp_path, prepared):
    made, server = _make_api(tmp_path, prepared)
    yield made
    server.stop()


def perfect(api: Api) -> pd.DataFrame:
    frame = pd.DataFrame({"id": api.answers["id"]})
    for c in ("Adelie", "Chinstrap", "Gentoo"):
        frame[c] = (api.answers["species"] == c).astype(float)
    return frame


def test_health_status_and_a_valid_submission(api):
    assert api.client.request("GET", "/health").json()["ok"] is True
    response = api.client.submit(api.write("good.csv", perfect(api)))
    assert response.status_code == 200
    body = response.json()
    assert body["valid"] and body["status"] == "ok" and body["split"] == "public"
    assert body["score"] < 1e-6 and body["best_score"] == body["score"]
    assert body["baseline_score"] == pytest.approx(1.0986, abs=1e-3)
    assert body["improvement"] > 1.0
    assert body["remaining"]["submissions"] == 19
    status = api.client.status()
    assert status["submissions_used"] == 1 and status["best_submission_id"] == body["submission_id"]
    [event] = api.events("submission")
    assert event.valid and event.charged
    assert api.store.submissions("r1")[0].status == "ok"


def test_only_the_public_split_is_scored(api, prepared):
    body = api.client.submit(api.write("s.csv", api.sample)).json()
    from ascent.tasks.grading import grade

    p = prepared(TASK)
    assert body["score"] == pytest.approx(
        grade(p, api.workspace / "output" / "s.csv", "public").score
    )


def test_identical_content_is_graded_once_and_not_charged(api):
    first = api.client.submit(api.write("a.csv", api.sample)).json()
    again = api.client.submit(api.write("b.csv", api.sample)).json()
    assert again["duplicate_of"] == first["submission_id"]
    assert again["remaining"]["submissions"] == first["remaining"]["submissions"] == 19
    assert [e.charged for e in api.events("submission")] == [True, False]


def test_invalid_submission_is_charged_and_explained(api):
    body = api.client.submit(api.write("bad.csv", api.sample.drop(columns="Gentoo"))).json()
    assert body["status"] == "invalid" and not body["valid"] and body["score"] is None
    assert "missing column(s) 'Gentoo'" in body["error"]
    assert body["remaining"]["submissions"] == 19


def test_upload_of_the_file_itself(api):
    data = perfect(api).to_csv(index=False).encode()
    body = api.client.upload(data, "upload.csv").json()
    assert body["valid"] and body["score"] < 1e-6


def test_edits_after_submitting_change_nothing(api):
    path = api.write("edit.csv", perfect(api))
    body = api.client.submit(path).json()
    api.write("edit.csv", api.sample)  # the agent rewrites the file afterwards
    entry = api.service.entries()[0]
    stored = api.service.ledger.file_path(entry).read_bytes()
    assert stored == perfect(api).to_csv(index=False).encode()
    assert entry.score == body["score"]


@pytest.mark.parametrize(
    ("make_path", "message"),
    [
        (lambda ws: "/etc/passwd", "outside the workspace"),
        (lambda ws: str(ws / ".." / ".." / "a.db"), "'..'"),
        (lambda ws: str(ws / "output" / "missing.csv"), "does not exist"),
    ],
)
def test_paths_outside_or_missing_are_refused_uncharged(api, make_path, message):
    response = api.client.submit(make_path(api.workspace))
    assert response.status_code == 400 and message in response.json()["error"]
    assert api.client.status()["submissions_used"] == 0
    assert api.events("refusal")[-1].status_code == 400


def test_symlink_and_fifo_submissions_are_refused(api, prepared):
    link = api.workspace / "output" / "link.csv"
    link.symlink_to(prepared(TASK).private / "answers.csv")
    response = api.client.submit(str(link))
    assert response.status_code == 400 and "symbolic link" in response.json()["error"]
    os.mkfifo(api.workspace / "output" / "fifo.csv")
    response = api.client.submit(str(api.workspace / "output" / "fifo.csv"))
    assert response.status_code == 400 and "not a regular file" in response.json()["error"]


def test_tokens_and_routes(api):
    anonymous = GradingClient(api.url, "")
    anonymous._http.headers.pop("Authorization")
    assert anonymous.request("GET", "/status").status_code == 401
    assert GradingClient(api.url, "another-runs-token").request("GET", "/status").status_code == 403
    assert api.client.request("GET", "/admin").status_code == 404
    assert api.client.request("DELETE", "/submit").status_code == 405
    reasons = [e.reason for e in api.events("refusal")]
    assert reasons == [
        "missing bearer token",
        "invalid token",
        "unknown route",
        "method not allowed",
    ]


def test_oversized_upload_is_refused_and_the_api_stays_up(api):
    response = api.client.upload(b"x" * (3 * 1024 * 1024), "huge.csv")
    assert response.status_code == 413
    big = api.workspace / "output" / "big.csv"
    big.write_bytes(b"y" * (3 * 1024 * 1024))
    assert api.client.submit(str(big)).status_code == 413
    assert api.client.request("GET", "/health").status_code == 200
    assert api.client.status()["submissions_used"] == 0


def test_select_chooses_the_final_submission(api):
    good = api.client.submit(api.write("g.csv", perfect(api))).json()
    api.client.submit(api.write("s.csv", api.sample))
    assert api.service.chosen().submission_id == good["submission_id"]  # best by default
    later = api.client.submit(api.write("s2.csv", api.sample.assign(Adelie=0.5)), final=True).json()
    assert later["final"] is True
    assert api.service.chosen().submission_id == later["submission_id"]
    assert api.client.select("s9999").status_code == 404
    assert api.client.select(good["submission_id"]).json()["final"] is True
    assert api.client.status()["final_submission_id"] == good["submission_id"]


def test_concurrent_submits_never_exceed_the_budget(tmp_path, prepared):
    api, server = _make_api(tmp_path, prepared, max_submissions=5)
    try:
        paths = [
            api.write(f"c{i}.csv", api.sample.assign(Adelie=0.3 + i / 1000)) for i in range(20)
        ]
        with ThreadPoolExecutor(max_workers=20) as pool:
            codes = list(pool.map(lambda p: api.client.submit(p).status_code, paths))
        assert codes.count(200) == 5 and codes.count(429) == 15
        entries = api.service.entries()
        assert len(entries) == 5 and len({e.sha256 for e in entries}) == 5
        assert [e.seq for e in entries] == [1, 2, 3, 4, 5]
        assert all(e.status == "ok" for e in entries)
        assert len(api.events("submission")) == 5
        assert len(api.store.submissions("r1")) == 5
    finally:
        server.stop()


def test_concurrent_identical_submits_are_graded_once(api):
    path = api.write("same.csv", api.sample)
    with ThreadPoolExecutor(max_workers=8) as pool:
        bodies = list(pool.map(lambda _: api.client.submit(path).json(), range(8)))
    assert len({b["submission_id"] for b in bodies}) == 1
    assert api.client.status()["submissions_used"] == 1


def test_format_feedback_hides_scores(tmp_path, prepared):
    api, server = _make_api(tmp_path, prepared, feedback="format")
    try:
        body = api.client.submit(api.write("g.csv", perfect(api))).json()
        assert body["valid"] and body["score"] is None and body["best_score"] is None
        assert api.client.status()["best_score"] is None
        assert all(s["score"] is None for s in api.client.submissions())
        assert api.service.entries()[0].score is not None  # recorded, only not shown
    finally:
        server.stop()


def test_after_the_deadline_submissions_are_refused(tmp_path, prepared):
    api, server = _make_api(tmp_path, prepared, seconds=0.5)
    try:
        import time

        time.sleep(0.7)
        response = api.client.submit(api.write("late.csv", api.sample))
        assert response.status_code == 403 and "deadline" in response.json()["error"]
    finally:
        server.stop()


def test_rate_limit(tmp_path, prepared):
    api, server = _make_api(tmp_path, prepared, rate=2.0)
    try:
        codes = [api.client.request("GET", "/status").status_code for _ in range(10)]
        assert 429 in codes and codes[0] == 200
    finally:
        server.stop()


def test_pending_submissions_are_graded_on_resume(tmp_path, prepared, api):
    """A submission charged and recorded as pending (the harness died while grading)."""
    entry = api.service._new_entry(
        _stage(api, perfect(api).to_csv(index=False).encode()), "abc", source="output/x.csv"
    )
    assert entry.status == "pending"
    assert api.service.regrade_pending() == 1
    graded = api.service.entries()[0]
    assert graded.status == "ok" and graded.charged
    assert (
        json.loads((api.service.ledger.root / f"{graded.submission_id}.json").read_text())["status"]
        == "ok"
    )


def _stage(api: Api, data: bytes):
    path = api.service.ledger.staging_path("t")
    path.write_bytes(data)
    return path


def test_server_threads_do_not_leak(api):
    before = threading.active_count()
    for _ in range(5):
        api.client.request("GET", "/health")
    assert threading.active_count() <= before + 2


def test_reading_the_ledger_never_touches_a_submit_in_progress(api):
    from ascent.harness.grading.ledger import Ledger

    staged = _stage(api, b"id,Adelie\n")
    Ledger(api.service.ledger.root.parent).entries()  # a reader: report, UI, test
    assert staged.exists()
