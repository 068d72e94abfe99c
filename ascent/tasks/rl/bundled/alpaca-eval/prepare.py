"""AlpacaEval (Li et al., 2023; Dubois et al., 2024) from its official files, read on this
machine, never downloaded.

The evaluation set is a JSON list of 805 records `{"instruction", "output", "generator",
"dataset"}`: `output` is the reference model's answer (`generator` names that model) and
`dataset` the source of the instruction (helpful_base, koala, oasst, selfinstruct, vicuna). The
data is found by `ascent.tasks.rl.kit.load_real`: this task's `raw/` folder,
`$ASCENT_ALPACA_EVAL_DIR`, `$ASCENT_RL_DATA/alpaca-eval/`, or the Hugging Face cache
(`tatsu-lab/alpaca_eval`). That repository is a loading script, which recent `datasets` no
longer runs, so a hub-cache snapshot (`huggingface-cli download tatsu-lab/alpaca_eval
--repo-type dataset`) is also read directly: its `alpaca_eval_gpt4_baseline.json` when present
(GPT-4 references), else `alpaca_eval.json`.

Splits: a seeded 30% of the instructions is public (train, and a dev sixth of it), with the
reference outputs; the other 70% is held out.

The judge is offline: `ascent.tasks.rl.judge`, a logistic model over features of the reply and
the reference, trained here on preference pairs built from the public instructions (the
reference against degraded versions of itself: cut off, repeated, padded, echoing the
instruction, empty, gibberish; and against the reference of another instruction), labelled by a
simulated annotator that prefers the better text and, like real annotators, longer ones. Its
length-controlled verdict drops the length term. It is saved as `private/judge.json` and its
weights go with every held-out row, so the grader needs nothing else.
"""

from __future__ import annotations

import os
import random
from pathlib import Path
from typing import Any

from ascent.errors import TaskPrepareError
from ascent.tasks.rl import judge, kit

FILES = [
    "alpaca_eval_gpt4_baseline.json",
    "alpaca_eval.json",
    "**/alpaca_eval_gpt4_baseline.json",
    "**/alpaca_eval.json",
    "eval.jsonl",
]
DATASET = kit.RealDataset(
    task_id="alpaca-eval",
    name="AlpacaEval",
    hf_id="tatsu-lab/alpaca_eval",
    hf_config="alpaca_eval",
    env_var="ASCENT_ALPACA_EVAL_DIR",
    files={"eval": FILES},
)
PUBLIC_SHARE = 0.3
DEV_SHARE = 1 / 6  # of the public share
PAIRS_PER_INSTRUCTION = 8
OFF_TOPIC_PENALTY = 3.5  # on the scale of judge.PENALTY: an answer to another question


def _hub_snapshot() -> Path | None:
    """The newest snapshot of the dataset repository in the Hugging Face hub cache that holds
    one of the official files."""
    hf_home = Path(
        os.environ.get("HF_HOME")
        or Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "huggingface"
    ).expanduser()
    hub = Path(
        os.environ.get("HF_HUB_CACHE") or os.environ.get("HUGGINGFACE_HUB_CACHE") or hf_home / "hub"
    ).expanduser()
    snapshots = hub / ("datasets--" + DATASET.hf_id.replace("/", "--")) / "snapshots"
    if not snapshots.is_dir():
        return None
    found = [s for s in snapshots.iterdir() if s.is_dir() and any(any(s.glob(f)) for f in FILES)]
    return max(found, key=lambda s: s.stat().st_mtime) if found else None


def load_eval_set(raw: Path) -> list[dict[str, Any]]:
    try:
        return kit.load_real(DATASET, raw)["eval"]
    except TaskPrepareError:
        snapshot = _hub_snapshot()
        if snapshot is None:
            raise
        return kit.load_real(DATASET, snapshot)["eval"]


def _items(rows: list[dict[str, Any]]) -> list[dict[str, str]]:
    items = []
    for index, row in enumerate(rows):
        instruction, output = row.get("instruction"), row.get("output")
        if (
            not isinstance(instruction, str)
            or not instruction.strip()
            or not isinstance(output, str)
        ):
            raise TaskPrepareError(
                f"AlpacaEval record {index} has no 'instruction' and 'output' strings",
                hint="the file must be the official alpaca_eval.json (a list of records)",
            )
        items.append(
            {
                "id": f"eval-{index:04d}",
                "prompt": instruction,
                "reference": output.strip(),
                "generator": str(row.get("generator") or "unknown"),
                "category": str(row.get("dataset") or "all"),
            }
        )
    return items


def preference_pairs(items: list[dict[str, str]], seed: int) -> list[judge.Preference]:
    """Labelled comparisons on the given instructions (see the module docstring)."""
    rng = random.Random(seed)
    pairs: list[judge.Preference] = []

    def variant(item: dict[str, str]) -> tuple[str, float]:
        others = [o for o in items if o is not item]
        if others and rng.random() < 0.15:
            return rng.choice(others)["reference"], -OFF_TOPIC_PENALTY
        how = rng.choice(judge.DEGRADATIONS)
        return judge.degrade(item["reference"], how, rng, item["prompt"]), -judge.PENALTY[how]

    for item in items:
        for _ in range(PAIRS_PER_INSTRUCTION):
            if rng.random() < 0.6:
                other, other_quality = item["reference"], 0.0
            else:
                other, other_quality = variant(item)
            text, quality = variant(item)
            label = judge.annotate(quality, other_quality, text, other, rng)
            pairs.append(judge.Preference(item["prompt"], text, other, label))
    return pairs


def prepare(raw: Path, public: Path, private: Path, seed: int = 8050) -> None:
    items = _items(load_eval_set(raw))
    if len(items) < 4:
        raise TaskPrepareError(f"AlpacaEval holds {len(items)} instruction(s); it needs at least 4")
    rng = random.Random(seed)
    order = rng.sample(range(len(items)), len(items))
    n_public = min(len(items) - 1, max(2, round(len(items) * PUBLIC_SHARE)))
    n_dev = max(1, round(n_public * DEV_SHARE))
    dev = [items[i] for i in sorted(order[:n_dev])]
    train = [items[i] for i in sorted(order[n_dev:n_public])]
    test = [items[i] for i in sorted(order[n_public:])]
    fitted = judge.train(preference_pairs(train + dev, seed + 77))
    fitted.save(private / judge.JUDGE_FILE)
    kit.write_jsonl(public / "train.jsonl", train)
    kit.write_jsonl(public / "dev.jsonl", dev)
    weights = {k: fitted.weights[k] for k in judge.FEATURES}
    kit.write_jsonl(private / "test.jsonl", [{**item, "judge": weights} for item in test])
