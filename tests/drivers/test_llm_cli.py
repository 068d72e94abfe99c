"""The llm and replay drivers from the command line: doctor's check, options, a whole run."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ascent.cli.run_cmd import driver_setup
from ascent.drivers.base import make_driver
from ascent.drivers.llm import LlmDriver
from ascent.drivers.replay import ReplayDriver
from ascent.harness.lifecycle import _driver_options
from ascent.harness.runstate import RunOptions
from ascent.record.recorder import read_events
from tests.drivers.fake_llm import Answer, FakeLlm, fenced, last_user

DIAGNOSIS = {
    "problem": "leaves are small for 189 rows",
    "evidence": ["train log loss far below validation"],
    "direction": "regularize",
    "expected_gain": 0.01,
    "confidence": 0.6,
}
PROPOSALS = {
    "hypotheses": [
        {
            "change": "regularize:leaf",
            "kind": "regularize",
            "rationale": "fewer, larger leaves",
            "edit": {"params": {"min_samples_leaf": 10}},
            "expected_gain": 0.01,
            "confidence": 0.6,
        }
    ]
}


def mle_brain(body: dict) -> str:
    """A model that knows the contract: it starts from the reference and edits its PLAN."""
    prompt = last_user(body)
    code = prompt.split("```python\n", 1)[-1].split("\n```", 1)[0] + "\n"
    if "## Request: draft" in prompt or "## Request: debug" in prompt:
        return fenced(code, "boosted trees")
    if "## Request: implement" in prompt:
        return fenced(code.replace("'min_samples_leaf': 20", "'min_samples_leaf': 10"))
    if "## Request: diagnose" in prompt:
        return json.dumps(DIAGNOSIS)
    if "## Request: propose" in prompt:
        return "```json\n" + json.dumps(PROPOSALS) + "\n```"
    return "ok"


def test_doctor_calls_the_model(cli, home, monkeypatch):
    monkeypatch.setenv("ASCENT_MODEL", "openai/test-model")
    with FakeLlm() as fake:
        monkeypatch.setenv("ASCENT_API_BASE", fake.url)
        fake.push("ok")
        result = cli("doctor", "--json")
        (check,) = [c for c in json.loads(result.stdout) if c["name"] == "llm"]
        assert check["ok"], check
        assert f"openai/test-model at {fake.url} answered in" in check["detail"]
        fake.push(Answer(status=500, content="down"))
        result = cli("doctor", "--json")
        (check,) = [c for c in json.loads(result.stdout) if c["name"] == "llm"]
        assert not check["ok"] and "server error (HTTP 500)" in check["detail"]
        assert len(fake.requests) == 2  # one call per check, no retries
    assert not list((Path(home.home) / "cache").rglob("*.json"))  # doctor does not cache


def test_run_options_reach_the_drivers(tmp_path):
    setup = driver_setup("llm", None, "http://127.0.0.1:1/v1", None, None, "openai/m")
    assert setup == {"driver": "llm", "driver_options": {"api_base": "http://127.0.0.1:1/v1"}}
    options = RunOptions(task_id="t", agent="gome", model="openai/m", **setup)
    assert _driver_options(options) == {"api_base": "http://127.0.0.1:1/v1", "model": "openai/m"}

    record = tmp_path / "answers.jsonl"
    setup = driver_setup("llm", 0.5, "http://127.0.0.1:1/v1", record, None, "openai/m")
    options = RunOptions(task_id="t", agent="gome", model="openai/m", seed=4, **setup)
    assert options.driver == "replay"
    chosen = _driver_options(options)
    assert chosen["fallback_options"] == {"api_base": "http://127.0.0.1:1/v1", "model": "openai/m"}
    driver = make_driver("replay", **chosen)
    assert isinstance(driver, ReplayDriver) and isinstance(driver.fallback, LlmDriver)
    events: list = []
    driver.emit = events.append
    assert driver.fallback.emit == events.append  # llm calls of the recorded driver are events

    setup = driver_setup("heuristic", 0.3, None, record, None)
    chosen = _driver_options(RunOptions(task_id="t", agent="gome", seed=4, **setup))
    assert chosen["fallback_options"] == {"quality": 0.3, "seed": 4}
    record.write_text("")
    setup = driver_setup("replay", None, None, None, record)
    assert setup == {"driver": "replay", "driver_options": {"path": str(record.resolve())}}


def test_driver_mistakes_fail_before_the_run_starts(cli, home, tmp_path, monkeypatch):
    monkeypatch.delenv("ASCENT_MODEL", raising=False)
    result = cli("run", "--task", "penguin-species", "--agent", "gome", "--driver", "llm")
    assert result.exit_code == 2 and "--driver llm needs a model" in result.stderr
    missing = tmp_path / "none.jsonl"
    result = cli("run", "-t", "penguin-species", "-a", "gome", "--driver", "replay")
    assert result.exit_code == 2 and "--replay-file" in result.stderr
    result = cli("run", "-t", "x", "--driver", "replay", "--replay-file", missing)
    assert result.exit_code == 2 and "none.jsonl" in result.stderr
    assert not list(Path(home.runs).iterdir())


@pytest.mark.slow
def test_a_run_with_the_llm_driver(cli, home, monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", "dummy")
    with FakeLlm(brain=mle_brain) as fake:
        result = cli(
            "run", "--task", "penguin-species", "--agent", "gome",
            "--driver", "llm", "--model", "openai/test-model", "--api-base", fake.url,
            "--max-steps", "1", "--traces", "1", "--budget", "3m",
        )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    assert "private score" in result.stdout, result.stdout
    (run_dir,) = Path(home.runs).iterdir()
    events = read_events(run_dir / "events.jsonl")
    calls = [e for e in events if e.kind == "llm_call"]
    assert [c.purpose for c in calls] == ["draft", "diagnose", "propose", "implement"]
    assert all(
        c.error is None and c.prompt_tokens > 0 and c.model == "openai/test-model" for c in calls
    )
    steps = [e for e in events if e.kind == "agent_step"]
    assert not [s for s in steps if s.action == "driver_error"]
    assert steps[0].detail["driver"] == "llm" and steps[0].detail["api_base"] == fake.url
    final = next(e for e in events if e.kind == "final_grade")
    assert final.valid and final.score is not None
    assert len(fake.requests) == 4


def _trajectory(run_dir: Path) -> list[tuple[str, dict]]:
    skip = {"seconds", "public_score", "submission", "resumed", "fallback", "record"}
    return [
        (e.action, {k: v for k, v in e.detail.items() if k not in skip and k != "recording"})
        for e in read_events(run_dir / "events.jsonl")
        if e.kind == "agent_step" and e.action != "agent_start"
    ]


@pytest.mark.slow
def test_a_recorded_run_replays_step_for_step(cli, home, tmp_path):
    recording = tmp_path / "answers.jsonl"
    common = ["--task", "penguin-species", "--agent", "gome", "--traces", "1", "--max-steps", "1"]
    first = cli("run", *common, "--quality", "0.7", "--record", recording, "--json")
    assert first.exit_code == 0, first.stderr
    calls = [json.loads(line)["call"] for line in recording.read_text().splitlines()]
    assert calls[0] == "draft" and {"diagnose", "propose", "implement"} <= set(calls)
    second = cli("run", *common, "--driver", "replay", "--replay-file", recording, "--json")
    assert second.exit_code == 0, second.stderr
    runs = [Path(home.runs) / json.loads(r.stdout)["run_id"] for r in (first, second)]
    assert _trajectory(runs[0]) == _trajectory(runs[1])
