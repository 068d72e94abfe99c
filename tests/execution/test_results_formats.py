"""Sweep results in each format: the figures (mean ± SEM of the normalised score, any-medal,
above-median and valid-submission rates, costs) and the split each one comes from."""

from __future__ import annotations

import csv
import io
import json
import math

import pytest

from ascent.config import Paths
from ascent.errors import AscentError, ConfigError
from ascent.execution.results import RunRow, SweepResults, group_rows, render, sweep_results


def _row(agent: str, task: str, seed: int, score: float | None, **kw) -> RunRow:
    ended = kw.get("ended", True)
    return RunRow(
        cell=f"{task}/{agent}/{seed}", task=task, agent=agent, agent_name=agent, seed=seed,
        driver="heuristic", model=None, run_id=f"{agent}-{task}-{seed}",
        status="finished" if ended else "not run", ended=ended, retries=kw.get("retries", 0),
        final_score=score, valid_final=score is not None, medal=kw.get("medal"),
        any_medal=kw.get("medal") is not None, above_median=kw.get("above", False),
        normalised_score=score, valid_submission_rate=kw.get("rate"),
        llm_tokens=kw.get("tokens", 0), llm_cost=0.0, cpu_seconds=kw.get("cpu", 2.0),
    )  # fmt: skip


ROWS = [
    _row("greedy", "t1", 0, 0.5, medal="bronze", above=True, rate=1.0, cpu=4.0),
    _row("greedy", "t1", 1, 0.7, above=True, rate=0.5, cpu=6.0),
    _row("greedy", "t1", 2, 0.0, rate=None),  # nothing graded: no valid-submission rate
    _row("random", "t1", 0, 0.1, rate=0.0, tokens=300),
    _row("random", "t1", 1, None, ended=False, retries=2),
]


def _results(by: list[str]) -> SweepResults:
    return SweepResults(
        sweep_id="s-1", name="s", status="finished", by=by, cells=len(ROWS),
        ended=sum(r.ended for r in ROWS), scales=[], groups=group_rows(ROWS, by), runs=ROWS,
    )  # fmt: skip


def test_rates_and_costs_per_group():
    greedy, random = _results(["agent"]).groups
    assert greedy.n == 3 and greedy.not_ended == 0
    assert math.isclose(greedy.normalised_score.mean, 0.4)
    assert math.isclose(greedy.normalised_score.sem, math.sqrt(0.13 / 3))
    assert math.isclose(greedy.any_medal.mean, 1 / 3)
    assert math.isclose(greedy.any_medal.sem, math.sqrt(1 / 3) / math.sqrt(3))
    assert math.isclose(greedy.above_median.mean, 2 / 3)
    # The run with nothing graded has no rate, rather than a rate of 0.
    assert greedy.valid_submission_rate.n == 2
    assert math.isclose(greedy.valid_submission_rate.mean, 0.75)
    assert math.isclose(greedy.cpu_seconds.mean, 4.0) and greedy.llm_tokens.mean == 0
    assert random.n == 1 and random.not_ended == 1 and random.retries == 2
    assert random.normalised_score.sem is None and random.llm_tokens.mean == 300
    splits = {
        name: getattr(greedy, name).split
        for name in ("normalised_score", "any_medal", "above_median", "valid_submission_rate")
    }
    assert splits == {
        "normalised_score": "private",
        "any_medal": "private",
        "above_median": "private",
        "valid_submission_rate": "public",
    }
    assert greedy.cpu_seconds.split == greedy.llm_tokens.split == "none"


def test_markdown():
    text = render(_results(["agent", "task"]), "md")
    lines = text.splitlines()
    assert lines[0] == "Sweep s-1 (finished): 4 of 5 runs ended; by agent, task."
    assert lines[2] == (
        "| agent | task | n | norm. score (private) | any medal (private) | "
        "above median (private) | valid subm. (public) | LLM tokens/run | CPU s/run | retries |"
    )
    assert lines[3] == "|---|---|--:|--:|--:|--:|--:|--:|--:|--:|"
    assert (
        lines[4]
        == "| greedy | t1 | 3 | 0.400 ± 0.208 | 33% ± 33% | 67% ± 33% | 75% ± 25% | 0 | 4.0 | 0 |"
    )
    assert lines[5] == "| random | t1 | 1 (+1 not ended) | 0.100 | 0% | 0% | 0% | 300 | 2.0 | 2 |"
    assert "standard error of the mean" in text


def test_csv_columns_carry_the_split():
    table = list(csv.reader(io.StringIO(render(_results(["agent"]), "csv"))))
    header, greedy, random = table
    assert header[:4] == ["agent", "n", "not_ended", "retries"]
    assert "normalised_score_mean[private]" in header and "any_medal_sem[private]" in header
    assert "valid_submission_rate_mean[public]" in header and "cpu_seconds_mean[none]" in header
    got = dict(zip(header, greedy, strict=True))
    assert got["agent"] == "greedy" and got["n"] == "3"
    assert math.isclose(float(got["normalised_score_mean[private]"]), 0.4)
    assert math.isclose(float(got["any_medal_mean[private]"]), 1 / 3, rel_tol=1e-5)
    assert math.isclose(float(got["above_median_mean[private]"]), 2 / 3, rel_tol=1e-5)
    no_sem = dict(zip(header, random, strict=True))
    assert no_sem["normalised_score_sem[private]"] == "" and no_sem["not_ended"] == "1"


def test_json_has_groups_runs_and_note():
    data = json.loads(render(_results(["agent"]), "json"))
    assert data["sweep_id"] == "s-1" and data["by"] == ["agent"] and data["ended"] == 4
    greedy = data["groups"][0]
    assert greedy["group"] == {"agent": "greedy"}
    assert greedy["normalised_score"]["split"] == "private" and greedy["normalised_score"]["n"] == 3
    assert greedy["valid_submission_rate"] == {
        "mean": 0.75, "sem": 0.25, "n": 2, "split": "public", "unit": "rate",
    }  # fmt: skip
    assert [r["cell"] for r in data["runs"]] == [r.cell for r in ROWS]
    assert SweepResults.model_validate(data) == _results(["agent"])
    assert "baseline" in data["note"]


def test_bad_format_and_grouping(tmp_path):
    with pytest.raises(AscentError, match="unknown format 'xml'"):
        render(_results(["agent"]), "xml")
    paths = Paths(tmp_path).ensure()
    with pytest.raises(ConfigError, match="cannot group by colour"):
        sweep_results(paths, "s-1", by=["agent", "colour"])
    with pytest.raises(ConfigError, match="cannot group by nothing"):
        sweep_results(paths, "s-1", by=[])
