"""Every bundled MLE competition: complete, leak-free, solvable, and its medals make sense."""

import numpy as np
import pandas as pd
import pytest
from scipy.stats import spearmanr

from ascent.tasks.grading import grade
from ascent.tasks.mle.medals import load_leaderboard_scores
from ascent.tasks.mle.metrics import HIGHER_IS_BETTER
from ascent.tasks.mle.population import fit_predict, population
from ascent.tasks.reference import run_reference
from ascent.tasks.registry import Registry

MLE_TASKS = [t.id for t in Registry(plugins=False).all("mle")]
SECTIONS = ("## Goal", "## Files", "## Evaluation", "## Submission format")


def test_at_least_ten_competitions_covering_the_required_kinds():
    tasks = Registry(plugins=False).all("mle")
    assert len(tasks) >= 10
    kinds = {t.spec.mle.task_type for t in tasks}
    assert {
        "binary",
        "multiclass",
        "regression",
        "ordinal",
        "multitarget",
        "forecast",
        "image",
    } <= kinds
    metrics = {t.spec.metric.name for t in tasks}
    assert {"auc", "log_loss", "accuracy", "macro_f1", "rmse", "mae", "qwk"} <= metrics


@pytest.mark.parametrize("task_id", MLE_TASKS)
def test_task_folder_is_complete(registry, task_id):
    task = registry.get(task_id)
    text = task.description()
    for section in SECTIONS:
        assert section in text, f"{task_id}: description.md lacks {section}"
    assert (task.root / "reference.py").is_file()
    assert task.spec.metric.higher_is_better == HIGHER_IS_BETTER[task.spec.metric.name]
    scores = load_leaderboard_scores(task.leaderboard_path)
    assert len(scores) >= 100 and all(np.isfinite(scores))
    assert task.spec.baseline is not None


@pytest.mark.parametrize("task_id", MLE_TASKS)
def test_public_files_hold_no_answers(prepared, task_id):
    p = prepared(task_id)
    spec = p.mle_spec
    test = pd.read_csv(p.public / "test.csv", dtype={spec.id_column: str})
    train = pd.read_csv(p.public / "train.csv", dtype={spec.id_column: str})
    sample = pd.read_csv(p.public / "sample_submission.csv", dtype={spec.id_column: str})
    answers = pd.read_csv(p.private / "answers.csv", dtype={spec.id_column: str})
    assert not set(spec.target_columns) & set(test.columns)
    assert set(spec.target_columns) <= set(train.columns)
    assert list(sample.columns) == [spec.id_column, *spec.submission_columns]
    assert set(test[spec.id_column]) == set(answers[spec.id_column]) == set(sample[spec.id_column])
    assert not set(train[spec.id_column]) & set(test[spec.id_column])
    assert not (p.public / "answers.csv").exists()


def _codes(values: pd.Series) -> np.ndarray:
    if pd.api.types.is_numeric_dtype(values):
        return values.to_numpy(dtype=float)
    return values.astype("category").cat.codes.to_numpy(dtype=float)


@pytest.mark.parametrize("task_id", MLE_TASKS)
def test_row_order_and_ids_carry_no_label_information(prepared, task_id):
    """Catalogue #17: labels must not leak through the order of rows or the ids."""
    p = prepared(task_id)
    spec = p.mle_spec
    for name, frame in (
        ("test", pd.read_csv(p.private / "answers.csv", dtype={spec.id_column: str})),
        ("train", pd.read_csv(p.public / "train.csv", dtype={spec.id_column: str})),
    ):
        target = _codes(frame[spec.target_columns[0]])
        if len(np.unique(target)) < 2:
            continue
        order_corr = spearmanr(np.arange(len(frame)), target).statistic
        id_numbers = pd.to_numeric(frame[spec.id_column].str.extract(r"(\d+)")[0], errors="coerce")
        id_corr = spearmanr(id_numbers, target).statistic
        assert abs(order_corr) < 0.25, f"{task_id} {name}: row order tracks the target"
        assert abs(id_corr) < 0.25, f"{task_id} {name}: ids track the target"


@pytest.mark.parametrize("task_id", MLE_TASKS)
def test_reference_solution_reaches_a_medal(prepared, task_id, tmp_path):
    p = prepared(task_id)
    ref = run_reference(p, tmp_path, timeout=300)
    result = grade(p, ref.submission, "private")
    assert result.valid, result.error
    assert result.medals is not None and result.medals.any_medal, (task_id, result.score)


@pytest.mark.parametrize("task_id", MLE_TASKS)
def test_constant_prediction_gets_no_medal_and_matches_baseline(prepared, task_id):
    p = prepared(task_id)
    result = grade(p, p.public / "sample_submission.csv", "private")
    assert result.valid, result.error
    assert not result.medals.any_medal
    assert result.score == pytest.approx(p.task.spec.baseline, abs=1e-3)


@pytest.mark.parametrize("task_id", MLE_TASKS)
def test_best_leaderboard_pipeline_reproduces_its_score(prepared, task_id, tmp_path):
    p = prepared(task_id)
    board = pd.read_csv(p.task.leaderboard_path)
    best = board.iloc[0]
    config = population(p.mle_spec)[int(best["teamId"]) - 1]
    assert config.name == best["teamName"]
    train = pd.read_csv(p.public / "train.csv", dtype={p.mle_spec.id_column: str})
    test = pd.read_csv(p.public / "test.csv", dtype={p.mle_spec.id_column: str})
    path = tmp_path / "best.csv"
    fit_predict(config, p.mle_spec, train, test, seed=int(best["teamId"])).to_csv(path, index=False)
    result = grade(p, path, "private")
    assert result.score == pytest.approx(best["score"], abs=1e-5)
    assert result.medals.any_medal


def test_population_is_deterministic_and_varied(registry):
    spec = registry.get("penguin-species").spec.mle
    first, second = population(spec), population(spec)
    assert [c.name for c in first] == [c.name for c in second]
    assert len({c.name for c in first}) == len(first) >= 100
    assert len({c.model for c in first}) >= 8
    assert any(c.feature_fraction < 1 for c in first) and any(c.row_fraction < 1 for c in first)


@pytest.mark.slow
@pytest.mark.parametrize("task_id", MLE_TASKS)
def test_committed_leaderboard_is_rebuilt_identically(prepared, task_id):
    from ascent.tasks.mle.population import build_leaderboard

    p = prepared(task_id)
    committed = pd.read_csv(p.task.leaderboard_path)
    rebuilt = build_leaderboard(p)
    pd.testing.assert_frame_equal(
        committed.reset_index(drop=True), rebuilt.reset_index(drop=True), check_dtype=False
    )
