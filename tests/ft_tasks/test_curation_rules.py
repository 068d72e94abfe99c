"""The heuristic driver's fine-tuning rules on the bundled tasks' real raw data: the first recipe
already leaves out the sources the data profile shows to be mislabeled, off-format or off-domain,
and keeps the clean one; an out-of-memory failure is first met with gradient checkpointing."""

from __future__ import annotations

import pytest

from ascent.drivers.heuristic import HeuristicDriver
from ascent.drivers.heuristic import ft as rules
from ascent.drivers.models import DraftRequest, Outcome, TaskBrief
from ascent.tasks.ft.skills import FtSkills
from ascent.tasks.ft.skills.plan import FtPlan, apply_edit
from ascent.tasks.rendering import plan_of
from tests.ft_tasks.conftest import FT_TASKS, ROLES


def brief_of(prepared) -> TaskBrief:
    facts = {**prepared.ft, "task_id": prepared.task.id}
    return FtSkills().brief(prepared.root, facts, prepared.task.description())


@pytest.mark.parametrize("task_id", FT_TASKS)
def test_first_recipe_trains_on_the_clean_source_only(ft_prepared, task_id):
    clean, _, mislabeled, off_domain = ROLES[task_id]
    brief = brief_of(ft_prepared(task_id))
    flagged = dict(rules.suspicious_sources(brief, FtPlan()))
    assert clean not in flagged
    assert {mislabeled, off_domain} <= set(flagged), flagged
    solution = HeuristicDriver().draft(DraftRequest(brief=brief, index=0))
    plan = FtPlan.model_validate(solution.plan)
    assert plan.sources is not None and clean in plan.sources
    assert mislabeled not in plan.sources and off_domain not in plan.sources
    # The rendered script trains on exactly those sources.
    assert plan_of(solution.code)["sources"] == plan.sources


@pytest.mark.parametrize("task_id", ["chem-element-counts", "table-qa"])
def test_a_structured_export_is_trusted_over_a_source_that_disagrees_with_it(ft_prepared, task_id):
    # With only two sources answering the same questions, both show the same low agreement.
    clean, _, mislabeled, _ = ROLES[task_id]
    brief = brief_of(ft_prepared(task_id))
    stats = brief.profile["sources"]
    assert stats[clean]["agreement"] == stats[mislabeled]["agreement"] < rules.AGREEMENT_MIN
    flagged = dict(rules.suspicious_sources(brief, FtPlan()))
    assert mislabeled in flagged and clean not in flagged


def test_off_domain_prompts_are_far_from_the_dev_vocabulary(ft_prepared):
    clean, _, _, off_domain = ROLES["finance-calc"]
    stats = brief_of(ft_prepared("finance-calc")).profile["sources"]
    # Phrased like the evaluation (so no format rule catches it), but about other things.
    assert stats[off_domain]["eval_format"] > 0.9
    assert stats[off_domain]["dev_similarity"] < 0.3 < 0.9 < stats[clean]["dev_similarity"]


def _brief(sources: dict) -> TaskBrief:
    return TaskBrief(task_id="t", family="ft", description="", profile={"sources": sources})


def test_no_source_is_dropped_when_every_one_looks_bad():
    brief = _brief(
        {
            "a": {"well_formed": 0.1, "eval_format": 1.0, "normalisable": True},
            "b": {"well_formed": 0.2, "eval_format": 1.0, "normalisable": True},
        }
    )
    assert len(rules.suspicious_sources(brief, FtPlan())) == 2
    assert rules.draft_edit(brief, FtPlan()) == {}


def test_three_sources_settle_a_disagreement_by_majority():
    # Every source is structured, so the majority (not provenance) decides.
    ok = {"well_formed": 1.0, "eval_format": 1.0, "normalisable": True, "shared_prompts": 40}
    brief = _brief(
        {
            "a": {**ok, "agreement": 0.97},
            "b": {**ok, "agreement": 0.95},
            "c": {**ok, "agreement": 0.4},
        }
    )
    assert [n for n, _ in rules.suspicious_sources(brief, FtPlan())] == ["c"]
    assert rules.draft_edit(brief, FtPlan()) == {"drop_sources": ["c"]}


def test_out_of_memory_first_turns_on_gradient_checkpointing_then_shrinks_the_batch():
    brief = _brief({})
    plan = FtPlan()
    assert plan.gradient_checkpointing is False  # a 135M model's activations fit on CPU
    first = rules.changes("oom", brief, plan)[0]
    assert first.change == "exec:oom-checkpointing"
    checkpointed = apply_edit(plan, first.edit)
    assert checkpointed.gradient_checkpointing and checkpointed.batch_size == plan.batch_size
    [after] = rules.changes("oom", brief, checkpointed)
    smaller = apply_edit(checkpointed, after.edit)
    assert (smaller.batch_size, smaller.max_length) == (4, 128)


def test_the_training_script_follows_the_plans_checkpointing_choice(ft_prepared):
    brief = brief_of(ft_prepared("chem-element-counts"))
    skills = FtSkills()
    off = skills.draft(brief, 0, 0)
    on = skills.apply(off, {"gradient_checkpointing": True}, brief)
    assert plan_of(off.code)["gradient_checkpointing"] is False
    assert plan_of(on.code)["gradient_checkpointing"] is True
    assert 'gradient_checkpointing=PLAN.get("gradient_checkpointing", False)' in on.code


def test_a_micro_batch_timeout_retries_the_recipe_instead_of_shrinking_it():
    brief = _brief({})
    timed_out = Outcome(ok=False, error="timed out", seconds=600.0, quick=True)
    assert rules.diagnose(brief, FtPlan(), timed_out).direction == "env"
    # A full run that runs out of time does train less.
    full = timed_out.model_copy(update={"quick": False})
    assert rules.diagnose(brief, FtPlan(), full).direction == "timeout"
    [fix] = rules.changes("timeout", brief, FtPlan())
    assert apply_edit(FtPlan(), fix.edit).max_examples == FtPlan().max_examples // 2
