"""`ascent report` on recorded runs: one run, comparisons, sweeps, errors."""

from __future__ import annotations

import json

import pytest

from tests.analysis.conftest import ALL_RUNS, EXAMPLE, IDLER, SLEEPY, STEPPER, copy_run


@pytest.fixture
def runs(home):
    for name in ALL_RUNS:
        copy_run(name, home.runs)
    return home


def test_report_of_a_killed_and_resumed_run(cli, runs):
    result = cli("report", "penguin-species.sleepy", "--format", "json")
    assert result.exit_code == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["version"] == 2 and report["segments"] == 2
    assert report["used_seconds"] == pytest.approx(2.0968, abs=1e-3)
    assert [p["submission_id"] for p in report["trajectory"]] == ["s0001", "s0002"]
    assert report["submissions_charged"] == 2 and report["final"]["submission_id"] == "s0002"
    run_dir = runs.runs / SLEEPY
    assert json.loads((run_dir / "report.json").read_text())["version"] == 2  # rewritten
    assert (run_dir / "report.html").read_text().count("<svg") == 3


def test_report_prints_markdown_or_the_html_path(cli, runs):
    md = cli("report", STEPPER)
    assert md.exit_code == 0 and md.stdout.startswith(f"# Run {STEPPER}")
    html = cli("report", STEPPER, "-f", "html")
    assert html.stdout.strip() == str(runs.runs / STEPPER / "report.html")


def test_compare_and_sweep(cli, runs):
    result = cli("report", "--compare", EXAMPLE, STEPPER, IDLER, "-f", "json")
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    assert [r["agent"] for r in data["runs"]] == ["example", "stepper", "idler"]
    assert {g["group"]: g["any_medal"]["mean"] for g in data["groups"]} == {
        "example": 1.0,
        "idler": 0.0,
        "stepper": 1.0,
    }
    assert list((runs.home / "reports").glob("compare-*.html"))
    for name in (EXAMPLE, STEPPER):
        state = json.loads((runs.runs / name / "run.json").read_text())
        state["options"]["sweep_id"] = "night"
        (runs.runs / name / "run.json").write_text(json.dumps(state))
    swept = cli("report", "--sweep", "night", "-f", "md")
    assert swept.exit_code == 0 and swept.stdout.startswith("# Sweep night")
    assert (runs.home / "reports" / "sweep-night.html").is_file()


def test_report_errors_are_one_line(cli, runs):
    assert "give one run" in cli("report").stderr
    assert "names 4 runs" in cli("report", "penguin").stderr
    assert "needs two runs" in cli("report", "--compare", EXAMPLE).stderr
    bad = cli("report", EXAMPLE, "-f", "pdf")
    assert bad.exit_code == 2 and "unknown format 'pdf'" in bad.stderr


def test_a_run_whose_task_is_gone_keeps_its_metric(cli, runs):
    state = json.loads((runs.runs / EXAMPLE / "run.json").read_text())
    state["options"]["task_id"] = "retired-task"
    (runs.runs / EXAMPLE / "run.json").write_text(json.dumps(state))
    # its earlier report names the metric: log loss, lower is better
    result = cli("report", EXAMPLE, "-f", "json")
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["higher_is_better"] is False
    (runs.runs / EXAMPLE / "report.json").unlink()
    gone = cli("report", EXAMPLE)
    assert gone.exit_code == 2 and "add the task's folder with --task-dir" in gone.stderr
