"""An MLE-bench competition folder runs unchanged: listed, prepared, graded, medalled, imported."""

import json
import shutil
import sys

import pandas as pd
import pytest

from ascent.tasks.prepare import prepare_task
from ascent.tasks.registry import Registry
from tests.conftest import FIXTURES

COMPETITION = FIXTURES / "mlebench" / "toy-spaceship"


@pytest.fixture
def task():
    return Registry([COMPETITION], bundled=False, plugins=False).get("toy-spaceship")


def test_folder_is_read_as_a_task(task):
    assert task.layout == "mlebench" and task.family == "mle"
    assert task.spec.metric.name == "accuracy" and task.spec.metric.higher_is_better
    assert task.answers_name == "test.csv"


def test_prepare_and_grade_through_the_compat_layer(task, home, tmp_path):
    prepared = prepare_task(task, home)
    assert {p.name for p in prepared.public.iterdir()} == {
        "train.csv",
        "test.csv",
        "sample_submission.csv",
    }
    assert prepared.mle_spec.id_column == "PassengerId"
    assert prepared.mle_spec.submission_columns == ["Transported"]
    if "mlebench" in sys.modules and not hasattr(sys.modules["mlebench"], "__file__"):
        assert sys.modules["mlebench.grade_helpers"].InvalidSubmissionError.__module__.startswith(
            "ascent"
        )
    from ascent.tasks.grading import grade

    answers = pd.read_csv(prepared.private / "test.csv")
    perfect = tmp_path / "perfect.csv"
    answers[["PassengerId", "Transported"]].to_csv(perfect, index=False)
    result = grade(prepared, perfect, "private")
    assert result.valid and result.score == 1.0 and result.medals.gold_medal
    constant = grade(prepared, prepared.public / "sample_submission.csv", "private")
    assert constant.valid and not constant.medals.any_medal
    assert 0.0 < constant.score < 1.0
    wrong = tmp_path / "wrong.csv"
    answers[["PassengerId"]].assign(Transported=True).iloc[:-3].to_csv(wrong, index=False)
    invalid = grade(prepared, wrong, "private")
    assert invalid.status == "invalid" and "rows" in invalid.error


def test_cli_task_dir_and_import(cli, home, tmp_path):
    listed = cli("--task-dir", COMPETITION.parent, "tasks", "list", "--json")
    assert listed.exit_code == 0
    assert "toy-spaceship" in {row["id"] for row in json.loads(listed.stdout)}
    copy = tmp_path / "toy-spaceship"
    shutil.copytree(COMPETITION, copy)
    imported = cli("tasks", "import", copy)
    assert imported.exit_code == 0, imported.stderr
    assert "MLE-bench" in imported.stdout
    rows = json.loads(cli("tasks", "list", "--json").stdout)
    assert "toy-spaceship" in {row["id"] for row in rows}
    again = cli("tasks", "import", copy)
    assert again.exit_code == 2 and "--replace" in again.stderr
    assert cli("tasks", "import", copy, "--replace").exit_code == 0


def test_unknown_metric_direction_needs_a_declaration(tmp_path):
    folder = tmp_path / "comp"
    shutil.copytree(COMPETITION, folder)
    config = (folder / "config.yaml").read_text().replace("name: accuracy", "name: my-metric")
    (folder / "config.yaml").write_text(config)
    (folder / "leaderboard.csv").unlink()
    from ascent.errors import TaskSpecError

    with pytest.raises(TaskSpecError, match="higher_is_better"):
        Registry([folder], bundled=False, plugins=False)
    (folder / "config.yaml").write_text(config + "higher_is_better: false\n")
    task = Registry([folder], bundled=False, plugins=False).get("toy-spaceship")
    assert task.spec.metric.higher_is_better is False
