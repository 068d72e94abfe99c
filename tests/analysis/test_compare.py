"""Comparisons across runs and sweeps: medal rates with standard errors, trajectories."""

from __future__ import annotations

import json
import math

import pytest

from ascent.analysis.build import analyse_run
from ascent.analysis.compare import compare, rate, write_compare
from ascent.analysis.reports import run_dir_of, sweep_run_dirs
from ascent.errors import AscentError
from tests.analysis.conftest import ALL_RUNS, EXAMPLE, IDLER, PENGUIN, SLEEPY, STEPPER


def test_rate_and_its_standard_error_by_hand():
    stat = rate([True, False, True, True])
    # mean 3/4; sample sd sqrt((3 * 0.25^2 + 0.75^2) / 3) = 0.5; sem 0.5 / sqrt(4) = 0.25
    assert stat.mean == 0.75 and stat.sem == pytest.approx(0.25) and stat.n == 4
    assert rate([True]).sem is None and rate([]).mean is None
    assert rate([False, False]).sem == 0.0


def test_compare_recorded_runs(recorded, tmp_path):
    reports = [analyse_run(recorded(name), PENGUIN) for name in ALL_RUNS]
    result = compare(reports, "four runs")
    assert result.tasks == ["penguin-species"]
    groups = {g.group: g for g in result.groups}
    assert set(groups) == {"example", "stepper", "idler", "sleepy"}
    assert groups["example"].any_medal.mean == 1.0 and groups["idler"].valid_final.mean == 0.0
    rows = {r.agent: r for r in result.runs}
    assert rows["stepper"].failures == [
        "code_error", "invalid_submission", "training_diverged", "sandbox_refusal",
    ]  # fmt: skip
    assert rows["sleepy"].final_score == pytest.approx(1.0918888799940736)
    files = write_compare(tmp_path / "out", "cmp", result, reports)
    html = files["html"].read_text()
    assert html.count("<svg") == 2 and "<script" not in html
    assert "standard error of the mean" in files["md"].read_text()
    assert json.loads(files["json"].read_text())["version"] == 1


def test_medal_rates_pool_runs_of_one_agent(recorded):
    reports = [analyse_run(recorded(name), PENGUIN) for name in (EXAMPLE, STEPPER, SLEEPY)]
    for report in reports:
        report.agent = "same"
    [group] = compare(reports, "pooled").groups
    # medals: gold, gold, none -> 2/3; sd sqrt(((1/3)^2 * 2 + (2/3)^2) / 2) = 0.57735
    assert group.n == 3 and group.any_medal.mean == pytest.approx(2 / 3, abs=1e-6)
    assert group.any_medal.sem == pytest.approx(math.sqrt(1 / 3) / math.sqrt(3), abs=1e-6)


def test_sweep_runs_are_found_from_run_folders(recorded, tmp_path):
    for name in (EXAMPLE, IDLER):
        run_dir = recorded(name)
        state = json.loads((run_dir / "run.json").read_text())
        state["options"]["sweep_id"] = "sw1"
        (run_dir / "run.json").write_text(json.dumps(state))
    recorded(STEPPER)
    runs_root = tmp_path / "runs"
    assert [p.name for p in sweep_run_dirs(runs_root, "sw1")] == [EXAMPLE, IDLER]
    with pytest.raises(AscentError, match="no run belongs to the sweep 'nope'"):
        sweep_run_dirs(runs_root, "nope")


def test_runs_are_named_by_id_prefix_or_folder(recorded, tmp_path):
    run_dir = recorded(STEPPER)
    recorded(SLEEPY)
    runs_root = tmp_path / "runs"
    assert run_dir_of(runs_root, "penguin-species.stepper") == run_dir
    assert run_dir_of(runs_root, str(run_dir)) == run_dir.resolve()
    with pytest.raises(AscentError, match="names 2 runs"):
        run_dir_of(runs_root, "penguin-species")
    with pytest.raises(AscentError, match="not a run id"):
        run_dir_of(runs_root, "../etc", allow_path=False)
    with pytest.raises(AscentError, match="no run"):
        run_dir_of(runs_root, "other")
