"""task.yaml validation, the registry's sources, and preparation."""

import os
import sys
import textwrap

import pytest

from ascent.errors import TaskNotFound, TaskPrepareError, TaskSpecError
from ascent.tasks.prepare import prepare_task, verify_checksums
from ascent.tasks.registry import Registry
from ascent.tasks.spec import load_spec
from tests.taskfactory import spec, write_task


def test_valid_spec_loads_with_defaults(tmp_path):
    folder = write_task(tmp_path)
    loaded = load_spec(folder / "task.yaml")
    assert loaded.id == "toy" and loaded.budget.wall_seconds == 900 and loaded.feedback == "score"


@pytest.mark.parametrize(
    ("yaml_text", "field"),
    [
        (
            "id: toy\nfamily: mle\ntitle: t\nmetric: {name: rmse, higher_is_better: maybe}\n"
            "mle: {task_type: regression, id_column: id, target_columns: [y], "
            "submission_columns: [y], prediction: number}\n",
            "metric.higher_is_better",
        ),
        ("id: toy\nfamily: mle\ntitle: t\n", "metric"),
        ("id: toy\nfamily: nlp\ntitle: t\nmetric: {name: a, higher_is_better: true}\n", "family"),
        ("id: Toy Task\nfamily: ft\ntitle: t\nmetric: {name: a, higher_is_better: true}\n", "id"),
        (
            "id: toy\nfamily: ft\ntitle: t\nmetric: {name: a, higher_is_better: true}\ncolour: red\n",
            "colour",
        ),
        (
            "id: toy\nfamily: ft\ntitle: t\nmetric: {name: a, higher_is_better: true}\n"
            "budget: {wall_seconds: -5}\n",
            "budget.wall_seconds",
        ),
    ],
)
def test_bad_task_yaml_names_the_field(tmp_path, yaml_text, field):
    folder = write_task(tmp_path, raw_yaml=yaml_text)
    with pytest.raises(TaskSpecError) as info:
        load_spec(folder / "task.yaml")
    assert f"field '{field}'" in str(info.value)
    assert str(folder / "task.yaml") in str(info.value)


def test_family_sections_are_required(tmp_path):
    folder = write_task(tmp_path, spec_data={**spec(), "mle": None})
    with pytest.raises(TaskSpecError, match="needs an 'mle' section"):
        load_spec(folder / "task.yaml")


def test_yaml_that_is_not_a_mapping_or_not_yaml(tmp_path):
    folder = write_task(tmp_path, raw_yaml="- just\n- a list\n")
    with pytest.raises(TaskSpecError, match="must be a mapping"):
        load_spec(folder / "task.yaml")
    (folder / "task.yaml").write_text("id: [unclosed\n")
    with pytest.raises(TaskSpecError, match="not valid YAML"):
        load_spec(folder / "task.yaml")


def test_task_dir_single_and_folder_of_tasks(tmp_path):
    write_task(tmp_path / "suite", "alpha")
    write_task(tmp_path / "suite", "beta")
    single = write_task(tmp_path, "gamma")
    registry = Registry([tmp_path / "suite", single], bundled=False, plugins=False)
    assert registry.ids() == ["alpha", "beta", "gamma"]
    assert registry.get("alpha").source == "dir"


def test_broken_task_in_a_scanned_folder_is_skipped_and_reported(tmp_path):
    write_task(tmp_path / "suite", "good")
    write_task(tmp_path / "suite", "bad", raw_yaml="id: bad\n")
    registry = Registry([tmp_path / "suite"], bundled=False, plugins=False)
    assert registry.ids() == ["good"]
    assert len(registry.broken) == 1 and "field" in registry.broken[0].error


