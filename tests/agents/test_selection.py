"""Choosing among candidates without trusting luck: the one-standard-error rule of the final
choice, and the family a merge adds when the traces' bests are all one kind of model.

The numbers are those of a penguin-species run: a LightGBM whose five folds disagree (log loss
0.021 ± 0.039, 1e-5 on its training data) topped validation and scored 0.236 on held-out data,
where a logistic model (0.045 ± 0.014) scored 0.056 and an average of both with a tree model
(0.028) scored 0.068."""

from __future__ import annotations

from ascent.agents.core import Journal, Node
from ascent.agents.gome import Gome
from ascent.agents.search import robust_choice, standard_error
from ascent.drivers.models import Outcome, Solution
from ascent.tasks.mle.skills import MleSkills

SKILLS = MleSkills()


def node(node_id: int, score: float, std: float, model: str = "lightgbm", members: int = 0) -> Node:
    plan = {"model": model, "folds": 5, "members": [{"model": model}] * members}
    return Node(
        id=node_id,
        action="merge" if members else "improve",
        solution=Solution(code="", plan=plan, summary=f"{model} {node_id}"),
        outcome=Outcome(ok=True, valid_score=score, valid_std=std),
    )


LIGHTGBM = node(0, 0.0207, 0.0390)
LOGISTIC = node(1, 0.0453, 0.0135, model="logistic")
ENSEMBLE = node(2, 0.0279, 0.0300, members=3)


def test_standard_error_is_the_fold_spread_over_root_folds():
    assert abs(standard_error(LIGHTGBM) - 0.0390 / 5**0.5) < 1e-12
    no_spread = node(3, 0.1, 0.0)
    no_spread.outcome.valid_std = None  # type: ignore[union-attr]
    assert standard_error(no_spread) == 0.0


def test_an_ensemble_within_the_best_ones_standard_error_is_chosen():
    assert robust_choice([LIGHTGBM, LOGISTIC, ENSEMBLE], higher_is_better=False) is ENSEMBLE
    # outside the margin (0.0207 + 0.0174): validation can tell them apart, the best wins
    far = node(4, 0.0400, 0.0010, members=3)
    assert robust_choice([LIGHTGBM, LOGISTIC, far], higher_is_better=False) is LIGHTGBM


def test_among_close_single_models_the_steadier_one_wins():
    steady = node(5, 0.0300, 0.0050, model="logistic")
    assert robust_choice([LIGHTGBM, steady], higher_is_better=False) is steady
    # the same rule when higher is better (accuracy-like scores)
    high = node(6, 0.95, 0.05)
    close = node(7, 0.93, 0.01, model="logistic")
    assert robust_choice([high, close], higher_is_better=True) is close
    assert robust_choice([high, node(8, 0.85, 0.01)], higher_is_better=True) is high


def test_no_spread_means_the_best_score_wins_and_ties_go_to_the_first():
    a, b, c = node(10, 0.5, 0.0), node(11, 0.4, 0.0), node(12, 0.5, 0.0)
    assert robust_choice([a, b, c], higher_is_better=True) is a
    assert robust_choice([a, b, c], higher_is_better=False) is b


def test_a_merge_of_one_kind_of_model_takes_in_the_best_of_another():
    journal = Journal(
        nodes=[
            node(0, 0.0483, 0.0571, model="hist_gb"),
            node(1, 0.0453, 0.0135, model="logistic"),
            node(2, 0.0207, 0.0390),
            node(3, 0.0300, 0.0100),
            node(4, 0.0900, 0.0100, model="knn"),
            node(5, 0.0100, 0.0100, model="logistic", members=2),  # ensembles are not members
            node(6, 0.0250, 0.0100, model="random_forest"),
        ]
    )
    # two LightGBM bests: the best model of another kind joins them (lowest log loss)
    assert Gome._other_kind(SKILLS, journal, [2, 3], higher_is_better=False) == [6]
    assert Gome._other_kind(SKILLS, journal, [2, 3], higher_is_better=True) == [4]
    # hist_gb and LightGBM are one kind (boosted trees): bagged trees or a linear model join
    assert Gome._other_kind(SKILLS, journal, [0, 2], higher_is_better=False) == [6]
    journal.nodes[6].outcome.ok = False  # type: ignore[union-attr]
    assert Gome._other_kind(SKILLS, journal, [0, 2], higher_is_better=False) == [1]
    # bests of two kinds already: nothing is added
    assert Gome._other_kind(SKILLS, journal, [1, 2], higher_is_better=False) == []
    assert Gome._other_kind(SKILLS, journal, [2, 5], higher_is_better=False) == []
