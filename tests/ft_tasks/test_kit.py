"""The building blocks of FT tasks: the source reader, templates, noise, the standard recipe."""

import json
import random
import re

import pytest
from pydantic import ValidationError

from ascent.tasks.ft import kit


def test_template_regex_reads_placeholders_back():
    template = "How many {element} atoms are in {formula}? Answer with a number."
    text = template.format(element="O", formula="Al2(SO4)3")
    assert kit.template_fields(template) == ["element", "formula"]
    assert kit.parse_template(template, text) == {"element": "O", "formula": "Al2(SO4)3"}
    assert kit.parse_template(template, text + " ") is None
    assert kit.parse_template(template, text, {"element": r"\d+"}) is None
    repeated = "{name} has {n} pens; {name} gives one away."
    assert kit.parse_template(repeated, "Ann has 3 pens; Ann gives one away.") == {
        "name": "Ann",
        "n": "3",
    }
    assert kit.parse_template(repeated, "Ann has 3 pens; Bob gives one away.") is None
    multiline = "Table:\n{table}\nQ: {q}"
    assert kit.parse_template(multiline, "Table:\na | b\n1 | 2\nQ: why?") == {
        "table": "a | b\n1 | 2",
        "q": "why?",
    }


def _write(public, manifest, files):
    (public / "raw").mkdir(parents=True)
    for name, text in files.items():
        (public / name).write_text(text, encoding="utf-8")
    (public / "sources.yaml").write_text(json.dumps({"version": 1, "sources": manifest}))


def test_read_source_reads_every_format(tmp_path):
    manifest = [
        {
            "name": "records",
            "file": "raw/r.jsonl",
            "format": "jsonl",
            "description": "structured",
            "template": "What colour is a {fruit}?",
            "fields": {"fruit": "name"},
            "answer_field": "colour",
            "category_field": "kind",
        },
        {
            "name": "pairs",
            "file": "raw/p.jsonl",
            "format": "jsonl",
            "description": "pairs",
            "prompt_field": "q",
            "answer_field": "a",
        },
        {
            "name": "sheet",
            "file": "raw/s.csv",
            "format": "csv",
            "description": "csv",
            "prompt_field": "question",
            "answer_field": "answer",
        },
        {
            "name": "forum",
            "file": "raw/f.txt",
            "format": "qa_text",
            "description": "posts",
            "record_start": "=== ",
            "question_marker": "Q:",
            "answer_marker": "A:",
        },
    ]
    forum = (
        "=== post 1 ===\nhello there\nQ: first line\nsecond line\nA: 42\nthanks!\n\n"
        "=== post 2 ===\nQ: lost question\n=== post 3 ===\nQ: kept\nA:  7 \n"
    )
    _write(
        tmp_path,
        manifest,
        {
            "raw/r.jsonl": '{"name": "lime", "colour": "green", "kind": "citrus"}\n'
            '{"name": "plum", "colour": 3.0}\n',
            "raw/p.jsonl": '{"q": " Why? ", "a": 2}\n\n',
            "raw/s.csv": 'question,answer,extra\n"multi\nline, quoted",yes,x\nplain,,y\n',
            "raw/f.txt": forum,
        },
    )
    got = kit.read_sources(tmp_path)
    assert got["records"] == [
        {"prompt": "What colour is a lime?", "answer": "green", "category": "citrus"},
        {"prompt": "What colour is a plum?", "answer": "3"},
    ]
    assert got["pairs"] == [{"prompt": "Why?", "answer": "2"}]
    assert got["sheet"] == [
        {"prompt": "multi\nline, quoted", "answer": "yes"},
        {"prompt": "plain", "answer": ""},
    ]
    assert got["forum"] == [
        {"prompt": "first line\nsecond line", "answer": "42"},
        {"prompt": "kept", "answer": "7"},
    ]
    assert kit.read_source(tmp_path, manifest[1]) == got["pairs"]


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ({"format": "qa_text"}, "record_start"),
        ({"format": "csv", "prompt_field": "q"}, "answer_field"),
        ({"format": "jsonl", "answer_field": "a"}, "prompt_field"),
        ({"format": "jsonl", "answer_field": "a", "template": "{x}"}, "both template and fields"),
        (
            {"format": "jsonl", "answer_field": "a", "template": "{x} {y}", "fields": {"x": "x"}},
            "placeholders",
        ),
        ({"format": "xml", "answer_field": "a", "prompt_field": "q"}, "format"),
    ],
)
def test_manifest_entries_are_validated(entry, message):
    with pytest.raises(ValidationError, match=message):
        kit.Source.model_validate({"name": "s", "file": "f", "description": "d", **entry})


