"""Metrics of real recorded runs, checked against values worked out by hand from their files.

Timestamps below are copied from each fixture's events.jsonl; the arithmetic is written out so
every expected number can be traced to the lines it comes from.
"""

from __future__ import annotations

import json

import pytest

from ascent.analysis.build import analyse_run
from ascent.analysis.clock import used_seconds
from ascent.record.recorder import read_events
from tests.analysis.conftest import EXAMPLE, IDLER, PENGUIN, SLEEPY, STEPPER

approx = pytest.approx


def test_example_run(recorded):
    report = analyse_run(recorded(EXAMPLE), PENGUIN)
    m = report.metrics
    start = 1795896283.1796703  # seq 1, run_start
    assert report.status == "finished" and report.segments == 1
    assert report.used_seconds == approx(1795896287.3693302 - start, abs=1e-3)  # seq 9
    assert [p.submission_id for p in report.trajectory] == ["s0001", "s0002"]
    assert m.time_to_first_valid.value == approx(1795896286.2375062 - start, abs=1e-3)
    assert m.time_to_first_valid.split == "public" and m.time_to_first_valid.evidence == [4]
    # s0002 (0.0348) beats s0001 (0.1060) on log loss, lower is better
    assert m.time_to_first_improvement.value == approx(1795896286.3640437 - start, abs=1e-3)
    assert m.time_to_best.value == m.time_to_first_improvement.value
    assert m.best_public_score.value == approx(0.034823329666989956)
    assert m.best_public_score.split == "public"
    assert m.final_private_score.value == approx(0.05613433592084868)
    assert m.final_private_score.split == "private" and m.final_private_score.evidence == [8]
    assert m.valid_submission_rate.value == 1.0 and m.monotonic_ratio.value == 1.0
    assert m.improvements.value == 1
    assert m.budget_used.value == approx((1795896287.3693302 - start) / 120, abs=1e-4)
    assert m.submission_budget_used.value == approx(2 / 20)
    assert m.gap_to_deadline.value == approx(120 - (1795896286.3640437 - start), abs=1e-3)
    assert m.code_snapshots.value == 1 and m.code_churn_per_step.value is None
    assert m.commands.value == 1 and m.command_failures.value == 0
    assert m.llm_calls.value == 0 and m.copy_model_submissions.value is None
    assert report.failures == []
    assert report.final.medal == "gold" and report.routes is None


def test_stepper_run(recorded):
    report = analyse_run(recorded(STEPPER), PENGUIN)
    m = report.metrics
    start = 1795896419.1488235
    points = {p.submission_id: p for p in report.trajectory}
    assert list(points) == ["s0001", "s0002", "s0003", "s0004", "s0005"]
    assert points["s0001"].status == "invalid" and points["s0001"].best_so_far is None
    assert [points[s].improved for s in points] == [False, True, True, False, True]
    assert points["s0004"].best_so_far == approx(0.05836099839391568)  # s0003 stays best
    assert points["s0005"].final
    # the code each submission was made from: the last snapshot before its grading event
    assert points["s0001"].snapshot.startswith("97bb4f57")  # seq 5 < seq 7
    assert points["s0005"].snapshot.startswith("11746e27")  # seq 20 < seq 23
    assert m.submissions.value == 5 and m.duplicate_submissions.value == 1
    assert m.duplicate_submissions.evidence == [17]
    assert m.valid_submission_rate.value == approx(4 / 5)
    assert m.time_to_first_valid.value == approx(1795896428.8410964 - start, abs=1e-3)
    assert m.time_to_first_improvement.value == approx(1795896433.1567314 - start, abs=1e-3)
    assert m.time_to_best.value == approx(1795896447.4920542 - start, abs=1e-3)
    # valid scores 1.0207, 0.0584, 0.7385, 0.0540: of the three steps one got worse
    assert m.monotonic_ratio.value == approx(2 / 3, abs=1e-4)
    assert m.improvements.value == 2 and m.improvements.evidence == [13, 23]
    # git numstat of the six snapshots after the first: +3-2, +10-2, +5-10, +9-5, +5-7, +9-5
    assert [(s.added, s.removed) for s in report.snapshots[1:]] == [
        (3, 2), (10, 2), (5, 10), (9, 5), (5, 7), (9, 5),
    ]  # fmt: skip
    assert m.code_churn_per_step.value == approx(72 / 6)
    assert m.refusals.value == 2 and m.refusals.evidence == [18, 19]
    assert m.cpu_seconds.value == approx(16.592) and m.cpu_seconds.evidence == [22]
    assert m.peak_rss_mb.value == approx(145.4)
    failures = {f.code: f for f in report.failures}
    assert list(failures) == [
        "code_error",
        "invalid_submission",
        "training_diverged",
        "sandbox_refusal",
    ]
    # agent.log line 1 starts the traceback, line 20 names the error
    code = failures["code_error"]
    assert [ln.number for ln in code.evidence.log_lines] == [1, 20]
    assert "FileNotFoundError" in code.evidence.log_lines[1].text
    assert code.source == "agent_log" and code.party == "agent"
    assert failures["invalid_submission"].evidence.events == [7]
    # "epoch 2 loss=nan" ... "epoch 6 loss=nan" are lines 29 to 33
    diverged = failures["training_diverged"]
    assert [ln.number for ln in diverged.evidence.log_lines] == [29, 30, 31, 32, 33]
    assert failures["sandbox_refusal"].evidence.events == [18, 19]
    assert "/etc/hostname" in failures["sandbox_refusal"].summary


