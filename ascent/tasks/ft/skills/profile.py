"""A profile of a fine-tuning task's raw data: what curation can reason about.

For each source: how many records, how many answers are well-formed, how many prompts repeat,
whether its prompts already follow the evaluation format, how often its answers agree with
other sources on the same question (a source that keeps disagreeing is probably mislabeled), and
how much of its prompts' vocabulary the dev questions use (a source far from it is off-domain).
"""

from __future__ import annotations

import json
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
    # The template's own words say nothing about the topic: leave them out of the comparison.
    fixed = _words(re.sub(r"\{[^}]*\}", " ", template))
    dev_vocabulary: set[str] = set()
    for line in (public / "dev.jsonl").read_text().splitlines():
        if line.strip():
            dev_vocabulary |= _words(json.loads(line).get("prompt", "")) - fixed
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
            "dev_similarity": _dev_similarity(prompts, dev_vocabulary, fixed),
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


def _words(text: str) -> set[str]:
    return set(re.findall(r"[a-z]{3,}", text.lower()))


def _dev_similarity(prompts: list[str], vocabulary: set[str], fixed: set[str]) -> float | None:
    """Mean share of a prompt's words that dev questions use too (None: no words to compare)."""
    shares = []
    for prompt in prompts:
        words = _words(prompt) - fixed
        if words:
            shares.append(len(words & vocabulary) / len(words))
    return round(sum(shares) / len(shares), 4) if shares and vocabulary else None
