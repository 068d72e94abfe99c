"""The real-scale definitions of GSM8K, HumanEval and AlpacaEval: each prepared from official-
format files, scored by its rule or judge, graded on model directories, and a clear error when
its data is missing."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pandas as pd
import pytest

from ascent.errors import InvalidSubmission, TaskPrepareError
from ascent.tasks.ft.grading import FtGrader
from ascent.tasks.prepare import prepare_task
from ascent.tasks.rl import judge
from ascent.tasks.rl.kit import read_jsonl
from tests.rl_real.conftest import DATA, ENV, prepare_error

TASKS = ["gsm8k", "humaneval", "alpaca-eval"]


def rows(prepared, name: str) -> list[dict]:
    folder = prepared.private if name == "test" else prepared.public
    return read_jsonl(folder / f"{name}.jsonl")


# -- listing and missing data ---------------------------------------------------------------------


def test_listed_as_rl_tasks_needing_data(cli, data_env):
    result = cli("tasks", "list", "--family", "rl", "--json")
    assert result.exit_code == 0, result.stderr
    listed = {r["id"]: r for r in json.loads(result.stdout)}
    levels = {t: listed[t]["type"] for t in ENV}
    assert levels == {
        "gsm8k": "level 1", "humaneval": "level 1", "alpaca-eval": "level 2",
        "webshop": "level 3", "deepsearchqa": "level 3",
    }  # fmt: skip
    assert all(listed[t]["needs_data"] for t in ENV)
    assert not listed.get("arithmetic-rl", {"needs_data": False})["needs_data"]


@pytest.mark.parametrize("task_id", TASKS)
def test_missing_data_is_a_clear_prepare_error(task_id, real_task, data_env, tmp_path):
    error = prepare_error(real_task, data_env, tmp_path, task_id)
    hf_id = {"gsm8k": "openai/gsm8k", "humaneval": "openai/openai_humaneval"}.get(
        task_id, "tatsu-lab/alpaca_eval"
    )
    var = ENV[task_id][0]
    assert "not on this machine" in error.message and hf_id in error.message
    assert var in (error.hint or "") and f"ASCENT_RL_DATA/{task_id}" in (error.hint or "")


def test_data_folder_that_does_not_exist_is_named(real_task, data_env, tmp_path):
    from ascent.config import Paths

    data_env.setenv("ASCENT_GSM8K_DIR", str(tmp_path / "nowhere"))
    try:
        with pytest.raises(TaskPrepareError, match=r"ASCENT_GSM8K_DIR=.*is not a folder"):
            prepare_task(real_task("gsm8k"), Paths(tmp_path / "home").ensure())
    finally:
        data_env.setenv("ASCENT_GSM8K_DIR", str(ENV["gsm8k"][1]))


# -- GSM8K ----------------------------------------------------------------------------------------


def test_gsm8k_prepared_from_the_official_files(prepared_real):
    prepared = prepared_real("gsm8k")
    train, dev, test = (rows(prepared, n) for n in ("train", "dev", "test"))
    assert (len(train), len(dev), len(test)) == (7, 1, 6)
    assert not {r["id"] for r in train} & {r["id"] for r in dev}
    by_question = {r["question"]: r for r in train + dev}
    shop = next(q for q in by_question if q.startswith("A shop sells 250"))
    assert by_question[shop]["answer"] == "2500"  # "#### 2,500" without its separator
    assert [r["answer"] for r in test] == ["73", "5", "180", "21", "800", "12"]
    for r in train:
        assert "<<" not in r["solution"] and "####" not in r["solution"]
        assert r["solution"].endswith(f"Answer: {r['answer']}")
        assert r["prompt"].startswith(r["question"]) and 'as "Answer: <number>"' in r["prompt"]
    assert all("solution" not in r for r in dev + test)


def test_gsm8k_reads_the_dataset_repository_layout(real_task, data_env, tmp_path):
    """The Hugging Face repository keeps the splits as main/{train,test}-*.parquet."""
    from ascent.config import Paths

    repo = tmp_path / "openai-gsm8k"
    (repo / "main").mkdir(parents=True)
    for split in ("train", "test"):
        frame = pd.DataFrame(read_jsonl(DATA / "gsm8k" / f"{split}.jsonl"))
        frame.to_parquet(repo / "main" / f"{split}-00000-of-00001.parquet")
    data_env.setenv("ASCENT_GSM8K_DIR", str(repo))
    try:
        prepared = prepare_task(real_task("gsm8k"), Paths(tmp_path / "home").ensure())
    finally:
        data_env.setenv("ASCENT_GSM8K_DIR", str(ENV["gsm8k"][1]))
    assert [r["answer"] for r in rows(prepared, "test")] == ["73", "5", "180", "21", "800", "12"]
    assert len(rows(prepared, "train")) == 7


def test_gsm8k_record_without_final_answer_is_refused(real_task, data_env, tmp_path):
    from ascent.config import Paths

    folder = tmp_path / "broken"
    shutil.copytree(DATA / "gsm8k", folder)
    with (folder / "test.jsonl").open("a") as fh:
        fh.write(json.dumps({"question": "How many?", "answer": "Three, I think."}) + "\n")
    data_env.setenv("ASCENT_GSM8K_DIR", str(folder))
    try:
        with pytest.raises(TaskPrepareError, match=r"test record 6.*#### <number>"):
            prepare_task(real_task("gsm8k"), Paths(tmp_path / "home").ensure())
    finally:
        data_env.setenv("ASCENT_GSM8K_DIR", str(ENV["gsm8k"][1]))


def test_gsm8k_rule_reward(real_task):
    score = real_task("gsm8k").score_fn()
    example = {"answer": "2500"}
    assert score("1250 * 2 = 2500\nAnswer: 2,500", example) == 1.0
    assert score("Each week 1250.\n#### 2500", example) == 1.0
    assert score("Answer: 2500 dollars, not 1250", example) == 1.0
    assert score("Answer: 1250", example) == 0.0
    assert score("I am not sure.", example) == 0.0
    assert score("", example) == 0.0


# -- HumanEval ------------------------------------------------------------------------------------


def test_humaneval_split_keeps_problems_apart(prepared_real):
    prepared = prepared_real("humaneval")
    train, dev, test = (rows(prepared, n) for n in ("train", "dev", "test"))
    assert (len(train), len(dev), len(test)) == (2, 1, 5)
    ids = [r["id"] for r in train + dev + test]
    assert sorted(ids) == sorted(f"HumanEval/{i}" for i in range(8))
    for r in train:
        assert r["solution"].startswith(r["stub"]) and "def check(candidate)" in r["tests"]
    for r in test:
        assert r["prompt"].endswith(f"```python\n{r['stub']}```") and "solution" not in r


def test_humaneval_pass_at_1_runs_the_official_tests(real_task, prepared_real):
    import gzip

    score = real_task("humaneval").score_fn()
    with gzip.open(DATA / "humaneval" / "HumanEval.jsonl.gz", "rt") as fh:
        official = {p["task_id"]: p for p in map(json.loads, fh)}
    held_out = rows(prepared_real("humaneval"), "test")
    for example in held_out:  # HumanEval's completion format: the body of the stub
        assert score(official[example["id"]]["canonical_solution"], example) == 1.0, example["id"]
    example = next(e for e in held_out if e["entry_point"] == "count_vowels")
    whole = (
        "Here it is:\n```python\ndef count_vowels(s):\n"
        "    return len([c for c in s if c.lower() in 'aeiou'])\n```"
    )
    assert score(whole, example) == 1.0
    almost = "```python\ndef count_vowels(s):\n    return sum(c in 'aeiou' for c in s)\n```"
    assert score(almost, example) == 0.0  # passes 3 of 4 checks: pass@1 needs all of them
    assert score("```python\ndef count_vowels(s):\n    return (\n```", example) == 0.0
    assert score("import os\nos._exit(0)", example) == 0.0
    assert score("", example) == 0.0


def test_humaneval_record_missing_fields_is_refused(real_task, data_env, tmp_path):
    from ascent.config import Paths

    folder = tmp_path / "he"
    folder.mkdir()
    (folder / "HumanEval.jsonl").write_text(
        json.dumps({"task_id": "HumanEval/0", "prompt": "def f():\n", "entry_point": "f"}) + "\n"
    )
    data_env.setenv("ASCENT_HUMANEVAL_DIR", str(folder))
    try:
        with pytest.raises(TaskPrepareError, match="record 0 lacks canonical_solution, test"):
            prepare_task(real_task("humaneval"), Paths(tmp_path / "home").ensure())
    finally:
        data_env.setenv("ASCENT_HUMANEVAL_DIR", str(ENV["humaneval"][1]))


# -- AlpacaEval -----------------------------------------------------------------------------------


def test_alpaca_eval_split_and_private_judge(prepared_real):
    prepared = prepared_real("alpaca-eval")
    train, dev, test = (rows(prepared, n) for n in ("train", "dev", "test"))
    assert (len(train), len(dev), len(test)) == (2, 1, 7)
    prompts = [r["prompt"] for r in train + dev + test]
    assert len(set(prompts)) == 10
    assert {r["category"] for r in train + dev + test} <= {
        "helpful_base",
        "koala",
        "oasst",
        "selfinstruct",
        "vicuna",
    }
    assert all("judge" not in r for r in train + dev)
    saved = judge.load(prepared.private)
    assert all(r["judge"] == saved.weights for r in test)
    assert not list(prepared.public.glob("judge*"))


def test_alpaca_eval_judge_reward(real_task, prepared_real):
    score = real_task("alpaca-eval").score_fn()
    example = rows(prepared_real("alpaca-eval"), "test")[0]
    reference = example["reference"]
    assert score(reference, example) == pytest.approx(0.5)
    for worse in ("", "Sure!", example["prompt"], "qx7 zz9 kkp0 aa1 bb2 cc3 dd4"):
        assert score(worse, example) < 0.5, worse
    padded = reference + "\n" + " ".join(judge.FILLER[:3])
    fitted = judge.Judge(example["judge"])
    raw = fitted.verdict(example["prompt"], padded, reference, length_controlled=False)
    assert score(padded, example) <= raw  # the length term never pays for padding
    assert 0.0 <= score(None, example) < 0.5  # type: ignore[arg-type]


def test_alpaca_eval_judge_file_and_row_weights_agree(real_task, prepared_real):
    prepared = prepared_real("alpaca-eval")
    module = real_task("alpaca-eval")
    by_row, by_file = module.score_fn(), module._function("grade.py", "scorer")(prepared.private)
    for example in rows(prepared, "test"):
        for reply in (example["reference"], example["reference"][:40], "No idea."):
            assert by_file(reply, example) == pytest.approx(by_row(reply, example))


def test_alpaca_eval_reads_a_hub_cache_snapshot(real_task, data_env, tmp_path):
    """The repository is a loading script that recent `datasets` cannot run: its JSON file in
    a hub-cache snapshot is read directly."""
    from ascent.config import Paths

    hub = tmp_path / "hub"
    snapshot = hub / "datasets--tatsu-lab--alpaca_eval" / "snapshots" / "0123abcd"
    snapshot.mkdir(parents=True)
    shutil.copy(DATA / "alpaca_eval" / "alpaca_eval.json", snapshot / "alpaca_eval.json")
    empty = os.environ["HF_HUB_CACHE"]
    data_env.delenv("ASCENT_ALPACA_EVAL_DIR")
    data_env.setenv("HF_HUB_CACHE", str(hub))
    try:
        prepared = prepare_task(real_task("alpaca-eval"), Paths(tmp_path / "home").ensure())
    finally:
        data_env.setenv("ASCENT_ALPACA_EVAL_DIR", str(ENV["alpaca-eval"][1]))
        data_env.setenv("HF_HUB_CACHE", empty)
    assert len(rows(prepared, "test")) == 7


# -- grading model directories --------------------------------------------------------------------


def perturbed_copy(source: Path, target: Path) -> Path:
    from safetensors.torch import load_file, save_file

    shutil.copytree(source, target)
    weights = load_file(target / "model.safetensors")
    first = next(iter(weights))
    weights[first] = weights[first] + 0.001
    save_file(weights, target / "model.safetensors", metadata={"format": "pt"})
    return target


def short_grader(prepared, max_new_tokens: int = 12) -> FtGrader:
    """The task's grader with short replies: the same path, at a fraction of the cost."""
    grader = FtGrader(prepared)
    grader.spec = grader.spec.model_copy(update={"max_new_tokens": max_new_tokens})
    return grader


