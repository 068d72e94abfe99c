"""The real-scale DeepSearchQA task: questions from a file in DeepSearchQA's official CSV format
(or the plain JSONL format), played over a local corpus in the search pages, graded by
normalised exact match, and clear errors when the questions or the documents are missing."""

from __future__ import annotations

import json
import shutil

import pytest

from ascent.config import Paths
from ascent.errors import TaskPrepareError
from ascent.tasks.prepare import prepare_task
from ascent.tasks.rl.envs import open_environment
from ascent.tasks.rl.envs.deepsearchqa import DsqaQuestion, correct
from ascent.tasks.rl.envs.grading import EnvGrader
from ascent.tasks.rl.envs.rollout import Trajectory, expert_policy_rollout
from ascent.tasks.rl.kit import read_jsonl
from tests.rl_real.conftest import ENV, play, prepare_error
from tests.rl_real.test_real_tasks import perturbed_copy

VAR, FIXTURE = ENV["deepsearchqa"]


@pytest.fixture(scope="module")
def env(prepared_real):
    return open_environment(prepared_real("deepsearchqa").private)


def seed_of(env, start: str) -> int:
    return next(s for s, q in env.records.items() if q.problem.startswith(start))


def test_missing_questions_name_the_dataset(real_task, data_env, tmp_path):
    error = prepare_error(real_task, data_env, tmp_path, "deepsearchqa")
    assert "DeepSearchQA questions are not on this machine" in error.message
    assert "google/deepsearchqa" in error.message and "DSQA-full.csv" in error.message
    assert VAR in (error.hint or "") and "questions.jsonl" in (error.hint or "")


def test_missing_corpus_is_a_clear_error(real_task, data_env, tmp_path):
    folder = tmp_path / "questions-only"
    folder.mkdir()
    shutil.copy(FIXTURE / "DSQA-full.csv", folder)
    data_env.setenv(VAR, str(folder))
    try:
        with pytest.raises(TaskPrepareError, match=r"document corpus .* is not on this machine"):
            prepare_task(real_task("deepsearchqa"), Paths(tmp_path / "home").ensure())
    finally:
        data_env.setenv(VAR, str(FIXTURE))


def test_prepared_from_the_official_csv_and_the_local_corpus(prepared_real, env):
    prepared = prepared_real("deepsearchqa")
    titles = sorted(d.title for d in env.corpus)
    # .txt and .md by file name, .jsonl by title or id
    assert titles == sorted([
        "Tarsk Observatory", "Velmora", "Mirela Dunst", "Halvek Fisheries Accord", "Ilse Varga",
        "Port Anselm",
    ])  # fmt: skip
    assert len(env.records) == 6
    accord = env.records[seed_of(env, "Which three countries")]
    assert accord.is_set and accord.answer == "Norvania, Estmark, Quillon"
    assert accord.category == "Politics & Government"
    assert len(env.config.test_seeds) == 3 and len(env.config.train_seeds) == 3
    assert not set(env.config.test_seeds) & set(env.config.train_seeds)
    facts = json.loads((prepared.public / "environment.json").read_text())
    assert facts["env"] == "deepsearchqa" and facts["held_out_episodes"] == 3
    demos = [
        Trajectory.model_validate(r) for r in read_jsonl(prepared.public / "demonstrations.jsonl")
    ]
    assert len(demos) == 3 and all(d.success for d in demos)
    answers = json.dumps([r for r in read_jsonl(prepared.public / "demonstrations.jsonl")])
    for seed in env.config.test_seeds:  # no held-out answer reaches the public folder
        assert env.records[seed].answer not in answers


def test_the_expert_answers_every_question(env):
    for seed in env.config.train_seeds + env.config.test_seeds:
        assert expert_policy_rollout(env, seed).success, seed


def test_search_open_and_exact_match(env):
    seed = seed_of(env, "Which river flows")
    result = play(env, seed, ["open Velmora"])
    assert not result.done and "not among the search results" in result.observation.text
    result = play(env, seed, ["search Ondra river", "open Velmora"])
    assert "banks of the Ondra river" in result.observation.text
    assert play(env, seed, ["answer: The Ondra."]).success  # article and punctuation ignored
    wrong = play(env, seed, ["answer Ondra river"])
    assert wrong.done and not wrong.success and wrong.reward == 0.0


def test_set_answers_need_every_item():
    question = DsqaQuestion(
        seed=0, problem="?", answer="Norvania, Estmark, Quillon", answer_type="Set Answer"
    )
    assert correct("Quillon, Norvania and Estmark", question)
    assert correct("quillon; estmark; norvania.", question)
    assert not correct("Norvania, Estmark", question)
    assert not correct("Norvania, Estmark, Quillon, Tarsk", question)
    assert not correct("", question)
    single = DsqaQuestion(seed=1, problem="?", answer="1931")
    assert correct("1931", single) and not correct("1931, 1958", single)


def test_plain_jsonl_questions_are_read(real_task, data_env, tmp_path):
    folder = tmp_path / "plain"
    shutil.copytree(FIXTURE / "corpus", folder / "corpus")
    lines = [
        {
            "question": "Which comet was discovered at the Tarsk Observatory?",
            "answer": "Comet Brisa",
        },
        {"question": "Where is the Halvek Fisheries Accord secretariat?", "answer": "Port Anselm"},
    ]
    (folder / "questions.jsonl").write_text("\n".join(map(json.dumps, lines)) + "\n")
    data_env.setenv(VAR, str(folder))
    try:
        prepared = prepare_task(real_task("deepsearchqa"), Paths(tmp_path / "home").ensure())
    finally:
        data_env.setenv(VAR, str(FIXTURE))
    env = open_environment(prepared.private)
    assert sorted(q.answer for q in env.records.values()) == ["Comet Brisa", "Port Anselm"]
    (folder / "questions.jsonl").write_text(json.dumps({"q": "?", "a": "!"}) + "\n")
    data_env.setenv(VAR, str(folder))
    try:
        with pytest.raises(TaskPrepareError, match=r'line 1 must be \{"question"'):
            prepare_task(real_task("deepsearchqa"), Paths(tmp_path / "home2").ensure())
    finally:
        data_env.setenv(VAR, str(FIXTURE))


def test_model_directories_are_graded(prepared_real, tiny_base, tmp_path):
    grader = EnvGrader(prepared_real("deepsearchqa"))
    scored = grader.score(perturbed_copy(tiny_base, tmp_path / "model"), "all")
    assert scored.n_rows == 3 and scored.score == 0.0  # a random model answers nothing right
    assert "copy_model" not in scored.flags
    shutil.copytree(tiny_base, tmp_path / "copy")
    assert "copy_model" in grader.score(tmp_path / "copy", "all").flags
