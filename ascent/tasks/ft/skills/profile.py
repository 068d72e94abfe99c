"""A profile of a fine-tuning task's raw data: what curation can reason about.

For each source: how many records, how many answers are well-formed, how many prompts repeat,
whether its prompts already follow the evaluation format, and how often its answers agree with
other sources on the same question (a source that keeps disagreeing is probably mislabeled).
"""

from __future__ import annotations

import re
import string
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

from ascent.tasks.ft.kit import read_manifest, read_source, template_regex


def profile_sources(public: Path, facts: dict[str, Any]) -> dict[str, Any]:
    template = facts.get("prompt_template", "")
    pattern = re.compile(facts.get("answer_pattern", ".+"))
    placeholders = [f for _, f, _, _ in string.Formatter().parse(template) if f]
    eval_format = template_regex(template) if template else None
    answers_by_prompt: dict[str, dict[str, Counter]] = defaultdict(lambda: defaultdict(Counter))
    stats: dict[str, dict[str, Any]] = {}
    for source in read_manifest(public):
        rows = read_source(public, source)
        prompts = [r["prompt"].strip().lower() for r in rows]
        normalisable = bool(source.fields) and set(placeholders) <= set(source.fields or {})
        stats[source.name] = {
            "file": source.file,
            "format": source.format,
            "records": len(rows),
            "well_formed": round(
                sum(bool(pattern.fullmatch(r["answer"])) for r in rows) / max(len(rows), 1), 4
            ),
            "duplicates": round(1 - len(set(prompts)) / max(len(prompts), 1), 4),
            "eval_format": round(
                sum(bool(eval_format and eval_format.fullmatch(r["prompt"])) for r in rows)
                / max(len(rows), 1),
                4,
            ),
            "normalisable": normalisable,
        }
        for r, key in zip(rows, prompts, strict=True):
            answers_by_prompt[key][source.name][r["answer"].strip().lower()] += 1
    for name in stats:
        agree = total = 0
        for by_source in answers_by_prompt.values():
            if name not in by_source or len(by_source) < 2:
                continue
            mine = by_source[name].most_common(1)[0][0]
            others = Counter()
            for other, counts in by_source.items():
                if other != name:
                    others.update(counts)
            total += 1
            agree += int(others.most_common(1)[0][0] == mine)
        stats[name]["shared_prompts"] = total
        stats[name]["agreement"] = round(agree / total, 4) if total else None
    dev = sum(1 for line in (public / "dev.jsonl").read_text().splitlines() if line.strip())
    return {"sources": stats, "dev_examples": dev}
