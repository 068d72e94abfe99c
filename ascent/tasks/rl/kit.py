"""Building blocks for the prepare.py and grade.py of RL tasks (levels 1 and 2).

- reading replies: `final_number` (the answer of a worked solution), `extract_code` and
  `program_for` (the program a reply to a code prompt stands for);
- files: `write_jsonl` / `read_jsonl` (from the fine-tuning kit);
- held-out splits: `disjoint` draws unique items from two generator seeds;
- real-scale data: `RealDataset` and `load_real` find a benchmark on this machine (the task's
  `raw/` folder, an environment variable, `$ASCENT_RL_DATA/<task>`, or the Hugging Face cache,
  read offline) and never download anything: absent data is a `TaskPrepareError` that says
  what to download and where to put it.

A task's fingerprint covers its own prepare.py, not this module: a change here that alters what a
prepare.py writes must come with a `version` bump in the task.yaml of every task using it.
"""

from __future__ import annotations

import gzip
import json
import os
import random
import re
import subprocess
import sys
import tempfile
import textwrap
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from ascent.errors import TaskPrepareError
from ascent.tasks.ft.kit import read_jsonl, write_jsonl

__all__ = [
    "RealDataset",
    "disjoint",
    "extract_code",
    "final_number",
    "load_real",
    "program_for",
    "read_jsonl",
    "write_jsonl",
]

T = TypeVar("T")
TEST_SEED_OFFSET = 1_000_003

# ---------------------------------------------------------------------------------------------
# Reading replies: never raise, whatever the text

_NUMBER = re.compile(r"(?<![\w.])[-+]?\$?\d[\d,]*(?:\.\d+)?(?![\w])")
_MARKER = re.compile(r"(?:\banswer\s*(?:is\b\s*:?|[:=])|####)", re.IGNORECASE)


def _value(token: str) -> float | None:
    try:
        value = float(token.replace(",", "").replace("$", ""))
    except ValueError:
        return None
    return value if value == value and abs(value) != float("inf") else None


def final_number(reply: object) -> float | None:
    """The final answer of a worked solution: the first number after the last `Answer:` (or
    `answer is`, `Answer =`, GSM8K's `####`) marker, else the last number of the reply. Digits
    inside words (`x2`, `H2O`) are not numbers; `1,250`, `$12` and `-3` are. None if none."""
    if not isinstance(reply, str):
        return None
    markers = list(_MARKER.finditer(reply))
    if markers:
        for match in _NUMBER.finditer(reply, markers[-1].end()):
            value = _value(match.group())
            if value is not None:
                return value
    last = None
    for match in _NUMBER.finditer(reply):
        value = _value(match.group())
        if value is not None:
            last = value
    return last


def numbers_equal(value: float | None, expected: object) -> bool:
    try:
        target = float(str(expected).replace(",", ""))
    except (TypeError, ValueError):
        return False
    return value is not None and abs(value - target) <= 1e-6 * max(1.0, abs(target))


_FENCE = re.compile(r"```[ \t]*([\w+-]*)[^\n]*\n(.*?)(?:```|\Z)", re.DOTALL)


def extract_code(reply: object, entry_point: str | None = None) -> str:
    """The code of a reply: the fenced block defining `entry_point` (else the first fenced block;
    a block cut off before its closing fence counts), or the whole reply when it has no fence."""
    if not isinstance(reply, str):
        return ""
    blocks = [m.group(2) for m in _FENCE.finditer(reply)]
    if not blocks:
        return reply
    if entry_point:
        pattern = re.compile(rf"^\s*(?:async\s+)?def\s+{re.escape(entry_point)}\s*\(", re.M)
        for block in blocks:
            if pattern.search(block):
                return block
    return blocks[0]


def program_for(stub: str, reply: object, entry_point: str) -> str:
    """The program a reply stands for. A reply that defines `entry_point` replaces the stub's
    function (the stub's imports and helpers before it are kept); any other reply is read as
    the body that completes the stub (HumanEval's completion format)."""
    code = extract_code(reply, entry_point)
    if not code.strip():
        return ""
    definition = re.compile(rf"^(?:async\s+)?def\s+{re.escape(entry_point)}\s*\(", re.M)
    if definition.search(textwrap.dedent(code)):
        match = definition.search(stub)
        prefix = stub[: match.start()] if match else ""
        return prefix + "\n" + textwrap.dedent(code)
    body = code if code.startswith((" ", "\t")) else textwrap.indent(code, "    ")
    return stub.rstrip("\n") + "\n" + body


