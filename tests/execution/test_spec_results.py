"""Sweep specs, the store's sweeps table, and the arithmetic of results (no runs)."""

from __future__ import annotations

import json
import math
import sqlite3

import pytest
import yaml

from ascent.errors import ConfigError
from ascent.execution.results import RunRow, Scale, group_rows, mean_sem, render_md, task_scale
from ascent.execution.spec import load_sweep_spec, parse_duration, parse_seeds
from ascent.execution.state import new_state
from ascent.store import Store
from ascent.store.migrations import LATEST_VERSION
from ascent.tasks.registry import Registry
from tests.execution.conftest import tiny_spec

SPEC = """
name: grid
tasks: [penguin-species, tumor-diagnosis]
agents:
  - greedy
  - label: gome-lean
    agent: gome
    options: {memory: false, max_steps: 3}
    driver_options: {quality: 0.7}
seeds: 0-2
budget: 2m
limits: {cpus: 1, memory_mb: 2048}
agent_dirs: [agents]
"""


def test_spec_yaml_to_cells_and_run_options(tmp_path):
    path = tmp_path / "spec.yaml"
    path.write_text(SPEC)
    spec = load_sweep_spec(path)
    assert spec.budget == 120 and spec.seeds == [0, 1, 2] and spec.retries == 2
    assert spec.agent_dirs == [str(tmp_path / "agents")]  # relative to the spec's folder
    cells = spec.cells()
    assert len(cells) == 2 * 2 * 3 and len({c.key for c in cells}) == 12
    assert cells[0].key == "penguin-species/greedy/0"
    options = spec.run_options(cells[-1], "grid-1")
    assert options.agent == "gome" and options.sweep_id == "grid-1"
    assert options.agent_options == {"memory": False, "max_steps": 3}
    assert options.driver == "heuristic" and options.driver_options == {"quality": 0.7}
    assert options.limits is not None and options.limits.cpus == 1
    assert options.budget_seconds == 120


