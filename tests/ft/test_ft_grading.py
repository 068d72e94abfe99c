"""Grading model directories: loadable models are scored per category; everything else is a
clear invalid submission; copies of the base model are flagged."""

from __future__ import annotations

import json
import shutil

import pytest
import torch

from ascent.tasks.ft.models import TINY, ensure_base_model
from ascent.tasks.grading import Grader
from tests.ft.conftest import TOY


def adapter_of(base, target, train: bool):
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForCausalLM

    model = get_peft_model(
        AutoModelForCausalLM.from_pretrained(base),
        LoraConfig(r=4, lora_alpha=8, target_modules=["q_proj", "v_proj"], task_type="CAUSAL_LM"),
    )
    if train:
        with torch.no_grad():
            for name, p in model.named_parameters():
                if "lora_B" in name:
                    p.add_(0.01)
    model.save_pretrained(target)
    return target


@pytest.fixture(scope="module")
def grader(toy, tiny_base):
    return Grader(toy)


def test_split_of_held_out_examples(toy):
    lines = (toy.split_file).read_text().splitlines()
    assert lines[0] == "id,split" and len(lines) == 17
    assert {line.split(",")[1] for line in lines[1:]} == {"public", "private"}


def test_full_model_is_scored_with_categories(grader, tiny_base, copy_of):
    model = copy_of(tiny_base)
    with torch.no_grad():  # any change to the weights makes it a different model
        from safetensors.torch import load_file, save_file

        weights = load_file(model / "model.safetensors")
        first = next(iter(weights))
        weights[first] = weights[first] + 0.001
        save_file(weights, model / "model.safetensors", metadata={"format": "pt"})
    result = grader.grade(model, "public")
    assert result.status == "ok" and 0.0 <= result.score <= 1.0, result.error
    assert result.n_rows == 8 and set(result.details["categories"]) == {"fruit"}
    assert "copy_model" not in result.flags


def test_base_model_copy_is_flagged(grader, tiny_base, copy_of):
    result = grader.grade(copy_of(tiny_base), "public")
    assert result.valid and "copy_model" in result.flags


def test_adapters_untrained_flagged_trained_scored_wrong_base_refused(
    grader, tiny_base, tmp_path, other_tiny
):
    untrained = grader.grade(adapter_of(tiny_base, tmp_path / "a0", train=False), "public")
    assert untrained.valid and "copy_model" in untrained.flags
    trained = grader.grade(adapter_of(tiny_base, tmp_path / "a1", train=True), "public")
    assert (
        trained.valid
        and "copy_model" not in trained.flags
        and trained.details["model_kind"] == "adapter"
    )
    wrong = grader.grade(adapter_of(other_tiny, tmp_path / "a2", train=True), "public")
    assert wrong.status == "invalid" and "adapter does not fit the base model" in wrong.error


@pytest.mark.parametrize(
    ("damage", "message"),
    [
        (lambda d: [p.unlink() for p in d.glob("tokenizer*")], "no tokenizer"),
        (lambda d: (d / "config.json").write_text("{not json"), "not valid JSON"),
        (lambda d: (d / "model.safetensors").write_bytes(b"\0" * 64), "cannot be loaded"),
        (lambda d: (d / "pytorch_model.bin").write_bytes(b"pickle"), "pickle-based"),
        (lambda d: [p.unlink() for p in d.glob("*.safetensors")], "not a model directory"),
        (
            lambda d: (d / "config.json").write_text(
                json.dumps(
                    {
                        **json.loads((d / "config.json").read_text()),
                        "auto_map": {"AutoModel": "x.Y"},
                    }
                )
            ),
            "custom code",
        ),
    ],
)
def test_broken_model_directories_are_clear_invalid_submissions(
    grader, tiny_base, copy_of, damage, message
):
    model = copy_of(tiny_base)
    damage(model)
    result = grader.grade(model, "public")
    assert result.status == "invalid" and message in result.error, result.error
    assert result.score is None


def test_diverged_weights_are_refused(grader, tiny_base, copy_of):
    from safetensors.torch import load_file, save_file

    model = copy_of(tiny_base)
    weights = load_file(model / "model.safetensors")
    first = next(iter(weights))
    weights[first] = torch.full_like(weights[first], float("nan"))
    save_file(weights, model / "model.safetensors", metadata={"format": "pt"})
    result = grader.grade(model, "public")
    assert result.status == "invalid" and "NaN" in result.error


def test_a_file_is_not_a_model(grader, tmp_path):
    path = tmp_path / "model.safetensors"
    path.write_bytes(b"x")
    result = grader.grade(path, "public")
    assert result.status == "invalid" and "model directory" in result.error


def test_base_models_are_built_once(ft_home):
    first = ensure_base_model(TINY, ft_home)
    stamp = (first / "model.safetensors").stat().st_mtime_ns
    assert ensure_base_model(TINY, ft_home) == first
    assert (first / "model.safetensors").stat().st_mtime_ns == stamp


def test_baseline_command_measures_the_base_model_and_writes_it(cli, home, tmp_path):
    task_dir = tmp_path / "toy-ft"
    shutil.copytree(TOY, task_dir)
    before = (task_dir / "task.yaml").read_text()
    result = cli("--task-dir", task_dir, "tasks", "baseline", "toy-ft", "--write")
    assert result.exit_code == 0, result.stderr
    assert "toy-ft: exact_match = " in result.stdout and "categories" in result.stdout
    written = (task_dir / "task.yaml").read_text()
    assert written.startswith(before.rstrip("\n"))
    value = float(written.strip().splitlines()[-1].removeprefix("baseline: "))
    assert 0.0 <= value <= 1.0


def test_baseline_command_refuses_a_task_without_a_base_model(cli, home):
    result = cli("tasks", "baseline", "penguin-species")
    assert result.exit_code != 0
    assert "no base model" in result.stderr
