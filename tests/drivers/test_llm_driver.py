"""The llm driver through LiteLLM over real HTTP to a scripted OpenAI-compatible server."""

from __future__ import annotations

import json
import re
import threading
import time

import pytest

from ascent.drivers.llm import LlmDriver
from ascent.drivers.models import (
    DebugRequest,
    DiagnoseRequest,
    DraftRequest,
    Hypothesis,
    ImplementRequest,
    Outcome,
    ProposeRequest,
)
from ascent.errors import ConfigError, DriverError
from ascent.record import events as ev
from ascent.tasks.mle.skills import MleSkills
from tests.drivers.fake_llm import Answer, FakeLlm, fenced, last_user

DIAGNOSIS = {
    "problem": "the model overfits",
    "evidence": ["train 0.01 vs valid 0.1"],
    "direction": "regularize",
    "expected_gain": 0.02,
    "confidence": 0.7,
}
HYPOTHESES = {
    "hypotheses": [
        {
            "change": "regularize:leaf",
            "kind": "regularize",
            "edit": {"scale_params": {"min_samples_leaf": 3}},
        },
        {"change": "model:logistic", "kind": "model", "edit": {"set_model": "logistic"}},
    ]
}


@pytest.fixture
def server():
    with FakeLlm() as fake:
        yield fake


@pytest.fixture
def make(tmp_path):
    def make_driver(url: str, **options) -> tuple[LlmDriver, list[ev.LlmCall]]:
        options = {
            "api_key": "dummy",
            "backoff": 0.05,
            "timeout": 10,
            "cache_dir": tmp_path / "cache",
            **options,
        }
        driver = LlmDriver(model="openai/test-model", api_base=url, **options)
        events: list[ev.LlmCall] = []
        driver.emit = events.append
        return driver, events

    return make_driver


def diagnose_request(brief, score=0.1):
    solution = MleSkills().draft(brief, 0, 0)
    return DiagnoseRequest(
        brief=brief,
        solution=solution,
        outcome=Outcome(ok=True, valid_score=score, train_score=0.01),
    )


def test_a_valid_answer_is_validated_and_accounted(server, make, brief):
    driver, events = make(server.url)
    server.push("```json\n" + json.dumps(DIAGNOSIS) + "\n```")
    diagnosis = driver.diagnose(diagnose_request(brief))
    assert diagnosis.direction == "regularize" and diagnosis.confidence == 0.7
    (call,) = events
    assert call.model == "openai/test-model" and call.purpose == "diagnose"
    assert call.prompt_tokens > 100 and call.completion_tokens > 5
    assert call.cost == 0.0 and call.error is None and not call.cached and call.latency > 0
    body = server.requests[0]
    assert body["model"] == "test-model" and body["temperature"] == 0.2
    assert "response_format" not in body  # not asked of an arbitrary server
    _system, user = body["messages"]
    assert "## Request: diagnose" in user["content"] and '"direction"' in user["content"]
    assert "/somewhere/on/the/host" not in user["content"]  # host paths stay out of prompts
    assert driver.usage["calls"] == 1 and driver.usage["prompt_tokens"] == call.prompt_tokens


def test_malformed_json_is_repaired(server, make, brief):
    driver, events = make(server.url)
    server.push("The model overfits: {'problem': 'overfit',}", json.dumps(DIAGNOSIS))
    assert driver.diagnose(diagnose_request(brief)).problem == "the model overfits"
    assert [e.purpose for e in events] == ["diagnose", "diagnose (repair 1)"]
    assert "malformed answer" in events[0].error and events[1].error is None
    repair = server.requests[1]["messages"]
    assert repair[-2] == {
        "role": "assistant",
        "content": "The model overfits: {'problem': 'overfit',}",
    }
    assert "no valid JSON" in repair[-1]["content"]


def test_missing_fields_fail_after_the_bounded_attempts(server, make, brief):
    driver, events = make(server.url)
    server.push(*[json.dumps({"problem": "overfit"})] * 5)
    with pytest.raises(
        DriverError, match=r"diagnose: no usable answer .* after 3 attempts.*direction"
    ):
        driver.diagnose(diagnose_request(brief))
    assert len(server.requests) == 3 and all("direction" in e.error for e in events)
    assert "`direction`: Field required" in last_user(server.requests[2])


def test_code_that_does_not_parse_is_sent_back(server, make, brief):
    driver, events = make(server.url)
    good = MleSkills().draft(brief, 1, 0).code
    server.push(fenced("import pandas as pd\ndef main(:\n    pass\n"), fenced(good, "logistic"))
    solution = driver.draft(DraftRequest(brief=brief, index=1))
    assert solution.code == good
    assert solution.plan["model"] == "logistic" and solution.summary.startswith("logistic(")
    assert "does not parse" in events[0].error
    assert "does not parse: invalid syntax at line 2" in last_user(server.requests[1])


