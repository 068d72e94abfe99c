"""Every bundled fine-tuning task: complete, deterministic, leak-free, with the raw-data
repository its contract promises (clean, noisy, mislabeled, off-domain and duplicated sources)."""

import json
import os
import re
import subprocess
import sys
from collections import Counter

import pytest
import yaml

from ascent.config import Paths
from ascent.tasks.ft import kit
from ascent.tasks.prepare import prepare_task
from ascent.tasks.registry import Registry
from tests.ft_tasks.conftest import FT_TASKS, ROLES

SECTIONS = ("## Goal", "## Files", "## Evaluation", "## Submission format")
FT_KEYS = {"max_new_tokens", "prompt_template", "answer_pattern", "categories"}


FILLERS = {"pls", "quick", "one", "q", "re", "thx", "urgent"}


def _squash(text):
    return " ".join(re.findall(r"[a-z0-9]+", text.lower()))


def _core(text):
    """The words of a prompt without the filler a near-duplicate may add at either end."""
    words = _squash(text).split()
    while words and words[0] in FILLERS:
        words.pop(0)
    while words and words[-1] in FILLERS:
        words.pop()
    return " ".join(words)


def test_the_suite_has_six_domains(ft_registry):
    ids = {t.id for t in ft_registry.all("ft")}
    assert set(FT_TASKS) <= ids


@pytest.mark.parametrize("task_id", FT_TASKS)
def test_task_folder_follows_the_contract(ft_registry, task_id):
    task = ft_registry.get(task_id)
    spec = task.spec
    assert spec.family == "ft" and spec.base_model == "smollm2-135m-instruct"
    assert spec.metric.higher_is_better and spec.feedback == "score"
    assert spec.public_fraction == 0.5
    assert spec.baseline is None or 0.0 <= spec.baseline <= 1.0  # `ascent tasks baseline --write`
    assert spec.budget.model_dump() == {
        "wall_seconds": 1800,
        "max_submissions": 5,
        "memory_mb": 8192,
        "cpus": 2,
    }
    ft = yaml.safe_load((task.root / "ft.yaml").read_text(encoding="utf-8"))
    assert set(ft) == FT_KEYS
    assert task.ft_spec().prompt_template == ft["prompt_template"]  # the harness reads it too
    assert isinstance(ft["max_new_tokens"], int) and 1 <= ft["max_new_tokens"] <= 16
    assert len(ft["categories"]) == len(set(ft["categories"])) >= 3
    re.compile(ft["answer_pattern"])
    text = task.description()
    for section in SECTIONS:
        assert section in text, f"{task_id}: description.md lacks {section}"
    assert f"**{ft['max_new_tokens']} new tokens**" in text
    assert "./submit output/model" in text


@pytest.mark.parametrize("task_id", FT_TASKS)
def test_preparing_twice_gives_identical_data(ft_prepared, ft_registry, tmp_path, task_id):
    first = ft_prepared(task_id)
    again = prepare_task(ft_registry.get(task_id), Paths(tmp_path / "home").ensure())
    assert again.checksum == first.checksum
    assert again.root.name == first.root.name  # same fingerprint


def test_preparation_does_not_depend_on_string_hashing(ft_prepared, tmp_path):
    """Another interpreter, with another hash seed, writes byte-identical files."""
    script = (
        "import json, sys\n"
        "from ascent.config import Paths\n"
        "from ascent.tasks.prepare import prepare_task\n"
        "from ascent.tasks.registry import Registry\n"
        "paths = Paths(__import__('pathlib').Path(sys.argv[1])).ensure()\n"
        "registry = Registry(plugins=False)\n"
        "ids = sys.argv[2:]\n"
        "print(json.dumps({i: prepare_task(registry.get(i), paths).checksum for i in ids}))\n"
    )
    env = {**os.environ, "PYTHONHASHSEED": "12345", "ASCENT_HOME": str(tmp_path / "home")}
    done = subprocess.run(
        [sys.executable, "-c", script, str(tmp_path / "home"), *FT_TASKS],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=True,
    )
    checksums = json.loads(done.stdout.strip().splitlines()[-1])
    assert checksums == {i: ft_prepared(i).checksum for i in FT_TASKS}


