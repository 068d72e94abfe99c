"""Building blocks for the prepare.py of a fine-tuning task, and the reader of its raw sources.

A prepared FT task holds, besides `private/test.jsonl`:

- `public/raw/`: a raw-data repository of several sources in different formats and quality,
- `public/sources.yaml`: the manifest of those sources (file, format, how to read it),
- `public/dev.jsonl`: labelled examples `{id, prompt, answer, category}` in the evaluation format.

`read_source(public_dir, entry)` turns any source of a manifest into `{prompt, answer[, category]}`
records, whatever its format:

- `jsonl`, one JSON object a line: either `prompt_field` + `answer_field`, or structured records
  whose `fields` (template placeholder -> record field) are rendered with `template`;
- `csv` with a header row: `prompt_field` + `answer_field` (or `fields` + `template`);
- `qa_text`: free text cut into records by lines starting with `record_start`; in each record the
  question starts at the line starting with `question_marker` and runs (over several lines if need
  be) up to the line starting with `answer_marker`, whose remainder is the answer. Other lines
  (greetings, comments) are not part of any record.

`build_task` is the standard recipe: it draws unique items from a task's generator (one generator
seed for the raw data and dev set, another for the test set, with no shared item), writes each
planned source with its kind of quality (clean, noisy, mislabeled, off-domain, with duplicates),
then the dev and test files and the manifest. Only the standard library, pydantic and PyYAML are
used, so the reader also works inside an agent's workspace.

A task's fingerprint covers its own prepare.py, not this module: a change here that alters what
`build_task` writes must come with a `version` bump in the task.yaml of every FT task using it.
"""

from __future__ import annotations

import csv
import io
import json
import math
import random
import re
import string
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, model_validator

Format = Literal["jsonl", "csv", "qa_text"]
Kind = Literal["clean", "noisy", "mislabeled", "off_domain"]
MANIFEST = "sources.yaml"
TEST_SEED_OFFSET = 1_000_003


# ---------------------------------------------------------------------------------------------
# The manifest and the reader