def test_typo_and_near_duplicate_keep_the_content():
    rng = random.Random(0)
    text = "How many O atoms are in Ca(NO3)2? Answer with a number."
    for _ in range(200):
        slipped = kit.typo(text, rng)
        assert slipped != text
        assert "Ca(NO3)2" in slipped and " O " in slipped
        near = kit.near_duplicate(text, rng)
        assert near != text and near.strip()
        assert "Ca(NO3)2" in near
    assert kit.typo("ABC 123", rng) == "ABC 123"


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("42", 42.0),
        ("The answer is 42.", 42.0),
        ("$1,250.50 in total", 1250.5),
        ("H2SO4 has 4 oxygen atoms", 4.0),
        ("-3 degrees", -3.0),
        ("3rd place, 7 points", 7.0),
        ("no number", None),
        ("", None),
    ],
)
def test_first_number(text, value):
    assert kit.first_number(text) == value


def test_reply_helpers_accept_anything():
    assert kit.first_line("\n\n  Oslo \nRome") == "Oslo"
    assert kit.first_line(None) == ""
    assert kit.first_number(None) is None
    assert kit.normalize('  "Old   Town."  ') == "old town"
    assert kit.normalize(12) == ""


def _toy_domain(size):
    def make(rng, category):
        n = rng.randrange(size)
        return kit.Item(str(n), {"n": str(n)}, str(n * 2), category)

    return kit.Domain(
        template="Double {n}?",
        categories=["even", "odd"],
        make=make,
        rephrase=lambda item, rng: (f"twice {item.fields['n']}", item.answer),
        wrong=lambda item, rng: str(int(item.answer) + 1),
        off_domain=lambda rng: ("Capital of France?", "Paris"),
    )


def test_build_task_is_deterministic_and_keeps_test_items_apart(tmp_path):
    plans = [
        kit.Plan("clean", "raw/c.jsonl", "jsonl", "clean", 40, "c", fields={"n": "number"}),
        kit.Plan("noisy", "raw/n.csv", "csv", "noisy", 30, "n"),
        kit.Plan("bad", "raw/b.txt", "qa_text", "mislabeled", 30, "b", wrong_share=0.5),
        kit.Plan("other", "raw/o.jsonl", "jsonl", "off_domain", 10, "o"),
    ]
    outputs = []
    for run in ("a", "b"):
        public, private = tmp_path / run / "public", tmp_path / run / "private"
        public.mkdir(parents=True)
        private.mkdir()
        kit.build_task(public, private, 5, _toy_domain(10_000), plans, n_dev=10, n_test=20)
        files = sorted(p for p in (tmp_path / run).rglob("*") if p.is_file())
        outputs.append({p.relative_to(tmp_path / run): p.read_bytes() for p in files})
    assert outputs[0] == outputs[1]
    public = tmp_path / "a" / "public"
    sources = kit.read_sources(public)
    assert [len(sources[name]) for name in ("clean", "other")] == [42, 10]  # 40 + 2 duplicates
    raw_numbers = {_number(r["prompt"]) for rows in sources.values() for r in rows}
    test = kit.read_jsonl(tmp_path / "a" / "private" / "test.jsonl")
    dev = kit.read_jsonl(public / "dev.jsonl")
    assert len(test) == 20 and len(dev) == 10
    test_numbers = {_number(r["prompt"]) for r in test}
    assert not test_numbers & raw_numbers
    assert not test_numbers & {_number(r["prompt"]) for r in dev}
    assert sorted(r["category"] for r in test) == ["even"] * 10 + ["odd"] * 10
    wrong = [r for r in sources["bad"] if r["answer"] != str(2 * int(_number(r["prompt"])))]
    assert 5 <= len(wrong) <= 25


def _number(text):
    found = re.search(r"\d+", text)
    return found.group() if found else text


def test_draw_stops_when_the_generator_runs_dry():
    with pytest.raises(RuntimeError, match="ran out of new items"):
        kit.draw(random.Random(0), _toy_domain(5), 6, {})