@pytest.mark.parametrize("task_id", FT_TASKS)
def test_sources_are_listed_and_readable(ft_prepared, task_id):
    p = ft_prepared(task_id)
    manifest = kit.read_manifest(p.public)
    assert len(manifest) >= 4
    assert len({s.format for s in manifest}) >= 3
    listed = {s.file for s in manifest}
    on_disk = {f"raw/{f.name}" for f in (p.public / "raw").iterdir()}
    assert listed == on_disk
    total = 0
    for source in manifest:
        rows = kit.read_source(p.public, source)
        assert len(rows) >= 100, source.name
        assert all(r["prompt"] for r in rows), source.name
        total += len(rows)
    assert 600 <= total <= 2500
    text = (p.public / "sources.yaml").read_text(encoding="utf-8").lower()
    for word in ("wrong", "mislabel", "off-domain", "off domain", "noisy", "unrelated"):
        assert word not in text


@pytest.mark.parametrize("task_id", FT_TASKS)
def test_dev_and_test_sets_are_well_formed(ft_prepared, task_id):
    p = ft_prepared(task_id)
    template = kit.template_regex(p.ft["prompt_template"])
    answer = re.compile(p.ft["answer_pattern"])
    dev, test = p.dev, p.test
    assert 50 <= len(dev) <= 70 and 120 <= len(test) <= 200
    for split, rows in (("dev", dev), ("test", test)):
        assert len({r["id"] for r in rows}) == len(rows)
        assert len({r["prompt"] for r in rows}) == len(rows), split
        for row in rows:
            assert set(row) == {"id", "prompt", "answer", "category"}
            assert template.fullmatch(row["prompt"]), (split, row["prompt"])
            assert answer.fullmatch(row["answer"]), (split, row["answer"])
            assert p.module.solve(row["prompt"]) == row["answer"], (split, row)
        counts = Counter(r["category"] for r in rows)
        assert set(counts) == set(p.ft["categories"])
        assert max(counts.values()) - min(counts.values()) <= 1


@pytest.mark.parametrize("task_id", FT_TASKS)
def test_no_test_prompt_leaks_into_dev_or_raw_data(ft_prepared, task_id):
    p = ft_prepared(task_id)
    seen = {r["prompt"] for r in p.dev}
    for rows in p.sources().values():
        seen |= {r["prompt"] for r in rows}
    squashed = {_squash(s) for s in seen}
    for row in p.test:
        assert row["prompt"] not in seen
        assert _squash(row["prompt"]) not in squashed


@pytest.mark.parametrize("task_id", FT_TASKS)
def test_each_source_has_the_quality_it_was_built_with(ft_prepared, task_id):
    p = ft_prepared(task_id)
    sources = p.sources()
    clean, noisy, mislabeled, off = (sources[name] for name in ROLES[task_id])
    solve = p.module.solve
    template = kit.template_regex(p.ft["prompt_template"])
    # clean: structured, always right, categorised
    assert all(solve(r["prompt"]) == r["answer"] for r in clean)
    assert {r.get("category") for r in clean} == set(p.ft["categories"])
    # noisy: another wording, mostly not the evaluation's
    assert sum(bool(template.fullmatch(r["prompt"])) for r in noisy) <= 0.1 * len(noisy)
    # mislabeled: the evaluation's wording, a measurable share of wrong answers
    solved = [(r, solve(r["prompt"])) for r in mislabeled]
    checked = [(r, truth) for r, truth in solved if truth is not None]
    assert len(checked) >= 0.85 * len(mislabeled)
    wrong = [
        r
        for r, truth in checked
        if p.score(r["answer"], {"answer": truth, "prompt": r["prompt"]}) < 1
    ]
    assert 0.15 <= len(wrong) / len(checked) <= 0.5
    # off-domain: plausible question/answer pairs no instance of the task
    assert all(solve(r["prompt"]) is None for r in off)
    assert all(r["answer"] for r in off)


@pytest.mark.parametrize("task_id", FT_TASKS)
def test_sources_hold_exact_and_near_duplicates(ft_prepared, task_id):
    p = ft_prepared(task_id)
    sources = p.sources()
    for name, rows in sources.items():
        pairs = Counter((r["prompt"], r["answer"]) for r in rows)
        assert any(n > 1 for n in pairs.values()), f"{name} has no exact duplicate"
    clean_name, _, bad_name, _ = ROLES[task_id]
    clean = {r["prompt"] for r in sources[clean_name]}
    bad = [r["prompt"] for r in sources[bad_name]]
    assert sum(prompt in clean for prompt in bad) >= 10  # across sources, exact
    cores = {_core(c) for c in clean}
    near = [b for b in bad if b not in clean and _core(b) in cores]
    assert len(near) >= 5  # across sources, near


def test_registry_lists_the_tasks_under_the_ft_family():
    tasks = Registry(plugins=False).all("ft")
    assert all(t.family == "ft" for t in tasks)
    assert {t.id for t in tasks} >= set(FT_TASKS)