class Source(BaseModel):
    """One entry of `sources.yaml`: where a source is and how to read it."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(description="Short name of the source.")
    file: str = Field(description="Path relative to public/.")
    format: Format
    description: str = Field(description="One neutral line about the source.")
    prompt_field: str | None = Field(None, description="Field or column holding the prompt.")
    answer_field: str | None = Field(None, description="Field or column holding the answer.")
    category_field: str | None = Field(None, description="Field or column holding a category.")
    template: str | None = Field(None, description="Format string turning `fields` into a prompt.")
    fields: dict[str, str] | None = Field(
        None, description="Template placeholder -> record field, for structured records."
    )
    record_start: str | None = Field(None, description="qa_text: a line opening a new record.")
    question_marker: str | None = Field(None, description="qa_text: the question line's prefix.")
    answer_marker: str | None = Field(None, description="qa_text: the answer line's prefix.")

    @model_validator(mode="after")
    def _readable(self) -> Source:
        if self.format == "qa_text":
            if not (self.record_start and self.question_marker and self.answer_marker):
                raise ValueError("qa_text needs record_start, question_marker and answer_marker")
            return self
        if not self.answer_field:
            raise ValueError(f"{self.format} needs answer_field")
        structured = self.template is not None or self.fields is not None
        if structured and not (self.template and self.fields):
            raise ValueError("structured records need both template and fields")
        if structured:
            missing = set(template_fields(self.template or "")) - set(self.fields or {})
            if missing:
                raise ValueError(f"fields lacks the placeholders {sorted(missing)}")
        elif not self.prompt_field:
            raise ValueError(f"{self.format} needs prompt_field (or template and fields)")
        return self


def write_manifest(public: Path, sources: Sequence[Source]) -> None:
    entries = [s.model_dump(exclude_none=True) for s in sources]
    text = yaml.safe_dump(
        {"version": 1, "sources": entries}, sort_keys=False, allow_unicode=True, width=100
    )
    (public / MANIFEST).write_text(text, encoding="utf-8")


def read_manifest(public_dir: Path) -> list[Source]:
    """The sources listed in `public_dir/sources.yaml`, validated."""
    data = yaml.safe_load((Path(public_dir) / MANIFEST).read_text(encoding="utf-8"))
    if not isinstance(data, dict) or not isinstance(data.get("sources"), list):
        raise ValueError(f"{MANIFEST} must hold a list under 'sources'")
    return [Source.model_validate(entry) for entry in data["sources"]]


def read_source(public_dir: Path, entry: Source | Mapping[str, Any]) -> list[dict[str, str]]:
    """Every record of one source as `{"prompt", "answer"}`, plus `"category"` when it has one.

    Values are returned as written (stripped of surrounding whitespace only): cleaning them is
    the reader's caller's job.
    """
    source = entry if isinstance(entry, Source) else Source.model_validate(dict(entry))
    path = Path(public_dir) / source.file
    text = path.read_text(encoding="utf-8")
    if source.format == "qa_text":
        return _read_qa_text(text, source)
    if source.format == "jsonl":
        rows: Iterable[Mapping[str, Any]] = (
            json.loads(line) for line in text.splitlines() if line.strip()
        )
    else:
        rows = csv.DictReader(io.StringIO(text, newline=""))
    return [_record(row, source) for row in rows]


def read_sources(public_dir: Path) -> dict[str, list[dict[str, str]]]:
    """Every source of the manifest, by name."""
    return {s.name: read_source(public_dir, s) for s in read_manifest(public_dir)}


def _record(row: Mapping[str, Any], source: Source) -> dict[str, str]:
    if source.template and source.fields:
        values = {k: _text(row.get(v)) for k, v in source.fields.items()}
        prompt = source.template.format(**values)
    else:
        prompt = _text(row.get(source.prompt_field or ""))
    record = {"prompt": prompt.strip(), "answer": _text(row.get(source.answer_field or "")).strip()}
    if source.category_field and row.get(source.category_field) not in (None, ""):
        record["category"] = _text(row.get(source.category_field)).strip()
    return record


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _read_qa_text(text: str, source: Source) -> list[dict[str, str]]:
    start, q_mark, a_mark = source.record_start, source.question_marker, source.answer_marker
    assert start and q_mark and a_mark  # checked by Source
    records: list[dict[str, str]] = []
    question: list[str] | None = None
    for line in text.splitlines():
        if line.startswith(start):
            question = None
        elif line.startswith(q_mark):
            question = [line[len(q_mark) :].strip()]
        elif line.startswith(a_mark) and question is not None:
            prompt = "\n".join(question).strip()
            records.append({"prompt": prompt, "answer": line[len(a_mark) :].strip()})
            question = None
        elif question is not None:
            question.append(line.rstrip())
    return records


# ---------------------------------------------------------------------------------------------
# Files


def write_jsonl(path: Path, rows: Iterable[Mapping[str, Any]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = [json.dumps(dict(row), ensure_ascii=False) for row in rows]
    path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    text = Path(path).read_text(encoding="utf-8")
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def write_csv(path: Path, rows: Iterable[Mapping[str, Any]], columns: Sequence[str]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    buffer = io.StringIO(newline="")
    writer = csv.DictWriter(buffer, fieldnames=list(columns), lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({c: row.get(c, "") for c in columns})
    path.write_text(buffer.getvalue(), encoding="utf-8")


@dataclass(frozen=True)
class Post:
    """One record of a qa_text file: a header line, chatter around a question and its answer."""

    header: str
    question: str
    answer: str
    before: tuple[str, ...] = ()
    after: tuple[str, ...] = ()


def write_qa_text(path: Path, posts: Iterable[Post], q_mark: str, a_mark: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    blocks = []
    for post in posts:
        lines = [post.header, *post.before, f"{q_mark} {post.question}", f"{a_mark} {post.answer}"]
        blocks.append("\n".join([*lines, *post.after]))
    path.write_text("\n\n".join(blocks) + "\n", encoding="utf-8")


# ---------------------------------------------------------------------------------------------
# Templates


def template_fields(template: str) -> list[str]:
    """Placeholder names of a format string, in order, without repeats."""
    names = [name for _, name, _, _ in string.Formatter().parse(template) if name]
    return list(dict.fromkeys(names))


def template_regex(template: str, patterns: Mapping[str, str] | None = None) -> re.Pattern[str]:
    """A regex that fully matches the strings `template.format(...)` produces.

    Each placeholder becomes a named group (`patterns[name]`, else any non-empty text); a
    repeated placeholder must repeat the same text.
    """
    patterns = patterns or {}
    parts, seen = [], set()
    for literal, name, _, _ in string.Formatter().parse(template):
        parts.append(re.escape(literal))
        if name is None:
            continue
        if name in seen:
            parts.append(f"(?P={name})")
        else:
            parts.append(f"(?P<{name}>{patterns.get(name, '.+?')})")
            seen.add(name)
    return re.compile("".join(parts), re.DOTALL)


def parse_template(
    template: str, text: str, patterns: Mapping[str, str] | None = None
) -> dict[str, str] | None:
    """The placeholder values that make `template` produce `text`, or None."""
    match = template_regex(template, patterns).fullmatch(text)
    return match.groupdict() if match else None


# ---------------------------------------------------------------------------------------------
# Noise


CHATTER_BEFORE = (
    "hi all, quick question from my homework sheet",
    "can someone check this one?",
    "posting this for my study group",
    "not sure about this one...",
    "our teacher went over this today",
    "sorry if this was asked before",
    "long time lurker, first post",
    "got stuck on this, help appreciated",
)
CHATTER_AFTER = (
    "thanks in advance!",
    "edit: fixed the formatting",
    "+1, same answer here",
    "hope this helps",
    "that's what the answer key says anyway",
    "(double check me)",
    "cheers",
    "anyone else get something different?",
)
HANDLES = (
    "mira_k",
    "tobi88",
    "jdlee",
    "quietfox",
    "n0va",
    "ssharma",
    "pkowalski",
    "lab_rat",
    "ozzie",
)


def typo(text: str, rng: random.Random) -> str:
    """One typing slip in a lowercase word of five letters or more (swap, drop or double a
    letter). Numbers, symbols and capitalised words are left alone, so meaning survives."""
    words = list(re.finditer(r"\b[a-z]{5,}\b", text))
    if not words:
        return text
    word = rng.choice(words)
    w = word.group()
    i = rng.randrange(1, len(w) - 1)
    kind = rng.randrange(3)
    if kind == 0:
        new = w[: i - 1] + w[i] + w[i - 1] + w[i + 1 :]
    elif kind == 1:
        new = w[:i] + w[i + 1 :]
    else:
        new = w[:i] + w[i] + w[i:]
    return text[: word.start()] + new + text[word.end() :]


def near_duplicate(text: str, rng: random.Random) -> str:
    """The same question written slightly differently: case of the first letter, a doubled
    space, a filler word in front or after. The content is unchanged."""
    kinds = [0, 1, 2, 3]
    rng.shuffle(kinds)
    for kind in kinds:
        if kind == 0 and text[:1].isupper():
            return text[0].lower() + text[1:]
        if kind == 1 and " " in text:
            at = rng.choice([m.start() for m in re.finditer(" ", text)])
            return text[:at] + "  " + text[at + 1 :]
        if kind == 2:
            return text + rng.choice((" !", " ??", " thx", " (urgent)"))
        if kind == 3:
            return rng.choice(("pls ", "Quick one: ", "Q ", "re: ")) + text
    return text


def chatter(rng: random.Random, bank: Sequence[str], p: float) -> tuple[str, ...]:
    return (rng.choice(bank),) if rng.random() < p else ()


def ids(prefix: str, n: int) -> list[str]:
    width = max(3, len(str(n - 1)))
    return [f"{prefix}{i:0{width}d}" for i in range(n)]


# ---------------------------------------------------------------------------------------------
# Reading a model's reply (for grade.py): never raise, whatever the text

NUMBER = re.compile(r"(?<![\w.])[-+]?\$?\d[\d,]*(?:\.\d+)?(?![\w])")


def first_line(reply: object) -> str:
    """The first non-empty line of a reply, stripped ("" if there is none)."""
    text = reply if isinstance(reply, str) else ""
    for line in text.splitlines():
        if line.strip():
            return line.strip()
    return ""


def first_number(text: object) -> float | None:
    """The first stand-alone number in `text` (`1,250.50`, `$12`, `-3`): digits inside words or
    formulas such as `H2O` do not count. None if there is none."""
    if not isinstance(text, str):
        return None
    for match in NUMBER.finditer(text):
        token = match.group().replace(",", "").replace("$", "")
        try:
            value = float(token)
        except ValueError:
            continue
        if math.isfinite(value):
            return value
    return None


def normalize(text: object) -> str:
    """Lowercase, inner whitespace collapsed, surrounding quotes and punctuation removed."""
    if not isinstance(text, str):
        return ""
    return " ".join(text.lower().split()).strip(" \t'\"`.,;:!?()[]{}*")


# ---------------------------------------------------------------------------------------------
# The standard recipe


@dataclass(frozen=True)
class Item:
    """One generated question: its identity, its template placeholders, answer and category."""

    key: str
    fields: dict[str, str]
    answer: str
    category: str
    data: dict[str, Any] = field(default_factory=dict, compare=False)


Pair = tuple[str, str]


@dataclass(frozen=True)
class Domain:
    """What a task's generator provides to `build_task`."""

    template: str
    categories: Sequence[str]
    make: Callable[[random.Random, str], Item]  # a random item of one category
    rephrase: Callable[[Item, random.Random], Pair]  # (prompt, answer) in another style
    wrong: Callable[[Item, random.Random], str]  # a plausible but wrong answer
    off_domain: Callable[[random.Random], Pair]  # plausible Q/A of another task

    def prompt(self, item: Item) -> str:
        return self.template.format(**item.fields)