# ---------------------------------------------------------------------------------------------
# Splits


def disjoint(
    make: Callable[[random.Random], tuple[str, T]],
    seed: int,
    sizes: Iterable[int],
    held_out: int,
    max_tries: int = 200,
) -> tuple[list[list[T]], list[T]]:
    """Draw unique items: groups of `sizes` from one generator seed, then `held_out` items from
    another seed, none of whose keys appear in the groups. `make(rng)` returns (key, item)."""
    seen: set[str] = set()

    def draw(rng: random.Random, n: int) -> list[T]:
        out: list[T] = []
        misses = 0
        while len(out) < n:
            key, item = make(rng)
            if key in seen:
                misses += 1
                if misses > max_tries * max(n, 1):
                    raise ValueError(f"the generator ran out of unique items after {len(out)}")
                continue
            seen.add(key)
            out.append(item)
        return out

    rng = random.Random(seed)
    groups = [draw(rng, n) for n in sizes]
    test = draw(random.Random(seed + TEST_SEED_OFFSET), held_out)
    return groups, test


# ---------------------------------------------------------------------------------------------
# Real-scale data


@dataclass(frozen=True)
class RealDataset:
    """Where a benchmark is found on this machine.

    `files` maps each split to candidate paths (globs) inside a local copy, in the layouts the
    benchmark is distributed in (the Hugging Face dataset repository, the original GitHub files).
    A folder written by `datasets.DatasetDict.save_to_disk` works too."""

    task_id: str
    name: str  # as people write it: "GSM8K"
    hf_id: str
    hf_config: str | None
    env_var: str
    files: dict[str, list[str]]
    hf_aliases: tuple[str, ...] = ()

    def download_hint(self) -> str:
        config = f", {self.hf_config!r}" if self.hf_config else ""
        return (
            f'download it once with `python -c "import datasets; '
            f'datasets.load_dataset({self.hf_id!r}{config})"` (the Hugging Face cache is then read '
            f"offline), or `huggingface-cli download {self.hf_id} --repo-type dataset --local-dir DIR` "
            f"and set {self.env_var}=DIR (or use $ASCENT_RL_DATA/{self.task_id}/)"
        )


def load_real(dataset: RealDataset, raw: Path | None = None) -> dict[str, list[dict[str, Any]]]:
    """Every split of `dataset` as a list of records, from the first place that has it: the
    task's `raw/` folder, `$<env_var>`, `$ASCENT_RL_DATA/<task_id>`, the Hugging Face cache."""
    folders = _local_folders(dataset, raw)
    if folders:
        return _read_folder(dataset, folders[0])
    if _in_hf_cache(dataset):
        return _load_hf_offline(dataset)
    raise TaskPrepareError(
        f"the {dataset.name} data ({dataset.hf_id}) is not on this machine: task "
        f"'{dataset.task_id}' is a real-scale definition and never downloads",
        hint=dataset.download_hint(),
    )


def _local_folders(dataset: RealDataset, raw: Path | None) -> list[Path]:
    folders: list[Path] = []
    if raw is not None and raw.is_dir() and any(raw.iterdir()):
        folders.append(raw)
    explicit = os.environ.get(dataset.env_var, "").strip()
    if explicit:
        path = Path(explicit).expanduser()
        if not path.is_dir():
            raise TaskPrepareError(
                f"{dataset.env_var}={explicit} is not a folder",
                hint=f"point it at a local copy of {dataset.hf_id}",
            )
        folders.append(path)
    shared = os.environ.get("ASCENT_RL_DATA", "").strip()
    if shared and (Path(shared).expanduser() / dataset.task_id).is_dir():
        folders.append(Path(shared).expanduser() / dataset.task_id)
    return folders


