"""Fine-tune the base model on curated raw data, configured by TASK and PLAN below.

    python train.py [--quick] --out output/model

Reads the raw sources listed in $DATA_PATH/sources.yaml, curates them (sources chosen,
malformed answers dropped, duplicates removed, prompts rewritten in the evaluation format when
a source's fields allow), fine-tunes $BASE_MODEL with TRL's SFTTrainer (LoRA or full), answers
$DATA_PATH/dev.jsonl the way the grader will (chat template, greedy), saves the model, and prints
one line `ASCENT_RESULT {...}`: dev score, share of well-formed answers, training loss, data used.
--quick trains two steps on a micro-batch and answers four dev prompts: a fail-fast check.
"""

import argparse
import csv
import io
import json
import math
import os
import random
import re
import string
import sys
import time

import yaml

TASK = {}  # TASK
PLAN = {}  # PLAN


def read_sources(public):
    with open(os.path.join(public, "sources.yaml"), encoding="utf-8") as fh:
        manifest = yaml.safe_load(fh)
    out = {}
    for source in manifest["sources"]:
        with open(os.path.join(public, source["file"]), encoding="utf-8") as fh:
            text = fh.read()
        if source["format"] == "qa_text":
            out[source["name"]] = read_qa_text(text, source)
            continue
        if source["format"] == "jsonl":
            rows = [json.loads(line) for line in text.splitlines() if line.strip()]
        else:
            rows = list(csv.DictReader(io.StringIO(text, newline="")))
        out[source["name"]] = [record(row, source) for row in rows]
    return out


def as_text(value):
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def record(row, source):
    fields = source.get("fields")
    values = {k: as_text(row.get(v)) for k, v in (fields or {}).items()}
    if source.get("template") and fields:
        prompt = source["template"].format(**values)
    else:
        prompt = as_text(row.get(source.get("prompt_field") or ""))
    out = {
        "prompt": prompt.strip(),
        "answer": as_text(row.get(source["answer_field"])).strip(),
        "values": values,
    }
    return out


def read_qa_text(text, source):
    records, question = [], None
    for line in text.splitlines():
        if line.startswith(source["record_start"]):
            question = None
        elif line.startswith(source["question_marker"]):
            question = [line[len(source["question_marker"]) :].strip()]
        elif line.startswith(source["answer_marker"]) and question is not None:
            records.append(
                {
                    "prompt": "\n".join(question).strip(),
                    "answer": line[len(source["answer_marker"]) :].strip(),
                    "values": {},
                }
            )
            question = None
        elif question is not None:
            question.append(line.rstrip())
    return records


def curate(sources, plan):
    template, pattern = TASK["prompt_template"], re.compile(TASK["answer_pattern"])
    placeholders = [f for _, f, _, _ in string.Formatter().parse(template) if f]
    chosen = plan.get("sources") or sorted(sources)
    examples, seen, dropped = [], set(), {"pattern": 0, "duplicate": 0}
    for name in chosen:
        for row in sources.get(name, []):
            prompt = row["prompt"]
            if (
                plan.get("normalize_prompts")
                and placeholders
                and all(row["values"].get(p) for p in placeholders)
            ):
                prompt = template.format(**{p: row["values"][p] for p in placeholders})
            if plan.get("filter_pattern") and not pattern.fullmatch(row["answer"]):
                dropped["pattern"] += 1
                continue
            key = prompt.strip().lower()
            if plan.get("dedupe") and key in seen:
                dropped["duplicate"] += 1
                continue
            seen.add(key)
            examples.append({"prompt": prompt, "answer": row["answer"]})
    random.Random(plan.get("seed", 0)).shuffle(examples)
    return examples[: plan.get("max_examples", len(examples))], dropped, chosen


def dev_score(reply, answer):
    """The dev metric: exact match after normalising case and spaces, numbers compared as numbers."""
    reply, answer = reply.strip().splitlines()[0].strip() if reply.strip() else "", answer.strip()
    if reply.lower() == answer.lower():
        return 1.0
    numbers = re.findall(r"-?\d+(?:\.\d+)?", reply)
    try:
        return float(bool(numbers) and math.isclose(float(numbers[0]), float(answer), rel_tol=1e-6))
    except ValueError:
        return 0.0


