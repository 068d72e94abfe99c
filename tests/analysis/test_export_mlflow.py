"""Export to MLflow, into a real file store in a temporary folder."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ascent.analysis.export import export_runs
from tests.analysis.conftest import EXAMPLE, SLEEPY, STEPPER, copy_run

pytest.importorskip("mlflow", reason="MLflow is an optional extra: pip install 'ascentlab[mlflow]'")


@pytest.fixture
def store(tmp_path, monkeypatch):
    monkeypatch.setenv("MLFLOW_ALLOW_FILE_STORE", "true")
    return (tmp_path / "mlruns").as_uri()


def _client(uri):
    from mlflow import MlflowClient

    return MlflowClient(tracking_uri=uri)


def _artifact(client, run_id: str, name: str, into) -> str:
    return Path(client.download_artifacts(run_id, name, str(into))).read_text()


def test_runs_are_exported_with_params_trajectories_and_artifacts(tmp_path, store):
    runs = [copy_run(name, tmp_path / "runs") for name in (STEPPER, SLEEPY)]
    results = export_runs(runs, tracking_uri=store)
    assert [r.action for r in results] == ["created", "created"]
    client = _client(store)
    run = client.get_run(results[0].mlflow_run_id)
    assert run.data.tags["ascent.run_id"] == STEPPER and run.data.tags["ascent.medal"] == "gold"
    assert run.data.params["metric"] == "log_loss" and run.data.params["agent"] == "stepper"
    assert run.info.status == "FINISHED" and run.info.experiment_id == results[1].experiment_id
    history = client.get_metric_history(run.info.run_id, "public/score")
    # s0002..s0005 are the valid ones (s0001 was invalid): steps are submission numbers
    assert [(m.step, round(m.value, 5)) for m in history] == [
        (2, 1.02073), (3, 0.05836), (4, 0.73854), (5, 0.05397),
    ]  # fmt: skip
    best = client.get_metric_history(run.info.run_id, "public/best_so_far")
    assert [round(m.value, 5) for m in best] == [1.02073, 0.05836, 0.05836, 0.05397]
    assert run.data.metrics["private/final_private_score"] == pytest.approx(0.061121824561099464)
    assert run.data.metrics["public/time_to_first_valid"] == pytest.approx(9.692, abs=1e-3)
    names = {a.path for a in client.list_artifacts(run.info.run_id)}
    assert {"report.json", "report.md", "report.html", "events.jsonl", "run.json"} <= names
    exported = json.loads(_artifact(client, run.info.run_id, "run.json", tmp_path))
    assert "token" not in exported and exported["run_id"] == STEPPER
    report = json.loads(_artifact(client, run.info.run_id, "report.json", tmp_path))
    assert report["version"] == 2  # analysed now, not the older report in the folder


def test_exporting_again_keeps_or_replaces(tmp_path, store):
    [run] = [copy_run(EXAMPLE, tmp_path / "runs")]
    first = export_runs([run], tracking_uri=store)[0]
    again = export_runs([run], tracking_uri=store)[0]
    assert again.action == "kept" and again.mlflow_run_id == first.mlflow_run_id
    replaced = export_runs([run], tracking_uri=store, replace=True)[0]
    assert replaced.action == "replaced" and replaced.mlflow_run_id != first.mlflow_run_id
    client = _client(store)
    live = client.search_runs(
        [first.experiment_id], filter_string=f"tags.`ascent.run_id` = '{EXAMPLE}'"
    )
    assert [r.info.run_id for r in live] == [replaced.mlflow_run_id]


def test_a_sweep_gets_a_parent_run_with_medal_rates(tmp_path, store, cli, home):
    for name in (EXAMPLE, STEPPER, SLEEPY):
        run_dir = copy_run(name, home.runs)
        state = json.loads((run_dir / "run.json").read_text())
        state["options"]["sweep_id"] = "s1"
        (run_dir / "run.json").write_text(json.dumps(state))
    result = cli("export", "mlflow", "--sweep", "s1", "--tracking-uri", store)
    assert result.exit_code == 0, result.stderr
    assert result.stdout.count(": created as ") == 3
    client = _client(store)
    experiment = client.get_experiment_by_name("ascent/sweeps/s1")
    runs = client.search_runs([experiment.experiment_id])
    [parent] = [r for r in runs if "ascent.sweep_id.parent" in r.data.tags]
    children = [r for r in runs if r.data.tags.get("mlflow.parentRunId") == parent.info.run_id]
    assert len(children) == 3
    assert parent.data.metrics["private/example/any_medal_rate"] == 1.0
    assert parent.data.metrics["private/sleepy/any_medal_rate"] == 0.0
    assert "give runs, --sweep ID or --all" in cli("export", "mlflow").stderr
