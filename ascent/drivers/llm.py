"""The LLM driver: the five calls answered by any model LiteLLM can reach.

    LlmDriver(model="openai/gpt-4o-mini")                       # a provider, key from its env
    LlmDriver(model="openai/qwen2.5-coder", api_base="http://127.0.0.1:8080/v1")  # any server
                                                                   # that speaks OpenAI's API

Settings come from arguments, else from `ASCENT_MODEL`, `ASCENT_API_BASE` and `ASCENT_API_KEY`
(else the provider's own variables: OPENAI_API_KEY, ANTHROPIC_API_KEY, AZURE_API_KEY...).
Prompts are the templates in `prompts/`; answers are JSON checked against the driver models
(diagnose, propose) or a code block that must parse and follow the family's solution contract
(draft, implement, debug). A malformed answer is sent back with what is wrong, up to
`max_attempts` answers in all; then the call raises DriverError, which agents record and react
to. Answers are cached on disk under `cache_dir` (default `$ASCENT_HOME/cache/llm`).
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import threading
import time
from pathlib import Path
from typing import Any

import jinja2
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from ascent.drivers.base import Driver
from ascent.drivers.llm_answers import (
    MalformedAnswer,
    check_code,
    extract_code,
    extract_json,
    validate,
)
from ascent.drivers.llm_client import Endpoint, LlmClient, Reply, litellm_module
from ascent.drivers.llm_prompts import ANSWERS, Prompts, Request, code_requirements
from ascent.drivers.models import (
    DebugRequest,
    DiagnoseRequest,
    Diagnosis,
    DraftRequest,
    Hypothesis,
    ImplementRequest,
    Proposals,
    ProposeRequest,
    Solution,
)
from ascent.errors import ConfigError, DriverError
from ascent.record import events as ev

MODEL_ENV = "ASCENT_MODEL"
API_BASE_ENV = "ASCENT_API_BASE"
API_KEY_ENV = "ASCENT_API_KEY"
# Providers whose chat API takes response_format={"type": "json_object"} natively.
JSON_MODE_PROVIDERS = {"openai", "azure", "deepseek"}


class LlmSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    model: str = Field(description="LiteLLM model name, e.g. openai/gpt-4o-mini.")
    api_base: str | None = Field(None, description="Base URL of an OpenAI-compatible server.")
    api_key: str | None = Field(None, description="Key; else the provider's own variable.")
    temperature: float = Field(0.2, ge=0.0, le=2.0)
    max_retries: int = Field(3, ge=0, le=10, description="Retries of a failed HTTP call.")
    max_attempts: int = Field(3, ge=1, le=10, description="Answers per call, repairs included.")
    timeout: float = Field(120.0, gt=0, description="Seconds per HTTP call.")
    max_tokens: int | None = Field(None, gt=0)
    backoff: float = Field(1.0, ge=0, description="First wait before a retry, doubled each time.")
    backoff_max: float = Field(30.0, ge=0)
    cache: bool = Field(True, description="Keep answers on disk and reuse them.")
    cache_dir: str | None = Field(None, description="Default: $ASCENT_HOME/cache/llm.")
    json_mode: bool | None = Field(
        None, description="Ask for JSON output natively; None: where known to be safe."
    )


class LlmDriver(Driver):
    name = "llm"

    def __init__(
        self,
        model: str | None = None,
        api_base: str | None = None,
        temperature: float = 0.2,
        max_retries: int = 3,
        timeout: float = 120.0,
        cache_dir: str | Path | None = None,
        **options: Any,
    ) -> None:
        model = model or os.environ.get(MODEL_ENV)
        if not model:
            raise ConfigError(
                "the llm driver needs a model",
                hint=f"pass --model (a LiteLLM name, e.g. openai/gpt-4o-mini) or set {MODEL_ENV}",
            )
        try:
            self.settings = LlmSettings(
                model=model,
                api_base=api_base or os.environ.get(API_BASE_ENV) or None,
                temperature=temperature,
                max_retries=max_retries,
                timeout=timeout,
                cache_dir=str(cache_dir) if cache_dir else None,
                **options,
            )
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(p) for p in first["loc"])
            raise ConfigError(f"llm driver option '{where}': {first['msg']}") from None
        s = self.settings
        self.prompts = Prompts()
        self.client = LlmClient(
            Endpoint(
                model=s.model,
                api_base=s.api_base,
                api_key=s.api_key or os.environ.get(API_KEY_ENV) or _local_key(s),
                temperature=s.temperature,
                timeout=s.timeout,
                max_tokens=s.max_tokens,
            ),
            record=self._record,
            max_retries=s.max_retries,
            backoff=s.backoff,
            backoff_max=s.backoff_max,
            cache_dir=_cache_dir(s) if s.cache else None,
        )
        self._lock = threading.Lock()
        self.usage = {"calls": 0, "cached": 0, "prompt_tokens": 0, "completion_tokens": 0}
        self.cost = 0.0
        self._json_mode: bool | None = s.json_mode

    def describe(self) -> dict[str, Any]:
        s = self.settings
        return {
            "driver": self.name,
            "model": s.model,
            "api_base": s.api_base,
            "temperature": s.temperature,
        }

    # -- the five calls ------------------------------------------------------------------------
    def draft(self, request: DraftRequest) -> Solution:
        return self._solution("draft", request)

    def diagnose(self, request: DiagnoseRequest) -> Diagnosis:
        return self._answer("diagnose", request)  # type: ignore[return-value]

    def propose(self, request: ProposeRequest) -> list[Hypothesis]:
        proposals: Proposals = self._answer("propose", request)  # type: ignore[assignment]
        return proposals.hypotheses[: request.n]

    def implement(self, request: ImplementRequest) -> Solution:
        return self._solution("implement", request)

    def debug(self, request: DebugRequest) -> Solution:
        return self._solution("debug", request)

    def ping(self, timeout: float = 20.0) -> tuple[float, str]:
        """One short uncached call: (seconds, answer). Raises DriverError when it fails."""
        started = time.monotonic()
        client = LlmClient(
            dataclasses.replace(self.client.endpoint, timeout=timeout, max_tokens=8),
            record=self._record,
            max_retries=0,
        )
        text = client.complete(
            [{"role": "user", "content": "Reply with the single word: ok"}],
            "ping",
            check=lambda reply: reply.content.strip(),
            use_cache=False,
        )
        return time.monotonic() - started, text

    # -- asking, checking, repairing -----------------------------------------------------------
    def _answer(self, call: str, request: Request) -> BaseModel:
        model = ANSWERS[call]
        return self._ask(call, request, lambda reply: validate(model, extract_json(reply.content)))

    def _solution(self, call: str, request: Request) -> Solution:
        family = request.brief.family
        requirements = code_requirements(family)

        def check(reply: Reply) -> Solution:
            try:
                data = extract_json(reply.content)
            except MalformedAnswer:
                data = None  # the summary is optional; the code is what counts
            try:
                code = extract_code(reply.content, data)
                check_code(code, requirements)
            except MalformedAnswer as exc:
                if reply.finish_reason == "length":
                    raise MalformedAnswer(
                        f"{exc} The answer was cut off at the token limit: keep the file "
                        "shorter and leave out explanations."
                    ) from None
                raise
            summary = data.get("summary") if isinstance(data, dict) else None
            return _make_solution(family, code, summary if isinstance(summary, str) else "")

        return self._ask(call, request, check)

    def _ask(self, call: str, request: Request, check: Any) -> Any:
        family = request.brief.family
        try:
            messages = self.prompts.messages(call, request)
        except jinja2.TemplateError as exc:
            raise DriverError(f"{call}: cannot render its prompt: {exc}") from None
        json_mode = call in ANSWERS and self._use_json_mode()
        problem, seen = "", {"content": ""}

        def checked(reply: Reply) -> Any:
            seen["content"] = reply.content
            return check(reply)

        for attempt in range(self.settings.max_attempts):
            purpose = call if attempt == 0 else f"{call} (repair {attempt})"
            try:
                return self.client.complete(messages, purpose, checked, json_mode=json_mode)
            except MalformedAnswer as exc:
                problem = str(exc)
            # Show the model its answer and what is wrong with it, then ask again.
            messages = [
                *messages,
                {"role": "assistant", "content": seen["content"]},
                {"role": "user", "content": self.prompts.repair(call, family, problem)},
            ]
        raise DriverError(
            f"{call}: no usable answer from {self.settings.model} after "
            f"{self.settings.max_attempts} attempts; last problem: {problem}",
            hint="try a stronger model, or raise max_attempts",
        )

    def _use_json_mode(self) -> bool:
        if self._json_mode is None:
            s = self.settings
            provider = None
            if not s.api_base:
                try:
                    provider = litellm_module().get_llm_provider(s.model)[1]
                except Exception:
                    provider = None
            self._json_mode = provider in JSON_MODE_PROVIDERS
        return self._json_mode

    def _record(self, event: ev.LlmCall) -> None:
        with self._lock:
            self.usage["calls"] += 1
            self.usage["cached"] += int(event.cached)
            self.usage["prompt_tokens"] += event.prompt_tokens
            self.usage["completion_tokens"] += event.completion_tokens
            self.cost += event.cost
        if self.emit is not None:
            self.emit(event)


def _make_solution(family: str, code: str, summary: str) -> Solution:
    """A Solution with the plan its code runs (for families that build code from plans)."""
    plan: dict[str, Any] = {}
    if family == "mle":
        from ascent.tasks.mle.skills import MlePlan, plan_of

        plan = plan_of(code) or {}
        with contextlib.suppress(ValueError):  # a plan of its own shape: the model's summary
            summary = MlePlan.model_validate(plan).summary() if plan else summary
    return Solution(code=code, plan=plan, summary=summary.strip()[:200] or f"{family} solution")


def _cache_dir(settings: LlmSettings) -> Path:
    if settings.cache_dir:
        return Path(settings.cache_dir).expanduser()
    from ascent.config import get_paths

    return get_paths().cache / "llm"


def _local_key(settings: LlmSettings) -> str | None:
    """Servers at a custom base URL (llama.cpp, vLLM, Ollama) rarely check keys, but the
    OpenAI client refuses to start without one."""
    openai_style = settings.model.startswith("openai/")
    if settings.api_base and openai_style and not os.environ.get("OPENAI_API_KEY"):
        return "none"
    return None
