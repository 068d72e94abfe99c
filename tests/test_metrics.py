"""Competition metrics against reference implementations."""

import numpy as np
import pytest


def test_rank_sum_auc_matches_scikit_learn_including_ties():
    from sklearn.metrics import roc_auc_score

    from ascent.tasks.mle.metrics import auc

    rng = np.random.default_rng(3)
    y = rng.integers(0, 2, 500)
    scores = np.round(rng.random(500) + 0.3 * y, 1)  # many ties
    assert auc(y, scores) == pytest.approx(roc_auc_score(y, scores), abs=1e-12)
    assert auc(["no", "yes", "yes"], [0.1, 0.9, 0.8]) == 1.0


def test_log_loss_qwk_and_columnwise():
    from sklearn.metrics import cohen_kappa_score
    from sklearn.metrics import log_loss as sk_log_loss

    from ascent.tasks.mle.metrics import columnwise, log_loss, qwk, rmse

    proba = np.array([[0.7, 0.2, 0.1], [0.1, 0.8, 0.1], [0.2, 0.2, 0.6]])
    truth = ["a", "b", "c"]
    assert log_loss(truth, proba, ["a", "b", "c"]) == pytest.approx(
        sk_log_loss(truth, proba, labels=["a", "b", "c"])
    )
    labels = ["Fair", "Good", "Ideal"]
    y, p = ["Fair", "Good", "Ideal", "Good"], ["Good", "Good", "Ideal", "Fair"]
    assert qwk(y, p, labels) == pytest.approx(
        cohen_kappa_score(y, p, labels=labels, weights="quadratic")
    )
    truth2 = np.array([[1.0, 2.0], [3.0, 4.0]])
    pred2 = np.array([[1.0, 2.0], [3.0, 6.0]])
    assert columnwise(rmse, truth2, pred2) == pytest.approx((0 + np.sqrt(2.0)) / 2)
