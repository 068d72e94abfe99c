"""Medal thresholds: the four team-count brackets, both metric directions, ties."""

import numpy as np
import pytest

from ascent.tasks.mle.medals import medal_places, rank, thresholds


@pytest.mark.parametrize(
    ("n", "places"),
    [
        (1, (1, 1, 1)),
        (7, (1, 1, 2)),
        (50, (5, 10, 20)),
        (99, (9, 19, 39)),
        (100, (10, 20, 40)),
        (150, (10, 30, 60)),
        (249, (10, 49, 99)),
        (250, (10, 50, 100)),
        (500, (11, 50, 100)),
        (999, (11, 50, 100)),
        (1000, (12, 50, 100)),
        (2000, (14, 100, 200)),
        (4321, (18, 216, 432)),
    ],
)
def test_places_by_bracket(n, places):
    assert medal_places(n) == places


@pytest.mark.parametrize("n", [50, 150, 500, 2000])
@pytest.mark.parametrize("higher", [True, False])
def test_thresholds_are_scores_at_the_places(n, higher):
    # Team k (1 = best) scores n - k when higher is better, k when lower is better.
    scores = np.arange(1, n + 1)[::-1] - 1 if higher else np.arange(1, n + 1)
    rng = np.random.default_rng(n)
    limits = thresholds(rng.permutation(scores).tolist(), higher)  # file order must not matter
    gold_p, silver_p, bronze_p = medal_places(n)

    def score_at(place):
        return n - place if higher else place

    assert (limits.gold, limits.silver, limits.bronze) == (
        score_at(gold_p),
        score_at(silver_p),
        score_at(bronze_p),
    )
    assert limits.median == pytest.approx(np.median(scores))
    better = 1 if higher else -1
    assert rank(score_at(gold_p), limits).medal == "gold"
    assert rank(score_at(gold_p) - better * 0.5, limits).medal == "silver"
    assert rank(score_at(silver_p), limits).medal == "silver"
    assert rank(score_at(bronze_p), limits).medal == "bronze"
    after_bronze = rank(score_at(bronze_p) - better * 0.5, limits)
    assert after_bronze.medal is None and not after_bronze.any_medal
    best = rank(score_at(1) + better * 100, limits)
    assert best.gold_medal and best.any_medal and best.above_median


def test_ties_share_the_medal():
    # 50 teams, 5 of them tied at the gold place: all reach gold; the next score does not.
    scores = [0.9] * 3 + [0.8] * 5 + [0.5] * 42
    limits = thresholds(scores, higher_is_better=True)
    assert limits.gold == 0.8
    assert rank(0.8, limits).medal == "gold"
    assert rank(0.7999, limits).medal == "silver"  # silver is the score at place 10: 0.5
    assert limits.silver == 0.5 and limits.bronze == 0.5


def test_median_is_strict_and_none_scores_nothing():
    limits = thresholds([1.0, 2.0, 3.0, 4.0, 5.0], higher_is_better=False)
    assert not rank(3.0, limits).above_median
    assert rank(2.9, limits).above_median
    nothing = rank(None, limits)
    assert nothing.medal is None and not nothing.above_median


def test_rounding_makes_equal_scores_equal():
    limits = thresholds([0.123456] * 10, higher_is_better=True)
    assert rank(0.1234559, limits).medal == "gold"


def test_non_finite_scores_are_ignored_and_empty_refused():
    limits = thresholds([1.0, float("nan"), 2.0, float("inf")], higher_is_better=True)
    assert limits.n_teams == 2
    with pytest.raises(ValueError):
        thresholds([float("nan")], higher_is_better=True)