def test_bad_specs_are_one_line_errors(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text("tasks: [a]\nagents: [x, x]\n")
    with pytest.raises(ConfigError, match="repeated agent label: x"):
        load_sweep_spec(path)
    path.write_text("tasks: []\nagents: [x]\nbudget: soon\n")
    with pytest.raises(ConfigError) as err:
        load_sweep_spec(path)
    assert "tasks" in str(err.value) and "cannot read the duration 'soon'" in str(err.value)
    with pytest.raises(ConfigError):
        parse_seeds("3-1")
    assert parse_seeds("0-2,7") == [0, 1, 2, 7] and parse_duration("1.5h") == 5400


def test_cli_flags_build_the_same_grid(cli, home):
    result = cli(
        "sweep", "--task", "penguin-species,tumor-diagnosis", "--agent", "greedy",
        "--agent", "random", "--seeds", "0,1,2", "--budget", "2m", "--max-steps", "2",
        "--cpus", "1", "--dry-run",
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    assert "12 cells" in result.stdout and "max_steps: 2" in result.stdout
    missing = cli("sweep", "--task", "penguin-species")
    assert missing.exit_code == 2 and "needs tasks and agents" in missing.stderr
    unknown = cli("sweep", "--task", "nope", "--agent", "greedy")
    assert unknown.exit_code == 2 and "no task with id 'nope'" in unknown.stderr


def test_store_migrates_to_v2_with_sweeps(tmp_path):
    path = tmp_path / "ascent.db"
    conn = sqlite3.connect(path)  # a version-1 index, as shipped before sweeps
    from ascent.store.migrations import MIGRATIONS

    for statement in MIGRATIONS[0][1].split(";"):
        if statement.strip():
            conn.execute(statement)
    conn.execute("PRAGMA user_version = 1")
    conn.commit()
    conn.close()
    with Store(path) as store:
        assert store.version == LATEST_VERSION >= 2
        state = new_state(tiny_spec([0, 1]), "t-1")
        store.upsert_sweep(state.record(tmp_path / "sweeps" / "t-1"))
        [record] = store.list_sweeps()
        assert record.sweep_id == "t-1" and record.cells == 2 and record.status == "created"
        assert record.spec["tasks"] == ["penguin-species"]
        assert store.get_sweep("nope") is None


def test_normalised_score_both_directions():
    loss = Scale(task_id="a", baseline=1.0, best=0.2, higher_is_better=False)
    assert loss.normalise(0.2) == 1.0 and loss.normalise(1.0) == 0.0
    assert math.isclose(loss.normalise(0.6), 0.5)
    assert loss.normalise(3.0) == 0.0 and loss.normalise(None) == 0.0  # worse / no valid final
    assert loss.normalise(0.1) > 1.0  # better than the whole leaderboard
    auc = Scale(task_id="b", baseline=0.5, best=0.9, higher_is_better=True)
    assert math.isclose(auc.normalise(0.7), 0.5)
    assert Scale(task_id="c", baseline=None, best=1, higher_is_better=True).normalise(1) is None


def test_task_scale_reads_baseline_and_leaderboard_rank_1():
    scale = task_scale(Registry(), "penguin-species")
    assert scale.baseline == 1.0986 and not scale.higher_is_better
    assert scale.best is not None and scale.best < 0.1


def _row(agent: str, task: str, seed: int, score: float | None, medal: bool, **kw) -> RunRow:
    return RunRow(
        cell=f"{task}/{agent}/{seed}", task=task, agent=agent, agent_name=agent, seed=seed,
        driver="heuristic", model=None, run_id=f"r{seed}", status=kw.get("status", "finished"),
        ended=kw.get("ended", True), retries=kw.get("retries", 0), final_score=score,
        valid_final=score is not None, medal="gold" if medal else None, any_medal=medal,
        above_median=medal, normalised_score=score, valid_submission_rate=kw.get("rate", 1.0),
        llm_tokens=kw.get("tokens", 0), llm_cost=0.0, cpu_seconds=kw.get("cpu", 1.0),
    )  # fmt: skip


def test_groups_mean_and_sem():
    rows = [
        _row("a", "t1", 0, 0.2, False),
        _row("a", "t1", 1, 0.4, True, tokens=100),
        _row("a", "t2", 0, 0.9, True, retries=1),
        _row("b", "t1", 0, None, False, ended=False, status="not run"),
        _row("b", "t1", 1, 0.5, True),
    ]
    groups = {g.group["agent"]: g for g in group_rows(rows, ["agent"])}
    a = groups["a"]
    assert a.n == 3 and a.retries == 1 and a.not_ended == 0
    assert math.isclose(a.normalised_score.mean, 0.5)
    assert math.isclose(a.normalised_score.sem, 0.360555127546 / math.sqrt(3), rel_tol=1e-6)
    assert a.normalised_score.split == "private" and a.valid_submission_rate.split == "public"
    assert math.isclose(a.any_medal.mean, 2 / 3) and a.llm_tokens.split == "none"
    b = groups["b"]
    assert b.n == 1 and b.not_ended == 1 and b.normalised_score.sem is None
    by_two = group_rows(rows, ["agent", "task"])
    assert [tuple(g.group.values()) for g in by_two] == [("a", "t1"), ("a", "t2"), ("b", "t1")]
    assert mean_sem([], "private", "ratio").mean is None


def test_markdown_table_names_the_splits():
    from ascent.execution.results import SweepResults

    rows = [_row("a", "t1", 0, 0.2, False), _row("a", "t1", 1, 0.4, True)]
    results = SweepResults(
        sweep_id="s", name="s", status="finished", by=["agent"], cells=2, ended=2,
        scales=[], groups=group_rows(rows, ["agent"]), runs=rows,
    )  # fmt: skip
    text = render_md(results)
    assert "norm. score (private)" in text and "valid subm. (public)" in text
    assert "| a | 2 | 0.300 ± 0.100 | 50% ± 50% |" in text
    assert json.loads(results.model_dump_json())["groups"][0]["any_medal"]["split"] == "private"


@pytest.mark.parametrize(
    ("extra", "field", "words"),
    [
        ({"agents": ["x", {"agent": "y", "driver": "gpt"}]}, "agents.1.driver", "unknown driver"),
        ({"agents": [{"label": "two words", "agent": "x"}]}, "agents.0.label", "pattern"),
        ({"limits": {"cpus": 0}}, "limits.cpus", "greater than 0"),
        ({"retries": 50}, "retries", "less than or equal to 20"),
        ({"seeds": "a-b"}, "seeds", "cannot read the seeds 'a-b'"),
        ({"seeds": []}, "seeds", "at least 1"),
        ({"budget": "-3m"}, "budget", "cannot read the duration '-3m'"),
        ({"max_submissions": 0}, "max_submissions", "greater than 0"),
        ({"colour": "red"}, "colour", "not permitted"),
        ({"tasks": None}, "tasks", "valid list"),
    ],
)
def test_bad_spec_field_is_named(tmp_path, extra, field, words):
    path = tmp_path / "spec.yaml"
    path.write_text(yaml.safe_dump({"tasks": ["a"], "agents": ["x"], **extra}))
    with pytest.raises(ConfigError) as err:
        load_sweep_spec(path)
    message = str(err.value)
    assert message.startswith(f"{path}: ") and f"field '{field}'" in message and words in message
    assert "\n" not in message


def test_spec_file_problems_are_errors(tmp_path):
    path = tmp_path / "spec.yaml"
    with pytest.raises(ConfigError, match="cannot read the sweep spec"):
        load_sweep_spec(path)
    path.write_text("tasks: [a\nagents: x\n")
    with pytest.raises(ConfigError, match="is not valid YAML") as err:
        load_sweep_spec(path)
    assert "\n" not in str(err.value)
    path.write_text("- a\n- b\n")
    with pytest.raises(ConfigError, match="must be a mapping of fields, got list"):
        load_sweep_spec(path)
    path.write_text("tasks: [a, a]\nagents: [x]\nseeds: [0, 1, 0]\n")
    with pytest.raises(ConfigError, match="repeated task: a"):
        load_sweep_spec(path)