@dataclass(frozen=True)
class Plan:
    """One raw source to write: its file, format, size and the kind of quality it has.

    `kind`: `clean` (structured records, always right), `noisy` (another phrasing and answer
    style, typos, a few junk answers), `mislabeled` (the evaluation phrasing, about `wrong_share`
    of the answers wrong), `off_domain` (another task's questions). Every source holds exact
    duplicates (`duplicate_share`); noisy and mislabeled sources reuse items of the clean ones
    (`overlap`), which a mislabeled source writes half the time as near-duplicates.
    """

    name: str
    file: str
    format: Format
    kind: Kind
    n: int
    description: str
    prompt_field: str = "prompt"
    answer_field: str = "answer"
    category_field: str = "category"
    fields: Mapping[str, str] = field(default_factory=dict)  # clean: placeholder -> record field
    markers: tuple[str, str, str] = ("=== ", "Q:", "A:")  # record_start, question, answer
    header: str = "=== post #{n} by {handle} ==="
    wrong_share: float = 0.3
    overlap: float = 0.15
    duplicate_share: float = 0.04
    typo_share: float = 0.12
    junk_share: float = 0.03
    extra_columns: Mapping[str, Callable[[random.Random], str]] = field(default_factory=dict)


JUNK_ANSWERS = ("", "n/a", "?", "see above", "TODO", "idk")