def test_code_calls_show_the_contract_and_the_reference(server, make, brief):
    driver, _ = make(server.url)
    skills = MleSkills()
    reference = skills.draft(brief, 0, 0)
    server.push(*[fenced(reference.code)] * 3)
    driver.draft(DraftRequest(brief=brief, index=0, avoid=["knn"]))
    hypothesis = Hypothesis(change="regularize:leaf", kind="regularize")
    driver.implement(ImplementRequest(brief=brief, solution=reference, hypothesis=hypothesis))
    failed = Outcome(ok=False, error="Traceback ...\nKeyError: 'species'")
    handwritten = reference.model_copy(update={"plan": {}, "code": "import os\n"})
    driver.debug(DebugRequest(brief=brief, solution=handwritten, outcome=failed))
    draft, implement, debug = (last_user(r) for r in server.requests)
    for prompt in (draft, implement, debug):
        assert "## The solution contract" in prompt and "ASCENT_RESULT" in prompt
    assert "## Reference solution" in draft and "- knn" in draft
    assert "## Reference solution" not in implement  # its current code is the reference
    assert '"regularize:leaf"' in implement
    assert "## Reference solution" in debug and "KeyError: 'species'" in debug


def test_propose_keeps_at_most_n(server, make, brief):
    driver, _ = make(server.url)
    server.push(json.dumps(HYPOTHESES))
    request = diagnose_request(brief)
    proposals = driver.propose(
        ProposeRequest(brief=brief, solution=request.solution, outcome=request.outcome, n=1)
    )
    assert [h.change for h in proposals] == ["regularize:leaf"]
    prompt = last_user(server.requests[0])
    assert "set_model" in prompt and "no diagnosis" in prompt


def test_rate_limit_is_retried_after_backoff(server, make, brief):
    driver, events = make(server.url, backoff=0.3)
    server.push(Answer(status=429, content="slow down"), json.dumps(DIAGNOSIS))
    started = time.monotonic()
    assert driver.diagnose(diagnose_request(brief)).direction == "regularize"
    assert time.monotonic() - started >= 0.2  # waited before asking again
    assert len(server.requests) == 2
    assert events[0].error == "rate-limited (HTTP 429)" and events[1].error is None


def test_retry_after_is_honoured(server, make, brief):
    driver, _ = make(server.url, backoff=0.01)
    server.push(Answer(status=503, headers={"Retry-After": "0.5"}), json.dumps(DIAGNOSIS))
    started = time.monotonic()
    driver.diagnose(diagnose_request(brief))
    assert time.monotonic() - started >= 0.45


def test_server_errors_stop_at_the_retry_bound(server, make, brief):
    driver, events = make(server.url, max_retries=2)
    server.push(*[Answer(status=500, content="internal")] * 10)
    started = time.monotonic()
    with pytest.raises(DriverError, match=r"failed 3 times, last: server error \(HTTP 500\)"):
        driver.diagnose(diagnose_request(brief))
    assert time.monotonic() - started < 5
    assert len(server.requests) == 3 and len(events) == 3


def test_a_bad_key_fails_at_once(server, make, brief):
    driver, _ = make(server.url)
    server.push(Answer(status=401, content="invalid key"))
    with pytest.raises(DriverError, match="refused the credentials") as info:
        driver.diagnose(diagnose_request(brief))
    assert "API_KEY" in str(info.value) and len(server.requests) == 1


def test_a_slow_answer_times_out(server, make, brief):
    driver, events = make(server.url, timeout=1, max_retries=1)
    server.push(
        Answer(content=json.dumps(DIAGNOSIS), delay=3),
        Answer(content=json.dumps(DIAGNOSIS), delay=3),
    )
    # both tries give up before their answer comes: the call raises instead of answering
    with pytest.raises(DriverError, match="timeout"):
        driver.diagnose(diagnose_request(brief))
    assert all("within 1s" in e.error for e in events) and len(events) == 2


def test_a_server_that_is_down(make, brief):
    with FakeLlm() as fake:
        url = fake.url
    driver, events = make(url, max_retries=1)
    with pytest.raises(DriverError, match=r"cannot connect to http://127\.0\.0\.1"):
        driver.diagnose(diagnose_request(brief))
    assert len(events) == 2


def test_the_cache_answers_identical_calls(server, make, brief, tmp_path):
    driver, events = make(server.url)
    server.push(json.dumps(DIAGNOSIS))
    first = driver.diagnose(diagnose_request(brief))
    again, _ = make(server.url)  # a new driver: the cache is on disk
    again.emit = events.append
    assert again.diagnose(diagnose_request(brief)) == first
    assert len(server.requests) == 1
    assert [e.cached for e in events] == [False, True] and events[1].cost == 0.0
    assert list((tmp_path / "cache").rglob("*.json"))
    server.push(json.dumps({**DIAGNOSIS, "direction": "capacity"}))
    assert driver.diagnose(diagnose_request(brief, score=0.2)).direction == "capacity"  # new key
    uncached, _ = make(server.url, cache=False)
    server.push(json.dumps(DIAGNOSIS))
    uncached.diagnose(diagnose_request(brief))
    assert len(server.requests) == 3