@pytest.mark.parametrize("task_id", TASKS)
def test_model_directories_are_graded(task_id, prepared_real, tiny_base, tmp_path):
    grader = short_grader(prepared_real(task_id))
    n_public = sum(1 for e in grader.examples if e["split"] == "public")

    scored = grader.score(perturbed_copy(tiny_base, tmp_path / "model"), "public")
    assert 0.0 <= scored.score <= 1.0 and scored.n_rows == n_public > 0
    assert "copy_model" not in scored.flags and scored.details["model_kind"] == "full"
    if task_id == "alpaca-eval":  # a random model's gibberish loses to every reference
        assert scored.score < 0.5
    else:
        assert scored.score == 0.0

    shutil.copytree(tiny_base, tmp_path / "copy")
    assert "copy_model" in grader.score(tmp_path / "copy", "public").flags

    (tmp_path / "weights.safetensors").write_bytes(b"not a model")
    pickled = tmp_path / "pickled"
    shutil.copytree(tiny_base, pickled)
    (pickled / "pytorch_model.bin").write_bytes(b"\x80\x04")
    (tmp_path / "empty").mkdir()
    for bad, message in (
        (tmp_path / "weights.safetensors", "a model directory, not a file"),
        (pickled, "pickle-based weight files"),
        (tmp_path / "empty", "not a model directory"),
    ):
        with pytest.raises(InvalidSubmission, match=message):
            grader.score(bad, "public")


@pytest.mark.slow
@pytest.mark.parametrize("task_id", TASKS)
def test_full_length_grading_of_every_held_out_row(task_id, prepared_real, tiny_base, tmp_path):
    """The task's own generation budget, on both splits."""
    grader = FtGrader(prepared_real(task_id))
    scored = grader.score(perturbed_copy(tiny_base, tmp_path / "model"), "all")
    assert scored.n_rows == len(grader.examples) and 0.0 <= scored.score <= 1.0
    assert set(scored.details["categories"]) == {
        str(e.get("category", "all")) for e in grader.examples
    }
