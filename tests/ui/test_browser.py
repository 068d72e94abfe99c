"""The web UI in a real headless Chromium (Debian's, driven by Playwright): runs list, a run
page with its plot and a code diff, a screenshot, and live updates of a running run.

`make test` installs Chromium (`make browser-tools`); without it these tests are skipped with the
reason. ASCENT_DOCS_SCREENSHOTS=1 also writes the screenshots to docs/.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from ascent.harness.grading.server import ServerThread
from ascent.ui.app import create_app
from tests.analysis.conftest import STEPPER
from tests.conftest import REPO
from tests.ui.conftest import LIVE

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-extensions",
    "--disable-dev-shm-usage",
    "--no-first-run",
]


@pytest.fixture
def browser():
    if CHROMIUM is None:
        pytest.skip("chromium is not installed (make browser-tools installs Debian's chromium)")
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
    with sync_api.sync_playwright() as p:
        launched = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            yield launched
        finally:
            launched.close()


@pytest.fixture
def server(ui_home, live_run):
    thread = ServerThread(create_app(ui_home, allowed_hosts=["127.0.0.1"])).start()
    try:
        yield thread
    finally:
        thread.stop()


def _keep(page, name: str, tmp_path: Path) -> Path:
    shot = tmp_path / name
    page.screenshot(path=str(shot), full_page=False)
    if os.environ.get("ASCENT_DOCS_SCREENSHOTS") == "1":
        shutil.copy(shot, REPO / "docs" / name)
    return shot


def test_runs_list_run_page_plot_and_diff(browser, server, tmp_path):
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("console", lambda msg: msg.type == "error" and errors.append(msg.text))
    page.goto(server.url + "/")
    rows = page.locator("#runs-table a.run-link")
    assert rows.count() == 5
    _keep(page, "ui-runs-list.png", tmp_path)

    page.locator(f"a.run-link:text-is('{STEPPER}')").click()
    page.wait_for_url(f"**/runs/{STEPPER}")
    plot = page.locator("#trajectory-plot svg")
    plot.wait_for(state="visible")
    assert plot.bounding_box()["width"] > 600
    assert page.locator("#submissions-table tr").count() == 6  # header + 5 submissions

    # any two snapshots: the data-path typo against the first labels version
    page.select_option("#diff-a", value="040bddc5fb45bea7d84a72f8b70b4b53abee718f")
    page.select_option("#diff-b", value="97bb4f5730243182936009c051ad078c862dd070")
    page.click("#diff-show")
    page.wait_for_url("**a=040bddc5fb45bea7d84a72f8b70b4b53abee718f**")
    added = page.locator("#diff-text .add")
    assert added.count() == 3
    assert '+train = pd.read_csv("public/train.csv")' in added.nth(0).inner_text()
    assert page.locator("#diff-text .del").count() == 2
    page.set_viewport_size({"width": 1280, "height": 1250})
    page.evaluate("() => window.scrollTo(0, 0)")
    shot = _keep(page, "ui-run-page.png", tmp_path)
    assert shot.stat().st_size > 20_000
    page.locator("#diff").scroll_into_view_if_needed()
    page.evaluate("() => window.scrollBy(0, -20)")
    _keep(page, "ui-run-diff.png", tmp_path)
    assert errors == []


def test_a_running_run_updates_without_reloading(browser, server, live_run):
    from playwright.sync_api import expect

    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.goto(f"{server.url}/runs/{LIVE}")
    assert page.locator("#submissions-table tr").count() == 2
    page.evaluate("() => { document.body.dataset.marker = 'same page'; }")
    live_run.finish()
    # the page polls every 2 s; a new event fetches the fragment and swaps it in
    expect(page.locator("#submissions-table tr")).to_have_count(3, timeout=15_000)
    assert "s0002" in page.locator("#submissions-table").inner_text()
    assert page.evaluate("() => document.body.dataset.marker") == "same page"  # not reloaded
    expect(page.locator("#live-indicator")).to_have_count(0, timeout=10_000)