def test_idler_run_timed_out_without_submitting(recorded):
    report = analyse_run(recorded(IDLER), PENGUIN)
    m = report.metrics
    assert report.end_reason == "deadline" and report.trajectory == []
    assert [f.code for f in report.failures] == ["timeout_no_submission"]
    assert report.failures[0].evidence.events == [7, 8]
    assert "no submission at all" in report.failures[0].summary
    assert m.time_to_first_valid.value is None and m.gap_to_deadline.value is None
    assert m.valid_submission_rate.value is None
    assert m.cpu_seconds.value == approx(8.977) and m.peak_rss_mb.value == approx(173.5)
    assert [r.seq for r in report.resources] == [3, 4, 5]
    assert report.used_seconds == approx(1795896470.3072207 - 1795896457.883965, abs=1e-3)


def test_killed_and_resumed_run_counts_active_time_only(recorded):
    run_dir = recorded(SLEEPY)
    report = analyse_run(run_dir, PENGUIN)
    first = 1795896475.4581146 - 1795896474.562081  # segment 1: seq 1 to seq 5
    second = 1795896487.009349 - 1795896485.8086224  # segment 2: seq 6 to seq 13
    assert report.segments == 2
    assert report.used_seconds == approx(first + second, abs=1e-3)
    assert used_seconds(read_events(run_dir / "events.jsonl")) == approx(first + second)
    s1, s2 = report.trajectory
    assert s1.seconds == approx(1795896475.399632 - 1795896474.562081, abs=1e-3)
    # s0002 came 0.75 s into segment 2: the 10 s the harness was down do not count
    assert s2.seconds == approx(first + 1795896486.5594313 - 1795896485.8086224, abs=1e-3)
    assert s2.improved and s2.snapshot.startswith("cb6d7067")
    assert report.metrics.gap_to_deadline.value == approx(60 - s2.seconds, abs=1e-3)
    starts = [t for t in report.timeline if t.kind == "run_start"]
    assert [t.summary.startswith("segment 2") for t in starts] == [False, True]
    assert starts[1].seconds == approx(first, abs=1e-3)


def test_report_of_a_run_killed_and_not_yet_resumed(recorded):
    """The state right after kill -9: five events, run.json still says running."""
    run_dir = recorded(SLEEPY)
    lines = (run_dir / "events.jsonl").read_text().splitlines(keepends=True)
    (run_dir / "events.jsonl").write_text("".join(lines[:5]) + lines[5][:40])  # torn line
    state = json.loads((run_dir / "run.json").read_text())
    state.update(status="running", end_reason=None, final=None, segments=state["segments"][:1])
    (run_dir / "run.json").write_text(json.dumps(state))
    (run_dir / "submissions" / "s0002.json").unlink()
    report = analyse_run(run_dir, PENGUIN)
    assert report.status == "running" and report.segments == 1 and report.final is None
    assert [p.submission_id for p in report.trajectory] == ["s0001"]
    assert report.used_seconds == approx(1795896475.4581146 - 1795896474.562081, abs=1e-3)
    assert report.metrics.final_private_score.value is None
    assert "is running: 1 s of its 60 s budget used so far" in report.narrative.text


def test_metric_direction_comes_from_the_task(recorded):
    """Without explicit facts the bundled task declares log loss, lower is better."""
    report = analyse_run(recorded(STEPPER))
    assert report.metric == "log_loss" and report.higher_is_better is False
    assert report.family == "mle"