def build_task(
    public: Path,
    private: Path,
    seed: int,
    domain: Domain,
    plans: Sequence[Plan],
    n_dev: int = 60,
    n_test: int = 160,
) -> None:
    """Write raw sources, manifest, dev and test files of one task. Deterministic in `seed`.

    Raw and dev items come from the generator seeded with `seed`, test items from the one seeded
    with `seed + TEST_SEED_OFFSET`; no item key is shared between raw data, dev and test.
    """
    rng = random.Random(seed)
    used: dict[str, None] = {}
    clean_items: list[Item] = []
    sources: list[Source] = []
    for plan in plans:
        reused: list[Item] = []
        fresh: list[Item] = []
        if plan.kind != "off_domain":
            n_reuse = 0 if plan.kind == "clean" else round(plan.n * plan.overlap)
            reused = rng.sample(clean_items, min(n_reuse, len(clean_items)))
            fresh = draw(rng, domain, plan.n - len(reused), used)
        if plan.kind == "clean":
            clean_items.extend(fresh)
        sources.append(_write_source(public, plan, domain, fresh, reused, rng))
    dev = draw(rng, domain, n_dev, used, balanced=True)
    test = draw(random.Random(seed + TEST_SEED_OFFSET), domain, n_test, used, balanced=True)
    write_jsonl(public / "dev.jsonl", examples(domain, dev, "dev-"))
    write_jsonl(private / "test.jsonl", examples(domain, test, "test-"))
    write_manifest(public, sources)


def draw(
    rng: random.Random,
    domain: Domain,
    n: int,
    used: dict[str, None],
    balanced: bool = False,
) -> list[Item]:
    """`n` new items whose keys are not in `used` (which they join); categories taken in turn
    when `balanced` (then shuffled), else at random."""
    cats = list(domain.categories)
    out: list[Item] = []
    attempts = 0
    while len(out) < n:
        attempts += 1
        if attempts > 200 * n + 1000:
            raise RuntimeError(f"the generator ran out of new items after {len(out)} of {n}")
        category = cats[len(out) % len(cats)] if balanced else rng.choice(cats)
        item = domain.make(rng, category)
        if item.key in used:
            continue
        used[item.key] = None
        out.append(item)
    if balanced:
        rng.shuffle(out)
    return out