def test_explicit_broken_or_missing_folder_is_an_error(tmp_path):
    bad = write_task(tmp_path, "bad", raw_yaml="id: bad\n")
    with pytest.raises(TaskSpecError):
        Registry([bad], bundled=False, plugins=False)
    with pytest.raises(TaskSpecError, match="does not exist"):
        Registry([tmp_path / "nowhere"], bundled=False, plugins=False)
    (tmp_path / "empty").mkdir()
    with pytest.raises(TaskSpecError, match="holds no task folders"):
        Registry([tmp_path / "empty"], bundled=False, plugins=False)


def test_unknown_task_suggests_close_ids(tmp_path):
    write_task(tmp_path, "penguins")
    registry = Registry([tmp_path], bundled=False, plugins=False)
    with pytest.raises(TaskNotFound, match="did you mean penguins"):
        registry.get("penguin")


def test_plugin_package_adds_tasks_through_entry_points(tmp_path, monkeypatch):
    """A real installed-distribution layout on sys.path, found by importlib.metadata."""
    site = tmp_path / "site"
    tasks_root = tmp_path / "plugin_tasks"
    write_task(tasks_root, "plugged")
    package = site / "toy_plugin"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text(
        f"from pathlib import Path\n\ndef task_dirs():\n    return [Path({str(tasks_root)!r})]\n"
    )
    dist = site / "toy_plugin-1.0.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: toy-plugin\nVersion: 1.0\n")
    (dist / "entry_points.txt").write_text("[ascent.tasks]\ntoy = toy_plugin:task_dirs\n")
    monkeypatch.syspath_prepend(str(site))
    registry = Registry(bundled=False)
    assert registry.get("plugged").source == "plugin:toy"


def test_preparing_is_deterministic_and_cached(tmp_path, home):
    folder = write_task(tmp_path)
    task = Registry([folder], bundled=False, plugins=False).get("toy")
    first = prepare_task(task, home)
    stamp = os.stat(first.public / "train.csv").st_mtime_ns
    again = prepare_task(task, home)
    assert again.root == first.root and again.checksum == first.checksum
    assert os.stat(first.public / "train.csv").st_mtime_ns == stamp  # a no-op
    other_home = type(home)(tmp_path / "elsewhere").ensure()
    assert prepare_task(task, other_home).checksum == first.checksum  # same bytes anywhere
    split = (first.private / "leaderboard_split.csv").read_text().splitlines()
    assert split[0] == "id,split" and len(split) == 21
    assert {line.split(",")[1] for line in split[1:]} == {"public", "private"}


def test_tampered_prepared_data_is_prepared_again(tmp_path, home):
    task = Registry([write_task(tmp_path)], bundled=False, plugins=False).get("toy")
    first = prepare_task(task, home)
    (first.private / "answers.csv").write_text("id,y\nr1,0\n")
    assert verify_checksums(first.root) is None
    again = prepare_task(task, home)
    assert again.checksum == first.checksum and verify_checksums(again.root) == first.checksum


def test_prepare_that_raises_caches_nothing(tmp_path, home):
    broken = textwrap.dedent("""
        def prepare(raw, public, private):
            raise RuntimeError("source file vanished")
    """)
    task = Registry([write_task(tmp_path, prepare=broken)], bundled=False, plugins=False).get("toy")
    with pytest.raises(TaskPrepareError, match="RuntimeError: source file vanished"):
        prepare_task(task, home)
    assert not any((home.tasks / "toy").iterdir())


def test_missing_grade_py_is_a_clear_error(tmp_path):
    task = Registry([write_task(tmp_path, grade=None)], bundled=False, plugins=False).get("toy")
    with pytest.raises(TaskSpecError, match=r"has no grade\.py"):
        task.grade_fn()


def test_modules_load_under_unique_names(tmp_path):
    a = Registry([write_task(tmp_path / "a")], bundled=False, plugins=False).get("toy")
    b = Registry([write_task(tmp_path / "b")], bundled=False, plugins=False).get("toy")
    assert a.grade_fn() is not b.grade_fn()
    assert not any(name == "grade" for name in sys.modules)
