"""The three report files: versioned JSON, Markdown and self-contained HTML; agent text inert."""

from __future__ import annotations

import json
import re

from ascent.analysis.build import analyse_run, write_report
from ascent.analysis.narrative import DRIVER_NOTE, TEMPLATE_NOTE
from ascent.analysis.schema import REPORT_VERSION, RunReport, json_schema
from ascent.analysis.text import md_block
from tests.analysis.conftest import PENGUIN, STEPPER, end, start, submission, write_run
from tests.conftest import REPO

HOSTILE = '<script>alert("x")</script><img src=x onerror=alert(1)>'


def test_report_files_of_a_recorded_run(recorded):
    run_dir = recorded(STEPPER)
    files = write_report(run_dir, analyse_run(run_dir, PENGUIN))
    report = RunReport.model_validate_json(files.json.read_text())
    assert report.version == REPORT_VERSION == 2
    data = json.loads(files.json.read_text())
    for field in (
        "final",
        "status",
        "agent",
        "submissions_valid",
        "submissions_charged",
        "segments",
        "used_seconds",
        "trajectory",
    ):
        assert field in data  # version-1 fields are kept
    token = json.loads((run_dir / "run.json").read_text())["token"]
    assert token not in files.json.read_text() + files.md.read_text() + files.html.read_text()
    md = files.md.read_text()
    assert "**private split score: 0.06112**" in md
    assert "| time to first valid submission | 9.7 s | public | #10 |  |" in md
    assert "## Failures" in md and "### Training diverged (NaN or exploding loss)" in md
    assert "29 | epoch 2 loss=nan" in md
    html = files.html.read_text()
    assert html.startswith("<!doctype html>") and html.count("<svg") == 3
    assert "<script" not in html and not re.search(r"(src|href)=[\"']?(https?:|//)", html)
    assert "default-src 'none'" in html
    assert 'id="trajectory-plot"' in html and "s0005" in html


def test_agent_text_is_escaped_in_html_and_inert_in_markdown(tmp_path):
    log = f"{HOSTILE}\nTraceback (most recent call last):\n  File 'x'\nValueError: ``` {HOSTILE}\n"
    events = [
        start(),
        {
            "ts": 1001,
            "kind": "refusal",
            "what": f"submit {HOSTILE}",
            "reason": "outside",
            "status_code": 400,
        },
        submission(1002, "s0001", "invalid", None, error=f"bad column {HOSTILE}"),
        end(1003),
    ]
    entries = [
        {"submission_id": "s0001", "seq": 1, "status": "invalid", "error": f"bad column {HOSTILE}"}
    ]
    run = write_run(tmp_path / "hostile", events, entries, log=log)
    files = write_report(run, analyse_run(run, PENGUIN))
    html = files.html.read_text()
    assert "<script" not in html and "<img" not in html
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in html
    assert html.count("&lt;img src=x onerror=alert(1)&gt;") >= 3  # refusal, error, log line
    md = files.md.read_text()
    # outside fenced blocks (shown verbatim) nothing of it can render as markup
    prose = re.sub(r"(?ms)^(`{3,})text\n.*?^\1$", "", md)
    assert "````text" in md  # a fence the log's own ``` cannot close
    assert "<script>" not in prose and "<img" not in prose and "&lt;script&gt;" in prose


def test_markdown_fence_outgrows_backticks():
    assert md_block("a ``` b").startswith("````text\n")
    assert md_block("plain").startswith("```text\n")


def test_narrative_is_marked_with_its_source(recorded):
    run_dir = recorded(STEPPER)
    templated = analyse_run(run_dir, PENGUIN)
    assert templated.narrative.source == "template" and templated.narrative.note == TEMPLATE_NOTE
    text = templated.narrative.text
    assert "4 valid" in text and "0.053971" in text and "gold medal" in text

    seen = []

    def driver(report: RunReport) -> str:
        seen.append(report.metrics.valid_submissions.value)
        return f"The agent fixed a typo, then {HOSTILE} improved."

    written = analyse_run(run_dir, PENGUIN, narrator=driver)
    assert seen == [4]  # the driver reads the measured report
    assert written.narrative.source == "driver" and written.narrative.note == DRIVER_NOTE
    html = write_report(run_dir, written).html.read_text()
    assert "Driver-written summary" in html and "<script>alert" not in html

    def broken(report: RunReport) -> str:
        raise TimeoutError("model endpoint down")

    fallback = analyse_run(run_dir, PENGUIN, narrator=broken).narrative
    assert fallback.source == "template" and "model endpoint down" in fallback.note


def test_the_published_schema_is_current():
    published = (REPO / "docs" / "report-schema.json").read_text()
    assert published == json_schema(), (
        "regenerate: ascent report --schema > docs/report-schema.json"
    )
    assert re.search(r'"version"', published)