def test_concurrent_calls_from_several_threads(make, brief):
    def brain(body):
        score = float(re.search(r'"valid_score": ([\d.]+)', last_user(body)).group(1))
        return json.dumps({**DIAGNOSIS, "expected_gain": score})

    with FakeLlm(brain=brain) as fake:
        driver, events = make(fake.url, cache=False)
        results: dict[int, float] = {}

        def work(i: int) -> None:
            results[i] = driver.diagnose(diagnose_request(brief, score=0.1 * (i + 1))).expected_gain

        threads = [threading.Thread(target=work, args=(i,)) for i in range(6)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(30)
    assert results == {i: pytest.approx(0.1 * (i + 1)) for i in range(6)}
    assert len(fake.requests) == 6 and len(events) == 6 and driver.usage["calls"] == 6


def test_configuration_from_the_environment(monkeypatch, tmp_path):
    monkeypatch.delenv("ASCENT_MODEL", raising=False)
    with pytest.raises(ConfigError, match="needs a model"):
        LlmDriver()
    monkeypatch.setenv("ASCENT_MODEL", "openai/from-env")
    monkeypatch.setenv("ASCENT_API_BASE", "http://127.0.0.1:9/v1")
    driver = LlmDriver(cache_dir=tmp_path)
    assert driver.describe() == {
        "driver": "llm",
        "model": "openai/from-env",
        "api_base": "http://127.0.0.1:9/v1",
        "temperature": 0.2,
    }
    with pytest.raises(ConfigError, match="temperature"):
        LlmDriver(temperature=5)
    with pytest.raises(ConfigError, match="quality"):
        LlmDriver(quality=0.5)


def test_ping(server, make):
    driver, events = make(server.url)
    server.push("ok")
    seconds, text = driver.ping(timeout=5)
    assert text == "ok" and seconds > 0 and events[0].purpose == "ping"
    assert server.requests[0]["max_tokens"] == 8


def test_cost_of_a_priced_model_comes_from_the_bundled_price_list(server, brief, tmp_path):
    driver = LlmDriver(
        model="openai/gpt-4o-mini", api_base=server.url, api_key="dummy", cache=False
    )
    events: list[ev.LlmCall] = []
    driver.emit = events.append
    server.push(json.dumps(DIAGNOSIS))
    driver.diagnose(diagnose_request(brief))
    assert 0 < events[0].cost < 0.01 and driver.cost == events[0].cost


def test_an_answer_cut_off_at_the_token_limit_is_asked_shorter(server, make, brief):
    driver, _ = make(server.url, max_tokens=50)
    good = MleSkills().draft(brief, 0, 0).code
    server.push(Answer(content=fenced(good[:400]), finish_reason="length"), fenced(good))
    assert driver.draft(DraftRequest(brief=brief)).code == good
    assert server.requests[0]["max_tokens"] == 50
    assert "cut off at the token limit" in last_user(server.requests[1])


def test_native_json_mode_only_where_it_is_known_to_work():
    def mode(model, api_base=None):
        return LlmDriver(model=model, api_base=api_base, cache=False)._use_json_mode()

    assert mode("openai/gpt-4o-mini") and mode("deepseek/deepseek-chat")
    assert not mode("anthropic/claude-3-5-haiku-20241022")
    assert not mode("openai/anything", api_base="http://127.0.0.1:1/v1")
    assert LlmDriver(model="openai/x", json_mode=True, cache=False)._use_json_mode()


def test_json_mode_asks_json_calls_only(server, make, brief):
    driver, _ = make(server.url, json_mode=True)
    server.push(json.dumps(DIAGNOSIS), fenced(MleSkills().draft(brief, 0, 0).code))
    driver.diagnose(diagnose_request(brief))
    driver.draft(DraftRequest(brief=brief))
    assert server.requests[0]["response_format"] == {"type": "json_object"}
    assert "response_format" not in server.requests[1]


@pytest.mark.filterwarnings("ignore::UserWarning")  # LiteLLM serialising the odd body
@pytest.mark.parametrize(
    "raw", [{"object": "chat.completion", "choices": []}, {"unexpected": True}, {"choices": "x"}]
)
def test_a_body_that_is_not_a_chat_completion(server, make, brief, raw):
    driver, events = make(server.url)
    server.push(Answer(raw=raw))
    with pytest.raises(DriverError, match="diagnose"):
        driver.diagnose(diagnose_request(brief))
    assert events and events[-1].error
