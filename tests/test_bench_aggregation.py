"""The agent benchmarks' aggregation and targets, on a synthetic results table, and the sweep
specs they build (equal budget for every cell, ablations and qualities as run options)."""

from __future__ import annotations

import math
import statistics
from pathlib import Path

import pytest

from ascent.execution.results import RunRow

BENCH = Path(__file__).resolve().parent.parent / "benchmarks"


@pytest.fixture()
def bench(monkeypatch):
    """The benchmark scripts import their shared module as a sibling, the way `python
    benchmarks/agents.py` runs them."""
    import importlib

    monkeypatch.syspath_prepend(str(BENCH))
    return {name: importlib.import_module(name) for name in ("sweepbench", "agents", "crossover")}


def row(
    task: str, agent: str, seed: int, score: float | None, medal: bool = False, ended: bool = True
):
    return RunRow(
        cell=f"{task}/{agent}/{seed}",
        task=task,
        agent=agent,
        agent_name=agent.split("-")[0],
        seed=seed,
        driver="heuristic",
        model=None,
        run_id=f"run-{task}-{agent}-{seed}" if ended else None,
        status="finished" if ended else "not run",
        ended=ended,
        retries=0,
        final_score=score,
        valid_final=score is not None,
        medal="gold" if medal else None,
        any_medal=medal,
        above_median=medal,
        # as in sweep results: an ended run without a valid final submission scores 0
        normalised_score=(0.0 if score is None else score) if ended else None,
        valid_submission_rate=1.0 if ended else None,
        llm_tokens=0,
        llm_cost=0.0,
        cpu_seconds=1.0,
    )


# task -> agent -> normalised score per seed 0, 1, 2
SCORES = {
    "t1": {"gome": [0.9, 0.8, 1.0], "greedy": [0.7, 0.8, 0.6], "flaml": [0.5, 0.5, 0.5]},
    "t2": {"gome": [0.4, 0.4, 0.4], "greedy": [0.5, 0.5, 0.5], "flaml": [0.4, 0.4, 0.4]},
    "t3": {"gome": [0.6, 0.6, 0.6], "greedy": [0.2, 0.2, 0.2], "flaml": [0.7, 0.7, 0.7]},
}


def table() -> list[RunRow]:
    rows = [
        row(task, agent, seed, value, medal=value >= 0.8)
        for task, by_agent in SCORES.items()
        for agent, values in by_agent.items()
        for seed, value in enumerate(values)
    ]
    rows.append(row("t1", "gome-no-memory", 0, 0.95, medal=True))
    rows.append(row("t1", "gome-no-memory", 1, None, ended=False))  # left out, counted
    return rows


def test_summary_pools_tasks_and_seeds_with_the_standard_error(bench):
    sb = bench["sweepbench"]
    summaries = sb.summarise(table(), ["gome", "greedy", "flaml", "gome-no-memory", "absent"])
    assert [s.label for s in summaries] == ["gome", "greedy", "flaml", "gome-no-memory"]
    gome = summaries[0]
    values = [v for by_agent in SCORES.values() for v in by_agent["gome"]]
    assert gome.n == 9 and gome.not_ended == 0
    assert gome.normalised.mean == pytest.approx(statistics.fmean(values))
    assert gome.normalised.sem == pytest.approx(statistics.stdev(values) / math.sqrt(9))
    assert gome.any_medal.mean == pytest.approx(3 / 9)  # 0.9, 0.8, 1.0 are medals
    lone = summaries[3]
    assert (lone.n, lone.not_ended, lone.normalised.mean, lone.normalised.sem) == (
        1,
        1,
        0.95,
        None,
    )
    assert sb.unfinished(table(), "s1") == (
        "1 of 29 runs have not ended; finish them with --resume s1"
    )
    assert sb.unfinished(table()[:-1], "s1") is None
    rendered = sb.summary_table(summaries)
    assert "| gome-no-memory | 1 (+1 not ended) | 1 | 100% | 0.950 |" in rendered


def test_per_task_means_and_wins_count_a_tie_as_no_win(bench):
    sb = bench["sweepbench"]
    rows = table()
    means = sb.per_task_means(rows)
    assert means["t1"]["gome"] == pytest.approx(0.9)
    assert means["t1"]["gome-no-memory"] == pytest.approx(0.95)  # the run that ended only
    assert "gome-no-memory" not in means["t2"]
    # gome vs flaml: t1 win, t2 tie (0.4 = 0.4), t3 loss
    assert sb.tasks_won(rows, "gome", "flaml") == (1, 3)
    assert sb.tasks_won(rows, "gome", "greedy") == (2, 3)
    assert sb.tasks_won(rows, "gome", "gome-no-memory") == (0, 1)
    text = sb.task_table(rows, ["gome", "gome-no-memory"])
    assert "| t2 | 0.400 | – |" in text


