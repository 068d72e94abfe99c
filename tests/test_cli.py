"""The `ascent` command: version, tasks, doctor, demo, and its error contract."""

import json
import subprocess
import sys
from pathlib import Path

from ascent import __version__


def test_version(cli):
    result = cli("--version")
    assert result.exit_code == 0 and result.stdout.strip() == f"ascentlab {__version__}"


def test_tasks_list_json_and_family_filter(cli, home):
    rows = json.loads(cli("tasks", "list", "--json").stdout)
    mle = [r for r in rows if r["family"] == "mle"]
    assert len(mle) >= 10
    assert {"id", "metric", "higher_is_better", "prepared", "source"} <= set(mle[0])
    only = json.loads(cli("tasks", "list", "--family", "mle", "--json").stdout)
    assert {r["family"] for r in only} == {"mle"}
    bad = cli("tasks", "list", "--family", "vision")
    assert bad.exit_code == 2 and "unknown family 'vision'" in bad.stderr


def test_tasks_show(cli, home):
    shown = cli("tasks", "show", "penguin-species")
    assert (
        shown.exit_code == 0 and "log_loss" in shown.stdout and "Submission format" in shown.stdout
    )
    spec = json.loads(cli("tasks", "show", "penguin-species", "--json").stdout)
    assert spec["spec"]["mle"]["classes"] == ["Adelie", "Chinstrap", "Gentoo"]


def test_unknown_task_is_exit_2_with_a_suggestion(cli, home):
    result = cli("tasks", "show", "penguin-specie")
    assert result.exit_code == 2
    assert result.stderr.strip() == (
        "error: no task with id 'penguin-specie' (did you mean penguin-species?)"
    )


def test_prepare_requires_ids_and_marks_prepared(cli, home):
    assert cli("tasks", "prepare").exit_code == 2
    result = cli("tasks", "prepare", "penguin-species")
    assert result.exit_code == 0 and "checksum" in result.stdout
    rows = {r["id"]: r for r in json.loads(cli("tasks", "list", "--json").stdout)}
    assert rows["penguin-species"]["prepared"] is True
    assert cli("tasks", "verify", "penguin-species").exit_code == 0


def test_doctor_json(cli, home):
    result = cli("doctor", "--json")
    assert result.exit_code == 0
    checks = {c["name"]: c for c in json.loads(result.stdout)}
    assert checks["python"]["ok"] and checks["store"]["ok"]
    assert {"bwrap", "heuristic", "llm", "torch", "SmolLM2-135M-Instruct"} <= set(checks)
    for check in checks.values():
        assert check["ok"] or check["fix"], check


def test_corrupt_store_is_one_line_and_untouched(cli, home):
    home.db.write_bytes(b"garbage" * 1000)
    result = cli("tasks", "prepare", "penguin-species")
    assert result.exit_code == 2
    assert "not a readable SQLite database" in result.stderr and "\n" not in result.stderr.strip()
    assert home.db.read_bytes() == b"garbage" * 1000


def test_demo_runs_an_agent_end_to_end_and_writes_a_report(cli, home):
    result = cli("demo", "--budget-seconds", "50")
    assert result.exit_code == 0, result.stderr
    report_line = [line for line in result.stdout.splitlines() if line.startswith("report: ")][-1]
    report_md = Path(report_line.removeprefix("report: ").strip())
    assert report_md.is_file() and "private split score" in report_md.read_text()
    report = json.loads((report_md.parent / "report.json").read_text())
    assert report["agent"] == "gome" and report["status"] == "finished"
    assert report["final"]["valid"] and report["final"]["any_medal"]


def test_module_entry_point_runs_as_a_process(home):
    proc = subprocess.run(
        [sys.executable, "-m", "ascent", "tasks", "show", "no-such-task"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 2
    assert proc.stderr.startswith("error: no task with id 'no-such-task'")
    assert "Traceback" not in proc.stderr


def test_bad_option_values_are_usage_errors_not_tracebacks(cli, home):
    result = cli("run", "--task", "penguin-species", "--max-submissions", "0")
    assert result.exit_code == 2 and "Traceback" not in result.stderr
    assert "max-submissions" in result.stderr
