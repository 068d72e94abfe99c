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


def test_average_ranks_match_scipy_with_ties():
    from scipy.stats import rankdata

    from ascent.tasks.mle.metrics import average_ranks

    rng = np.random.default_rng(5)
    for n, distinct in [(1, 1), (7, 2), (300, 4), (1000, 1000)]:
        values = rng.integers(0, distinct, n).astype(float)
        assert np.allclose(average_ranks(values), rankdata(values))


@pytest.mark.parametrize("large", [False, True])
def test_numeric_looking_ids_keep_their_text_and_submissions_line_up_in_sample_order(
    tmp_path, monkeypatch, large
):
    """'007' stays '007' (a number parse would make it 7) on both CSV readers; rows given in
    any order come back in the sample's order, with typed predictions."""
    import pandas as pd

    from ascent.tasks.mle import submission as sub
    from ascent.tasks.spec import MleSpec

    if large:
        monkeypatch.setattr(sub, "PYARROW_FROM_BYTES", 0)
    spec = MleSpec(
        task_type="regression", id_column="id", submission_columns=["y"], prediction="number"
    )
    sample = sub.SampleIds.from_values(pd.Series(["007", "10", "3"]))
    path = tmp_path / "s.csv"
    path.write_text("id,y\n3,0.5\n007,1\n10,2.5\n")
    frame = sub.validate_submission(sub.read_submission(path, spec), sample, spec)
    assert frame["id"].tolist() == ["007", "10", "3"]
    assert frame["y"].tolist() == [1.0, 2.5, 0.5]
    path.write_text("id,y\n7,1\n10,2.5\n3,0.5\n")
    with pytest.raises(sub.InvalidSubmission, match=r"not in test\.csv"):
        sub.validate_submission(sub.read_submission(path, spec), sample, spec)