def _read_folder(dataset: RealDataset, folder: Path) -> dict[str, list[dict[str, Any]]]:
    if (folder / "dataset_dict.json").is_file():
        from datasets import load_from_disk

        loaded = load_from_disk(str(folder))
        return {
            split: [dict(row) for row in loaded[split]]
            for split in dataset.files
            if split in loaded
        }
    out: dict[str, list[dict[str, Any]]] = {}
    for split, patterns in dataset.files.items():
        for pattern in patterns:
            matches = sorted(folder.glob(pattern))
            if matches:
                out[split] = [row for path in matches for row in read_records(path)]
                break
        else:
            wanted = " or ".join(patterns)
            raise TaskPrepareError(
                f"{folder} holds no {dataset.name} '{split}' split (looked for {wanted})",
                hint=dataset.download_hint(),
            )
    return out


def read_records(path: Path) -> list[dict[str, Any]]:
    """Records of a .jsonl, .jsonl.gz, .json (a list, or an object holding one) or .parquet file."""
    name = path.name.lower()
    if name.endswith(".parquet"):
        import pandas as pd

        frame = pd.read_parquet(path)
        return [{k: _plain(v) for k, v in row.items()} for row in frame.to_dict(orient="records")]
    opener = gzip.open if name.endswith(".gz") else open
    with opener(path, "rt", encoding="utf-8") as fh:
        text = fh.read()
    if name.endswith((".jsonl", ".jsonl.gz")):
        return [json.loads(line) for line in text.splitlines() if line.strip()]
    data = json.loads(text)
    if isinstance(data, dict):
        lists = [v for v in data.values() if isinstance(v, list)]
        data = lists[0] if len(lists) == 1 else []
    if not isinstance(data, list):
        raise TaskPrepareError(f"{path} holds no list of records")
    return [dict(row) for row in data]


def _plain(value: Any) -> Any:
    if hasattr(value, "tolist"):
        return value.tolist()
    return value


def _hf_home() -> Path:
    if os.environ.get("HF_HOME"):
        return Path(os.environ["HF_HOME"]).expanduser()
    xdg = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(xdg).expanduser() / "huggingface"


def _in_hf_cache(dataset: RealDataset) -> bool:
    """Whether the datasets or hub cache holds anything of the dataset (checked without
    importing `datasets`; a hit is then loaded in offline mode)."""
    datasets_cache = Path(os.environ.get("HF_DATASETS_CACHE") or _hf_home() / "datasets")
    hub_cache = Path(
        os.environ.get("HF_HUB_CACHE")
        or os.environ.get("HUGGINGFACE_HUB_CACHE")
        or _hf_home() / "hub"
    )
    for name in (dataset.hf_id, *dataset.hf_aliases):
        parts = name.split("/")
        parts[-1] = re.sub(r"(?<!^)(?=[A-Z])", "_", parts[-1]).lower()
        if (datasets_cache / "___".join(parts)).is_dir():
            return True
        if (hub_cache / ("datasets--" + name.replace("/", "--"))).is_dir():
            return True
    return False


_HF_SCRIPT = """
import json, sys
from pathlib import Path
import datasets
name, config, out = sys.argv[1], sys.argv[2] or None, Path(sys.argv[3])
loaded = datasets.load_dataset(name, config)
for split, rows in loaded.items():
    with (out / f"{split}.jsonl").open("w", encoding="utf-8") as fh:
        for row in rows:
            fh.write(json.dumps(row) + "\\n")
"""


def _load_hf_offline(dataset: RealDataset) -> dict[str, list[dict[str, Any]]]:
    """`datasets.load_dataset` in a child process with the hub switched off, so that nothing is
    downloaded whatever this process imported before."""
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1"}
    errors = []
    for name in (dataset.hf_id, *dataset.hf_aliases):
        with tempfile.TemporaryDirectory(prefix="ascent-hf-") as tmp:
            done = subprocess.run(
                [sys.executable, "-c", _HF_SCRIPT, name, dataset.hf_config or "", tmp],
                capture_output=True,
                text=True,
                env=env,
                timeout=1800,
            )
            if done.returncode == 0:
                return {p.stem: read_records(p) for p in sorted(Path(tmp).glob("*.jsonl"))}
            errors.append(done.stderr.strip().splitlines()[-1:] or ["failed"])
    raise TaskPrepareError(
        f"the Hugging Face cache has no readable copy of {dataset.hf_id}: {errors[-1][0]}",
        hint=dataset.download_hint(),
    )