def generate(model, tokenizer, prompts, max_new_tokens, batch_size=16):
    import torch

    tokenizer.padding_side = "left"
    texts = [
        tokenizer.apply_chat_template(
            [{"role": "user", "content": p}], add_generation_prompt=True, tokenize=False
        )
        for p in prompts
    ]
    answers = []
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
            answers += [
                a.strip()
                for a in tokenizer.batch_decode(
                    out[:, batch["input_ids"].shape[1] :], skip_special_tokens=True
                )
            ]
    return answers


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    parser.add_argument(
        "--out", default=os.path.join(os.environ.get("OUTPUT_DIR", "output"), "model")
    )
    args = parser.parse_args()
    started = time.time()
    import torch
    from datasets import Dataset
    from transformers import AutoModelForCausalLM, AutoTokenizer
    from trl import SFTConfig, SFTTrainer

    torch.manual_seed(PLAN.get("seed", 0))
    torch.set_num_threads(max(1, int(os.environ.get("OMP_NUM_THREADS", "2"))))
    public, base = os.environ.get("DATA_PATH", "public"), os.environ["BASE_MODEL"]
    examples, dropped, used = curate(read_sources(public), PLAN)
    if args.quick:
        examples = examples[:8]
    if not examples:
        raise SystemExit("DATA: no training examples left after curation")
    with open(os.path.join(public, "dev.jsonl"), encoding="utf-8") as fh:
        dev = [json.loads(line) for line in fh if line.strip()]
    dev = dev[: 4 if args.quick else PLAN.get("eval_limit", 60)]
    tokenizer = AutoTokenizer.from_pretrained(base)
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    model = AutoModelForCausalLM.from_pretrained(base, dtype=torch.float32)
    peft_config = None
    if PLAN.get("method", "lora") == "lora":
        from peft import LoraConfig

        peft_config = LoraConfig(
            r=PLAN["lora_r"],
            lora_alpha=PLAN["lora_alpha"],
            lora_dropout=PLAN["lora_dropout"],
            target_modules="all-linear",
            task_type="CAUSAL_LM",
        )
    data = Dataset.from_list(
        [
            {
                "prompt": [{"role": "user", "content": e["prompt"]}],
                "completion": [{"role": "assistant", "content": e["answer"]}],
            }
            for e in examples
        ]
    )
    config = SFTConfig(
        output_dir=os.path.join(os.environ.get("HOME", "/tmp"), "sft-checkpoints"),
        num_train_epochs=PLAN.get("epochs", 1.0),
        max_steps=2 if args.quick else PLAN.get("max_steps", -1),
        per_device_train_batch_size=min(PLAN.get("batch_size", 8), len(examples)),
        learning_rate=PLAN.get("learning_rate", 2e-4),
        lr_scheduler_type="linear",
        logging_steps=5,
        save_strategy="no",
        report_to=[],
        use_cpu=True,
        bf16=False,
        max_length=PLAN.get("max_length", 256),
        gradient_checkpointing=PLAN.get("gradient_checkpointing", False),
        seed=PLAN.get("seed", 0),
        dataloader_num_workers=0,
        disable_tqdm=True,
    )
    trainer = SFTTrainer(
        model=model,
        args=config,
        train_dataset=data,
        processing_class=tokenizer,
        peft_config=peft_config,
    )
    history = trainer.train()
    losses = [h["loss"] for h in trainer.state.log_history if "loss" in h]
    final_loss = losses[-1] if losses else history.training_loss
    if not math.isfinite(final_loss):
        raise SystemExit(f"DIVERGED: the training loss became {final_loss}")
    trained = trainer.model
    trained.eval()
    answers = generate(trained, tokenizer, [d["prompt"] for d in dev], TASK["max_new_tokens"])
    scores = [dev_score(a, d["answer"]) for a, d in zip(answers, dev, strict=True)]
    pattern = re.compile(TASK["answer_pattern"])
    categories = {}
    for s, d in zip(scores, dev, strict=True):
        categories.setdefault(str(d.get("category", "all")), []).append(s)
    os.makedirs(args.out, exist_ok=True)
    trained.save_pretrained(args.out, safe_serialization=True)
    tokenizer.save_pretrained(args.out)
    result = {
        "valid_score": sum(scores) / len(scores),
        "valid_std": 0.0,
        "train_score": None,
        "train_loss": final_loss,
        "first_loss": losses[0] if losses else None,
        "well_formed": sum(bool(pattern.fullmatch(a)) for a in answers) / len(answers),
        "categories": {k: sum(v) / len(v) for k, v in categories.items()},
        "examples": len(examples),
        "dropped": dropped,
        "sources": used,
        "steps": trainer.state.global_step,
        "train_runtime": history.metrics.get("train_runtime"),
        "seconds": round(time.time() - started, 2),
        "submission": args.out,
        "misses": [
            {"prompt": d["prompt"][:200], "reply": a[:100], "answer": d["answer"]}
            for a, d, s in zip(answers, dev, scores, strict=True)
            if s < 1
        ][:5],
    }
    print("ASCENT_RESULT " + json.dumps(result), flush=True)


if __name__ == "__main__":
    sys.exit(main())
