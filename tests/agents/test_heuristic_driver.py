"""The heuristic driver: diagnoses that follow the signals, edits that follow diagnoses,
a quality knob that degrades it, and answers that depend only on the request."""

from __future__ import annotations

from ascent.drivers.heuristic import BUGS, HeuristicDriver
from ascent.drivers.models import (
    DebugRequest,
    DiagnoseRequest,
    DraftRequest,
    ImplementRequest,
    Outcome,
    ProposeRequest,
)
from ascent.tasks.mle.skills import MleSkills

SKILLS = MleSkills()


def _diagnose(driver, brief, solution, **outcome):
    return driver.diagnose(
        DiagnoseRequest(brief=brief, solution=solution, outcome=Outcome(ok=True, **outcome))
    )


def test_diagnoses_follow_the_signals(brief_of):
    driver = HeuristicDriver()
    brief, _ = brief_of("diabetes-progression")
    boosting = SKILLS.draft(brief, 0, 0)
    ridge = SKILLS.draft(brief, 1, 0)
    overfit = _diagnose(driver, brief, boosting, valid_score=60.0, train_score=20.0, valid_std=2.0)
    assert overfit.direction == "regularize" and any("gap" in e for e in overfit.evidence)
    linear = _diagnose(driver, brief, ridge, valid_score=56.0, train_score=54.0, valid_std=1.0)
    assert linear.direction == "capacity"
    spread = _diagnose(driver, brief, boosting, valid_score=55.0, train_score=54.0, valid_std=9.0)
    assert spread.direction in ("capacity", "variance")


def test_imbalance_and_ordinal_and_forecast_rules(brief_of):
    driver = HeuristicDriver()
    ketchup, _ = brief_of("ketchup-brand")
    if ketchup.profile["imbalance_ratio"] > 3:
        d = _diagnose(
            driver, ketchup, SKILLS.draft(ketchup, 1, 0), valid_score=0.4, train_score=0.41
        )
        assert d.direction == "imbalance"
    diamonds, _ = brief_of("diamond-cut")
    plain = SKILLS.draft(diamonds, 1, 0)  # logistic: classes treated as unordered
    assert (
        _diagnose(driver, diamonds, plain, valid_score=0.5, train_score=0.5).direction == "target"
    )
    co2, _ = brief_of("co2-forecast")
    boosting = SKILLS.apply(SKILLS.draft(co2, 1, 0), {"trend_features": False}, co2)
    assert (
        _diagnose(driver, co2, boosting, valid_score=5.0, train_score=0.3).direction == "features"
    )


def test_proposals_follow_the_diagnosis_skip_failures_and_look_elsewhere(brief_of):
    driver = HeuristicDriver()
    brief, _ = brief_of("diabetes-progression")
    solution = SKILLS.draft(brief, 0, 0)
    outcome = Outcome(ok=True, valid_score=60.0, train_score=20.0, valid_std=2.0)
    diagnosis = driver.diagnose(DiagnoseRequest(brief=brief, solution=solution, outcome=outcome))
    proposals = driver.propose(
        ProposeRequest(brief=brief, solution=solution, outcome=outcome, diagnosis=diagnosis)
    )
    assert all(h.kind in ("regularize", "model") for h in proposals)
    assert proposals == sorted(proposals, key=lambda h: -h.expected_gain)
    tried = [
        h.change
        for h in driver.propose(
            ProposeRequest(
                brief=brief, solution=solution, outcome=outcome, diagnosis=diagnosis, n=50
            )
        )
    ]
    fresh = driver.propose(
        ProposeRequest(
            brief=brief, solution=solution, outcome=outcome, diagnosis=diagnosis, failures=tried
        )
    )
    assert fresh and not {h.change for h in fresh} & set(tried)


def test_same_request_same_answer_whoever_asks(brief_of):
    brief, _ = brief_of("penguin-species")
    solution = SKILLS.draft(brief, 0, 0)
    request = ProposeRequest(
        brief=brief,
        solution=solution,
        outcome=Outcome(ok=True, valid_score=0.05, train_score=0.0),
        diagnosis=None,
    )
    a = HeuristicDriver(quality=0.5, seed=3)
    b = HeuristicDriver(quality=0.5, seed=3)
    assert a.propose(request) == b.propose(request) == a.propose(request)
    assert HeuristicDriver(quality=0.5, seed=4).propose(request) != a.propose(request)


def test_low_quality_misdiagnoses_and_writes_bugs_that_debug_repairs(brief_of):
    brief, _ = brief_of("diabetes-progression")
    good, weak = HeuristicDriver(quality=1.0), HeuristicDriver(quality=0.0)
    solution = SKILLS.draft(brief, 0, 0)
    outcome = dict(valid_score=60.0, train_score=20.0, valid_std=2.0)
    assert _diagnose(good, brief, solution, **outcome).direction == "regularize"
    assert _diagnose(weak, brief, solution, **outcome).direction != "regularize"
    proposals = good.propose(
        ProposeRequest(
            brief=brief, solution=solution, outcome=Outcome(ok=True, **outcome), diagnosis=None
        )
    )
    # An ensemble is built by the agent from several solutions, not by editing one.
    hypothesis = next(h for h in proposals if not h.edit.get("ensemble"))
    buggy = weak.implement(ImplementRequest(brief=brief, solution=solution, hypothesis=hypothesis))
    clean = good.implement(ImplementRequest(brief=brief, solution=solution, hypothesis=hypothesis))
    assert buggy.code != clean.code and any(new in buggy.code for _, new in BUGS)
    assert buggy.plan == clean.plan
    fixed = good.debug(
        DebugRequest(brief=brief, solution=buggy, outcome=Outcome(ok=False, error="KeyError"))
    )
    assert fixed.code == clean.code
    draft = weak.draft(DraftRequest(brief=brief, index=0))
    assert any(new in draft.code for _, new in BUGS)
