"""Loading a submitted model and answering held-out prompts with it, in batches."""

from __future__ import annotations

import logging
import math
from collections.abc import Callable
from pathlib import Path

from ascent.errors import InvalidSubmission
from ascent.tasks.ft.checks import ModelInfo

log = logging.getLogger(__name__)


def load_model(info: ModelInfo, base: Path):
    """(model, tokenizer) ready for generation; malformed models are invalid submissions."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    tokenizer_dir = info.path if info.has_tokenizer else base
    try:
        tokenizer = AutoTokenizer.from_pretrained(str(tokenizer_dir), trust_remote_code=False)
    except Exception as exc:
        raise InvalidSubmission(f"the tokenizer cannot be loaded: {_first_line(exc)}") from exc
    try:
        if info.kind == "full":
            model = AutoModelForCausalLM.from_pretrained(
                str(info.path), use_safetensors=True, trust_remote_code=False, dtype=torch.float32
            )
        else:
            from peft import PeftModel

            base_model = AutoModelForCausalLM.from_pretrained(
                str(base), use_safetensors=True, dtype=torch.float32
            )
            model = PeftModel.from_pretrained(base_model, str(info.path), is_trainable=False)
    except Exception as exc:
        what = (
            "adapter does not fit the base model"
            if info.kind == "adapter"
            else "model cannot be loaded"
        )
        raise InvalidSubmission(f"the {what}: {_first_line(exc)}") from exc
    model.eval()
    for name, tensor in model.state_dict().items():
        if tensor.is_floating_point() and not torch.isfinite(tensor).all():
            raise InvalidSubmission(
                f"the model's weights contain NaN or infinite values ({name}): training diverged"
            )
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    tokenizer.padding_side = "left"
    return model, tokenizer


def generate(
    model,
    tokenizer,
    prompts: list[str],
    max_new_tokens: int,
    batch_size: int,
    on_batch: Callable[[int], None] | None = None,
) -> list[str]:
    """Greedy answers, one user turn each, through the model's chat template."""
    import torch

    answers: list[str] = []
    texts = [
        tokenizer.apply_chat_template(
            [{"role": "user", "content": p}], add_generation_prompt=True, tokenize=False
        )
        for p in prompts
    ]
    with torch.inference_mode():
        for start in range(0, len(texts), batch_size):
            batch = tokenizer(
                texts[start : start + batch_size],
                return_tensors="pt",
                padding=True,
                add_special_tokens=False,
            )
            out = model.generate(
                **batch,
                max_new_tokens=max_new_tokens,
                do_sample=False,
                pad_token_id=tokenizer.pad_token_id,
            )
            new = out[:, batch["input_ids"].shape[1] :]
            answers += [t.strip() for t in tokenizer.batch_decode(new, skip_special_tokens=True)]
            if on_batch is not None:
                on_batch(len(answers))
    return answers


def _first_line(exc: Exception) -> str:
    text = str(exc).strip().splitlines()
    return (text[0] if text else type(exc).__name__)[:300]


def mean(values: list[float]) -> float:
    return math.fsum(values) / len(values) if values else 0.0
