"""The web UI's routes, through FastAPI's test client (the browser test drives a real one)."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time

import httpx
import pytest
from fastapi.testclient import TestClient

from ascent.ui.app import create_app
from tests.analysis.conftest import EXAMPLE, IDLER, STEPPER, end, start, write_run
from tests.ui.conftest import LIVE


@pytest.fixture
def client(ui_home):
    return TestClient(create_app(ui_home, loopback_only=False))


def run_ids(html: str) -> list[str]:
    return re.findall(r'class="run-link" href="/runs/([^"]+)"', html)


def test_runs_list_and_its_filters(client):
    assert len(run_ids(client.get("/").text)) == 4
    assert run_ids(client.get("/?agent=stepper").text) == [STEPPER]
    assert sorted(run_ids(client.get("/?medal=gold").text)) == [EXAMPLE, STEPPER]
    assert run_ids(client.get("/?q=idler").text) == [IDLER]
    assert run_ids(client.get("/?status=running").text) == []


def test_run_page_has_plots_submissions_and_the_latest_diff(client):
    page = client.get(f"/runs/{STEPPER}")
    assert page.status_code == 200
    html = page.text
    assert 'id="trajectory-plot"' in html and html.count("<svg") == 3
    assert html.count('<tr class="improved">') == 3  # s0002, s0003, s0005 set new bests
    # by default the last two snapshots: the 1-NN version replaced by the blend
    assert "+from sklearn.ensemble import HistGradientBoostingClassifier" in html
    assert "-from sklearn.neighbors import KNeighborsClassifier" in html
    assert "<script" not in html.replace('<script src="/static/live.js" defer></script>', "")
    assert "default-src 'self'" in page.headers["content-security-policy"]


def test_diff_between_any_two_snapshots(client):
    first, second = (
        "040bddc5fb45bea7d84a72f8b70b4b53abee718f",
        "97bb4f5730243182936009c051ad078c862dd070",
    )
    diff = client.get(f"/runs/{STEPPER}/diff", params={"a": first, "b": second})
    assert diff.status_code == 200
    assert (
        "+out = pd.DataFrame({&#34;id&#34;: test[&#34;id&#34;], &#34;species&#34;: &#34;Adelie&#34;})"
        in diff.text
    )
    assert "1 file(s) changed" in diff.text
    same = client.get(f"/runs/{STEPPER}/diff", params={"a": first, "b": first})
    assert "hold the same code" in same.text


@pytest.mark.parametrize("commit", ["--output=/tmp/x", "HEAD", "a" * 41, "zzzzzzz"])
def test_diff_refuses_anything_but_commit_ids(client, commit):
    answer = client.get(f"/runs/{STEPPER}/diff", params={"a": commit, "b": "11746e27"})
    assert answer.status_code == 404 and "is not a snapshot commit" in answer.text


def test_unknown_runs_and_paths_are_not_found(client):
    assert client.get("/runs/nope").status_code == 404
    assert client.get("/runs/..%2F..%2Fetc").status_code == 404
    assert client.get("/static/../app.py").status_code == 404
    assert client.get("/runs/.hidden").status_code == 404


def test_read_only(client):
    for method in ("post", "put", "delete", "patch"):
        assert getattr(client, method)(f"/runs/{STEPPER}").status_code == 405


def test_other_hosts_are_refused_when_bound_to_loopback(ui_home):
    app = create_app(ui_home)
    assert TestClient(app, base_url="http://127.0.0.1:8421").get("/").status_code == 200
    assert TestClient(app, base_url="http://localhost").get("/").status_code == 200
    assert TestClient(app, base_url="http://[::1]:8421").get("/").status_code == 200
    assert TestClient(app, base_url="http://attacker.example").get("/").status_code == 421


def test_reports_served_without_the_run_token(client, ui_home):
    token = json.loads((ui_home.runs / STEPPER / "run.json").read_text())["token"]
    for route in ("", "/report.html", "/report.json", "/live"):
        answer = client.get(f"/runs/{STEPPER}{route}")
        assert answer.status_code == 200 and token not in answer.text
    assert client.get(f"/runs/{STEPPER}/report.json").json()["metrics"]["submissions"]["value"] == 5
    assert token not in client.get("/api/runs").text


def test_compare_and_sweep_pages(client, ui_home):
    page = client.get("/compare", params=[("run", EXAMPLE), ("run", STEPPER)])
    assert page.status_code == 200 and page.text.count("<svg") == 2
    assert f'href="/runs/{EXAMPLE}"' in page.text
    assert client.get("/compare", params={"run": EXAMPLE}).status_code == 400
    state = json.loads((ui_home.runs / IDLER / "run.json").read_text())
    state["options"]["sweep_id"] = "nightly"
    (ui_home.runs / IDLER / "run.json").write_text(json.dumps(state))
    assert "Sweep nightly" in client.get("/sweeps/nightly").text
    assert client.get("/sweeps/none-such").status_code == 404


def test_live_updates_follow_a_running_run(client, live_run):
    progress = client.get(f"/api/runs/{LIVE}/progress").json()
    assert progress == {"last_seq": 5, "status": "running", "ended": False}
    page = client.get(f"/runs/{LIVE}").text
    assert 'data-ended="false"' in page and "live-indicator" in page
    assert "s0002" not in client.get(f"/runs/{LIVE}/live").text
    live_run.finish()
    assert client.get(f"/api/runs/{LIVE}/progress").json() == {
        "last_seq": 13,
        "status": "finished",
        "ended": True,
    }
    fragment = client.get(f"/runs/{LIVE}/live").text
    assert "s0002" in fragment and 'id="live-main"' in fragment


def test_agent_text_is_escaped_on_pages(client, ui_home):
    hostile = "<script>alert(1)</script>"
    events = [
        start(),
        {"ts": 1001, "kind": "refusal", "what": hostile, "reason": "x", "status_code": 400},
        end(1002),
    ]
    write_run(
        ui_home.runs / "penguin-species.hostile.1",
        events,
        log=f"Traceback (most recent call last):\nValueError: {hostile}\n",
    )
    page = client.get("/runs/penguin-species.hostile.1").text
    assert hostile not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_ascent_serve_listens_on_loopback_and_answers(ui_home):
    env = {**os.environ, "ASCENT_HOME": str(ui_home.home)}
    server = subprocess.Popen(
        [sys.executable, "-m", "ascent", "serve", "--port", "0"],
        env=env,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        line = server.stderr.readline()
        match = re.search(r"http://127\.0\.0\.1:(\d+)/", line)
        assert match, line
        url = match.group(0)
        deadline = time.monotonic() + 30
        while True:
            try:
                answer = httpx.get(url, timeout=5)
                break
            except httpx.ConnectError:
                assert time.monotonic() < deadline, "ascent serve did not answer"
                time.sleep(0.2)
        assert answer.status_code == 200 and STEPPER in answer.text
        assert httpx.post(url, timeout=5).status_code == 405
    finally:
        server.terminate()
        server.wait(10)