def test_agent_targets_report_pass_and_miss_without_raising(bench):
    sb, agents = bench["sweepbench"], bench["agents"]
    rows = table()
    lines = [t.line() for t in agents.targets(rows, sb.summarise(rows))]
    assert lines[0].startswith("PASS  gome >= greedy")  # 0.633 vs 0.467
    assert lines[1].startswith("N/A ") and "gome-no-diagnosis" in lines[1]
    assert lines[2].startswith("MISS  gome >= gome-no-memory")  # 0.633 vs 0.950
    assert lines[-1] == "MISS  gome beats flaml on >= 60% of tasks: 1 of 3 tasks"


def test_a_later_sweep_fills_the_cells_an_earlier_one_did_not_finish(bench):
    sb = bench["sweepbench"]
    first = [row("t1", "gome", 0, 0.5), row("t1", "greedy", 0, None, ended=False)]
    second = [row("t1", "greedy", 0, 0.25), row("t1", "random", 0, None, ended=False)]
    merged = {r.cell: r for r in sb.merge_rows([first, second])}
    assert sorted(merged) == ["t1/gome/0", "t1/greedy/0", "t1/random/0"]
    assert merged["t1/greedy/0"].ended and merged["t1/greedy/0"].normalised_score == 0.25
    assert merged["t1/gome/0"].normalised_score == 0.5
    # a run that did not end never hides one that did
    again = {r.cell: r for r in sb.merge_rows([second, first])}
    assert again["t1/greedy/0"].normalised_score == 0.25


def test_zero_against_zero_is_not_a_pass(bench):
    """Runs that all ended without a valid final submission (e.g. starved of CPU) compare
    nothing: the targets say N/A, not PASS."""
    sb, agents = bench["sweepbench"], bench["agents"]
    rows = [row(t, a, 0, None) for t in ("t1", "t2") for a in ("gome", "greedy", "flaml")]
    summaries = sb.summarise(rows)
    assert [s.valid for s in summaries] == [0, 0, 0]
    assert [s.normalised.mean for s in summaries] == [0.0, 0.0, 0.0]
    lines = [t.line() for t in agents.targets(rows, summaries)]
    assert lines[0] == "N/A   gome >= greedy (mean normalised score): " + (
        "neither made a valid final submission"
    )
    assert lines[-1].startswith("N/A ") and lines[-1].endswith("valid final submission")
    rows.append(row("t1", "greedy", 1, 0.2))
    assert agents.targets(rows, sb.summarise(rows))[0].line().startswith("MISS")


def test_crossover_targets_need_strict_leads_at_both_ends(bench):
    sb, crossover = bench["sweepbench"], bench["crossover"]
    rows = [
        row("t1", "gome-q0.2", 0, 0.3),
        row("t1", "greedy-q0.2", 0, 0.5),
        row("t1", "gome-q0.5", 0, 0.5),
        row("t1", "greedy-q0.5", 0, 0.5),
        row("t1", "gome-q0.9", 0, 0.7),
        row("t1", "greedy-q0.9", 0, 0.7),
    ]
    summaries = sb.summarise(rows)
    lines = [t.line() for t in crossover.targets(summaries)]
    assert lines == [
        "PASS  greedy-q0.2 > gome-q0.2 (mean normalised score): 0.500 vs 0.300",
        "MISS  gome-q0.9 > greedy-q0.9 (mean normalised score): 0.700 vs 0.700",
    ]
    gaps = crossover.gap_table(summaries, crossover.QUALITIES)
    assert "| 0.2 | 0.300 | 0.500 | -0.200 |" in gaps


def test_the_specs_give_every_cell_the_same_budget_and_the_variant_options(bench):
    sb, agents, crossover = bench["sweepbench"], bench["agents"], bench["crossover"]
    assert sb.slots(2, sb.cell_cpus()) == 2 * sb.cell_cpus()
    spec = sb.build_spec("agents-test", ["t1", "t2"], agents.VARIANTS, [0, 1, 2], 90)
    assert len(spec.cells()) == 2 * 8 * 3
    options = [spec.run_options(c, "sweep-x") for c in spec.cells()]
    assert {(o.budget_seconds, o.limits.cpus, o.limits.memory_mb) for o in options} == {
        (90.0, 1, 2048)
    }
    by_label = {c.label: o for c, o in zip(spec.cells(), options, strict=True)}
    assert by_label["gome-traces1"].agent_options == {"traces": 1}
    assert by_label["gome-no-diagnosis"].agent_options == {"diagnosis": False}
    assert by_label["flaml"].agent == "flaml"
    spec = sb.build_spec("cross-test", ["t1"], crossover.variants(), [0], 90)
    by_label = {c.label: spec.run_options(c, "sweep-y") for c in spec.cells()}
    assert by_label["greedy-q0.2"].agent == "greedy"
    assert by_label["greedy-q0.2"].driver_options == {"quality": 0.2}
    assert by_label["gome-q0.9"].driver_options == {"quality": 0.9}