def examples(domain: Domain, items: Sequence[Item], prefix: str) -> list[dict[str, str]]:
    """Evaluation records `{id, prompt, answer, category}`."""
    return [
        {"id": id_, "prompt": domain.prompt(item), "answer": item.answer, "category": item.category}
        for id_, item in zip(ids(prefix, len(items)), items, strict=True)
    ]


def _write_source(
    public: Path,
    plan: Plan,
    domain: Domain,
    fresh: list[Item],
    reused: list[Item],
    rng: random.Random,
) -> Source:
    base: dict[str, Any] = {"name": plan.name, "file": plan.file, "format": plan.format}
    base["description"] = plan.description
    path = public / plan.file
    if plan.kind == "clean":
        names = {k: plan.fields.get(k, k) for k in template_fields(domain.template)}
        records = [
            {"id": f"r{rng.randrange(10**6):06d}"}
            | {names[k]: v for k, v in item.fields.items()}
            | {plan.answer_field: _typed(item.answer), plan.category_field: item.category}
            for item in fresh
        ]
        records = _with_duplicates(records, rng, plan.duplicate_share)
        if plan.format == "jsonl":
            write_jsonl(path, records)
        else:
            columns = ["id", *names.values(), plan.answer_field, plan.category_field]
            write_csv(path, records, columns)
        return Source(
            **base,
            template=domain.template,
            fields=names,
            answer_field=plan.answer_field,
            category_field=plan.category_field,
        )
    rows = _with_duplicates(_rows(plan, domain, fresh, reused, rng), rng, plan.duplicate_share)
    if plan.format == "qa_text":
        start, q_mark, a_mark = plan.markers
        posts = [
            Post(
                header=plan.header.format(n=rng.randrange(1000, 99999), handle=rng.choice(HANDLES)),
                question=row["prompt"],
                answer=row["answer"],
                before=chatter(rng, CHATTER_BEFORE, 0.5),
                after=chatter(rng, CHATTER_AFTER, 0.4),
            )
            for row in rows
        ]
        write_qa_text(path, posts, q_mark, a_mark)
        return Source(**base, record_start=start, question_marker=q_mark, answer_marker=a_mark)
    records = [
        {plan.prompt_field: r["prompt"], plan.answer_field: r["answer"]}
        | {col: make(rng) for col, make in plan.extra_columns.items()}
        for r in rows
    ]
    if plan.format == "jsonl":
        write_jsonl(path, records)
    else:
        write_csv(path, records, [plan.prompt_field, plan.answer_field, *plan.extra_columns])
    return Source(**base, prompt_field=plan.prompt_field, answer_field=plan.answer_field)


def _typed(answer: str) -> int | str:
    """Whole numbers are stored as numbers in structured records."""
    return int(answer) if re.fullmatch(r"-?[1-9]\d{0,15}|0", answer) else answer


def _rows(
    plan: Plan, domain: Domain, fresh: list[Item], reused: list[Item], rng: random.Random
) -> list[dict[str, str]]:
    if plan.kind == "off_domain":
        pairs = [domain.off_domain(rng) for _ in range(plan.n)]
        return [{"prompt": q, "answer": a} for q, a in pairs]
    tagged = [(item, False) for item in fresh] + [(item, True) for item in reused]
    rng.shuffle(tagged)
    rows = []
    for item, again in tagged:
        if plan.kind == "noisy":
            prompt, answer = domain.rephrase(item, rng)
            if rng.random() < plan.typo_share:
                prompt = typo(prompt, rng)
            if rng.random() < plan.junk_share:
                answer = rng.choice(JUNK_ANSWERS)
        else:
            prompt, answer = domain.prompt(item), item.answer
            if rng.random() < plan.wrong_share:
                answer = wrong_answer(domain, item, rng)
            if again and rng.random() < 0.5:
                prompt = near_duplicate(prompt, rng)
        rows.append({"prompt": prompt, "answer": answer})
    return rows


def wrong_answer(domain: Domain, item: Item, rng: random.Random) -> str:
    """A wrong answer from the domain's generator; never the right one."""
    for _ in range(20):
        answer = domain.wrong(item, rng)
        if answer != item.answer:
            return answer
    raise RuntimeError(f"no wrong answer for {item.key!r}")


def _with_duplicates(rows: list[dict], rng: random.Random, share: float) -> list[dict]:
    """`rows` plus exact copies of about `share` of them, each inserted at a random place."""
    out = list(rows)
    for row in rng.sample(rows, round(len(rows) * share)):
        out.insert(rng.randrange(len(out) + 1), dict(row))
    return out
