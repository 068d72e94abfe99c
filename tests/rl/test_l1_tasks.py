"""Level-1 tasks: their files, their rule rewards, and grading of model directories."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest

from ascent.tasks.grading import Grader
from ascent.tasks.rl.codeexec import run_tests
from ascent.tasks.rl.kit import final_number, numbers_equal, program_for
from tests.rl.conftest import unable_to_generate


def _rows(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def test_arithmetic_files_are_consistent_and_disjoint(rl_prepared):
    prepared = rl_prepared("arithmetic-rl")
    train = _rows(prepared.public / "train.jsonl")
    dev = _rows(prepared.public / "dev.jsonl")
    test = _rows(prepared.private / "test.jsonl")
    assert (len(train), len(dev), len(test)) == (1002, 99, 201)
    assert all(numbers_equal(final_number(r["solution"]), r["answer"]) for r in train)
    assert "solution" not in dev[0] and "answer" in test[0]
    public = {r["prompt"] for r in train} | {r["prompt"] for r in dev}
    assert not public & {r["prompt"] for r in test}
    assert {r["category"] for r in test} == {"two-step", "three-step", "four-step"}
    assert not (prepared.public / "test.jsonl").exists()


def test_arithmetic_score_reads_the_last_marker(rl_prepared):
    score = rl_prepared("arithmetic-rl").task.score_fn()
    example = {"answer": "35"}
    assert score("46 * 3 = 138\nAnswer: 35", example) == 1.0
    assert score("Answer: 35\nAnswer: 36", example) == 0.0
    assert score("The result is 35", example) == 1.0
    assert score("Answer:", example) == 0.0 and score(None, example) == 0.0


def test_code_reference_solutions_pass_their_tests_and_stubs_do_not(rl_prepared):
    prepared = rl_prepared("code-synthesis")
    train = _rows(prepared.public / "train.jsonl")
    test = _rows(prepared.private / "test.jsonl")
    assert not {r["stub"] for r in train} & {r["stub"] for r in test}
    score = prepared.task.score_fn()
    for row in random.Random(0).sample(train, 4):
        reply = f"Here it is.\n```python\n{row['solution']}```"
        assert score(reply, row) == 1.0, row["entry_point"]
        assert run_tests(program_for(row["stub"], "pass", row["entry_point"]), row["tests"]) < 1.0
    assert score("I cannot do that.", train[0]) == 0.0
    assert score("", train[0]) == 0.0


@pytest.mark.slow
def test_grading_a_copy_of_the_base_model_flags_it(rl_prepared, rl_home, monkeypatch, tmp_path):
    import shutil

    from ascent.tasks.ft.models import TINY, ensure_base_model

    monkeypatch.setenv("ASCENT_HOME", str(rl_home.home))
    copy = tmp_path / "model"
    shutil.copytree(ensure_base_model(TINY, rl_home), copy)
    for task_id in ("arithmetic-rl", "code-synthesis"):
        result = Grader(rl_prepared(task_id)).grade(copy, "public")
        assert result.status == "ok", result.error
        assert "copy_model" in result.flags and 0.0 <= result.score <= 1.0
        assert set(result.details["categories"]) == set(
            rl_prepared(task_id).task.ft_spec().categories
        )


def test_a_model_that_cannot_generate_is_an_invalid_submission(
    rl_prepared, rl_home, monkeypatch, tmp_path
):
    import shutil

    from ascent.tasks.ft.models import TINY, ensure_base_model

    monkeypatch.setenv("ASCENT_HOME", str(rl_home.home))
    model = unable_to_generate(shutil.copytree(ensure_base_model(TINY, rl_home), tmp_path / "m"))
    result = Grader(rl_prepared("arithmetic-rl")).grade(model, "public")
    assert result.status == "invalid" and "failed to generate" in result.error, result.error
    assert "cannot render a conversation" in result.error
