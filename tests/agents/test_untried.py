"""Not paying twice for one idea: Gome skips changes that lead back to a plan some node has
already run, and the heuristic rules leave out edits that cannot change a task's predictions."""

from __future__ import annotations

from ascent.agents.core import AgentContext, Journal
from ascent.agents.gome import Gome
from ascent.agents.memory import Memory
from ascent.drivers.heuristic import HeuristicDriver
from ascent.drivers.heuristic import mle as rules
from ascent.drivers.models import Hypothesis, Outcome, ProposeRequest
from ascent.tasks.mle.skills import MleSkills

SKILLS = MleSkills()


def _change(change: str, edit: dict) -> Hypothesis:
    return Hypothesis(change=change, kind=change.split(":")[0], edit=edit, expected_gain=1.0)


def test_a_change_back_to_a_plan_already_run_is_skipped(brief_of):
    brief, _ = brief_of("diabetes-progression")
    boosting, ridge = SKILLS.draft(brief, 0, 0), SKILLS.draft(brief, 1, 0)
    assert boosting.plan["model"] == "hist_gb" and ridge.plan["model"] == "ridge"
    journal = Journal()
    parent = journal.add(
        action="draft", solution=boosting, outcome=Outcome(ok=True, valid_score=60)
    )
    journal.add(trace=1, action="draft", solution=ridge, outcome=Outcome(ok=True, valid_score=55))
    back = _change("model:ridge", {"set_model": "ridge"})  # trace 1's draft, seed aside
    leaf = _change("regularize:leaf", {"scale_params": {"min_samples_leaf": 3}})
    ensemble = _change("variance:ensemble", {"ensemble": True})
    lightgbm = _change("model:lightgbm", {"set_model": "lightgbm"})
    proposals = [back, leaf, ensemble, lightgbm]

    def untried() -> list[str]:
        return [h.change for h in Gome._untried(SKILLS, brief, journal, parent, proposals)]

    assert untried() == ["regularize:leaf", "variance:ensemble", "model:lightgbm"]
    # a run that failed was still paid for; a node never run was not
    journal.add(
        action="improve",
        solution=SKILLS.apply(boosting, leaf.edit, brief),
        outcome=Outcome(ok=False, error="MemoryError"),
    )
    journal.add(action="improve", solution=SKILLS.apply(boosting, lightgbm.edit, brief))
    assert untried() == ["variance:ensemble", "model:lightgbm"]


def test_edits_without_effect_on_the_task_are_not_proposed(brief_of):
    regression, _ = brief_of("diabetes-progression")
    classification, _ = brief_of("ketchup-brand")
    on_regression = rules.undirected(regression, SKILLS.plan(SKILLS.draft(regression, 0, 0)))
    on_classes = rules.undirected(classification, SKILLS.plan(SKILLS.draft(classification, 0, 0)))
    # class weights touch classifiers only; a log target only regressors of a positive target
    assert "imbalance:balanced" not in {h.change for h in on_regression}
    assert "imbalance:balanced" in {h.change for h in on_classes}
    assert "target:log" not in {h.change for h in on_classes}
    assert regression.profile["target_positive"]
    assert "target:log" in {h.change for h in on_regression}


def test_tree_searches_ask_for_a_change_not_yet_made_to_the_node(brief_of):
    from ascent.agents.search import SearchAgent

    brief, _ = brief_of("diabetes-progression")
    draft = SKILLS.draft(brief, 0, 0)
    journal = Journal()
    root = journal.add(action="draft", solution=draft, outcome=Outcome(ok=True, valid_score=60))
    other = journal.add(action="draft", solution=SKILLS.draft(brief, 1, 0))
    request = ProposeRequest(brief=brief, solution=draft, outcome=root.outcome, n=3)
    first = HeuristicDriver().propose(request)
    for hypothesis in first:
        journal.add(parent=root.id, action="improve", solution=draft, hypothesis=hypothesis)
    journal.add(parent=other.id, action="improve", solution=draft, hypothesis=_change("x:y", {}))
    tried = SearchAgent.tried_from(journal, root)
    assert tried == [h.change for h in first]
    again = HeuristicDriver().propose(request.model_copy(update={"failures": tried}))
    assert not {h.change for h in again} & set(tried)


def test_no_change_moves_the_yardstick(brief_of):
    """Scores are compared across changes, so no change may alter the folds they come from: a
    10-fold score (more training data per fold) would beat a 5-fold one without a better model."""
    for task in ("diabetes-progression", "sunspot-activity", "penguin-species"):
        brief, _ = brief_of(task)
        for index in range(4):
            draft = SKILLS.draft(brief, index, 0)
            for hypothesis in rules.undirected(brief, SKILLS.plan(draft)):
                if hypothesis.edit.get("ensemble"):
                    continue
                edited = SKILLS.apply(draft, hypothesis.edit, brief)
                assert edited.plan["folds"] == draft.plan["folds"], (task, hypothesis.change)


def _context(brief, tmp_path, events: list) -> AgentContext:
    """A context for planning only: nothing here runs a solution or submits one."""

    def refuse(*_args):
        raise AssertionError("planning must not run or submit anything")

    return AgentContext(
        brief=brief,
        skills=SKILLS,
        driver=HeuristicDriver(),
        workspace=tmp_path,
        inside_root=str(tmp_path),
        run_in_sandbox=refuse,
        submit_file=refuse,
        select_submission=refuse,
        remaining_seconds=lambda: 600.0,
        remaining_submissions=lambda: 20,
        emit=events.append,
        journal_path=tmp_path / "journal.json",
    )


def test_when_every_proposal_is_a_known_plan_the_driver_is_asked_again(brief_of, tmp_path):
    brief, _ = brief_of("diabetes-progression")
    draft = SKILLS.draft(brief, 0, 0)
    journal = Journal()
    parent = journal.add(action="draft", solution=draft, outcome=Outcome(ok=True, valid_score=60))
    # ensembles are never "known plans"; leave them out to see the rest used up
    no_ensemble = ["variance:ensemble"]
    request = ProposeRequest(
        brief=brief, solution=draft, outcome=parent.outcome, n=2, failures=no_ensemble
    )
    first = HeuristicDriver().propose(request)
    for hypothesis in first:  # every change proposed has already been run, by some trace
        edited = SKILLS.apply(draft, hypothesis.edit, brief)
        journal.add(trace=1, action="draft", solution=edited, outcome=Outcome(ok=True))
    assert not Gome._untried(SKILLS, brief, journal, parent, first)
    events: list = []
    memory = Memory(failures={0: no_ensemble})
    ctx = _context(brief, tmp_path, events)

    chosen = Gome()._new_proposals(ctx, journal, memory, parent, request, first)

    assert chosen and not {h.change for h in chosen} & {h.change for h in first}
    assert Gome._untried(SKILLS, brief, journal, parent, chosen) == chosen
    assert memory.failed(0) == no_ensemble + [h.change for h in first]
    assert [e.action for e in events] == ["already_tried"]
    assert events[0].detail["changes"] == [h.change for h in first]

    # when the second answer leads only to known plans too, the first answer stands
    for hypothesis in chosen:
        edited = SKILLS.apply(draft, hypothesis.edit, brief)
        journal.add(trace=1, action="draft", solution=edited, outcome=Outcome(ok=True))
    fresh = Memory(failures={0: no_ensemble})
    assert Gome()._new_proposals(ctx, journal, fresh, parent, request, first) == first
