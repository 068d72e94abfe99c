"""What a submitted model directory must be before anything loads it.

Only safetensors weights are read: pickle-based files (.bin, .pt, ...) could run code in the
grader and are refused, as is custom model code (`auto_map`). A full model needs its tokenizer;
an adapter is applied to the task's own copy of the base model, wherever its config points.
A submission that is the base model (byte-identical weights, or an adapter that changes nothing)
is flagged `copy_model`.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from ascent.errors import InvalidSubmission

PICKLED = {".bin", ".pt", ".pth", ".pkl", ".pickle", ".ckpt", ".joblib"}
TOKENIZER_FILES = ("tokenizer.json", "tokenizer_config.json", "tokenizer.model")


@dataclass
class ModelInfo:
    path: Path
    kind: Literal["full", "adapter"]
    flags: list[str] = field(default_factory=list)
    has_tokenizer: bool = True


def inspect_model_dir(path: Path, base: Path, max_mb: int) -> ModelInfo:
    if not path.is_dir():
        raise InvalidSubmission("a fine-tuning submission is a model directory, not a file")
    files = [p for p in path.rglob("*") if p.is_file()]
    size = sum(p.stat().st_size for p in files)
    if size > max_mb * 2**20:
        raise InvalidSubmission(
            f"the model directory is {size / 2**20:.0f} MB, over the limit of {max_mb} MB"
        )
    pickled = sorted(p.name for p in files if p.suffix.lower() in PICKLED)
    if pickled:
        raise InvalidSubmission(
            f"pickle-based weight files are not loaded ({', '.join(pickled[:3])}); "
            "save with save_pretrained(..., safe_serialization=True)"
        )
    names = {p.name for p in path.iterdir()}
    has_tokenizer = any(n in names for n in TOKENIZER_FILES)
    if {"adapter_config.json"} <= names and any(n.endswith(".safetensors") for n in names):
        info = ModelInfo(path, "adapter", has_tokenizer=has_tokenizer)
        if _adapter_is_noop(path):
            info.flags.append("copy_model")
        return info
    if "config.json" in names and any(n.endswith(".safetensors") for n in names):
        config = _read_json(path / "config.json", "config.json")
        if config.get("auto_map"):
            raise InvalidSubmission(
                "models with custom code (auto_map in config.json) are not loaded"
            )
        if not has_tokenizer:
            raise InvalidSubmission(
                "the model directory has no tokenizer; save it too: tokenizer.save_pretrained(dir)"
            )
        info = ModelInfo(path, "full")
        if _same_weights(path, base):
            info.flags.append("copy_model")
        return info
    raise InvalidSubmission(
        "not a model directory: expected config.json with *.safetensors weights (a full model) "
        "or adapter_config.json with adapter_model.safetensors (a PEFT adapter)"
    )


def _read_json(path: Path, name: str) -> dict:
    try:
        value = json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        raise InvalidSubmission(f"{name} of the model is not valid JSON") from exc
    if not isinstance(value, dict):
        raise InvalidSubmission(f"{name} of the model must be a JSON object")
    return value


def _digest(paths: list[Path]) -> str:
    h = hashlib.sha256()
    for p in sorted(paths):
        with p.open("rb") as fh:
            for block in iter(lambda fh=fh: fh.read(1 << 20), b""):
                h.update(block)
    return h.hexdigest()


def _same_weights(path: Path, base: Path) -> bool:
    mine, theirs = sorted(path.glob("*.safetensors")), sorted(base.glob("*.safetensors"))
    if [p.name for p in mine] != [p.name for p in theirs]:
        return False
    if [p.stat().st_size for p in mine] != [p.stat().st_size for p in theirs]:
        return False
    return _digest(mine) == _digest(theirs)


def _adapter_is_noop(path: Path) -> bool:
    """LoRA's B matrices start at zero: an untrained adapter leaves the base model unchanged."""
    from safetensors import safe_open

    found = False
    for file in path.glob("*.safetensors"):
        try:
            with safe_open(str(file), framework="pt") as fh:
                for key in fh.keys():  # noqa: SIM118 (safe_open has no __iter__)
                    if "lora_B" in key:
                        found = True
                        if fh.get_tensor(key).abs().max().item() != 0.0:
                            return False
        except Exception as exc:
            raise InvalidSubmission(f"{file.name} is not a readable safetensors file") from exc
    return found
