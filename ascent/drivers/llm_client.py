"""One chat completion through LiteLLM: timeout, bounded backoff, accounting, on-disk cache.

Every HTTP call becomes one `LlmCall` event (tokens, cost, latency, and the error if it failed
or its answer was unusable); an answer served from the cache is an event with `cached=True`.
Connection errors, timeouts, 429 and 5xx are retried with exponential backoff (honouring
`Retry-After`), at most `max_retries` times; other failures (a bad key, an unknown model, a
rejected request) fail at once. Only answers that passed their check are cached.
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from ascent.errors import DriverError
from ascent.record import events as ev

# LiteLLM fetches its price list from the network on import unless told not to.
os.environ["LITELLM_LOCAL_MODEL_COST_MAP"] = "True"

CACHE_VERSION = 1
T = TypeVar("T")
_import_lock = threading.Lock()
_litellm: Any = None


def litellm_module() -> Any:
    """LiteLLM, imported once (it is slow to import), quiet and offline."""
    global _litellm
    with _import_lock:
        if _litellm is None:
            try:
                import litellm
            except ImportError as exc:
                raise DriverError(
                    "the llm driver needs LiteLLM", hint="pip install 'ascentlab[llm]'"
                ) from exc
            litellm.suppress_debug_info = True
            litellm.telemetry = False
            _litellm = litellm
    return _litellm


@dataclass
class Reply:
    content: str
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost: float = 0.0
    latency: float = 0.0
    cached: bool = False
    finish_reason: str | None = None


@dataclass(frozen=True)
class Endpoint:
    model: str
    api_base: str | None = None
    api_key: str | None = None
    temperature: float = 0.2
    timeout: float = 120.0
    max_tokens: int | None = None


class LlmClient:
    def __init__(
        self,
        endpoint: Endpoint,
        record: Callable[[ev.LlmCall], None],
        max_retries: int = 3,
        backoff: float = 1.0,
        backoff_max: float = 30.0,
        cache_dir: Path | None = None,
    ) -> None:
        self.endpoint = endpoint
        self.record = record
        self.max_retries = max_retries
        self.backoff = backoff
        self.backoff_max = backoff_max
        self.cache_dir = cache_dir

    def complete(
        self,
        messages: list[dict[str, str]],
        purpose: str,
        check: Callable[[Reply], T],
        json_mode: bool = False,
        use_cache: bool = True,
    ) -> T:
        """The checked answer to `messages`. `check` raises ValueError for an unusable answer
        (recorded as the call's error, then re-raised); transport failures become DriverError."""
        key = cache_key(self.endpoint.model, messages, self.endpoint.temperature)
        cached = self._cache_get(key) if use_cache else None
        if cached is not None:
            try:
                value = check(cached)
            except ValueError:
                pass  # an entry that no longer passes: ask again
            else:
                self._emit(purpose, cached)
                return value
        reply = self._call(messages, purpose, json_mode)
        try:
            value = check(reply)
        except ValueError as exc:
            self._emit(purpose, reply, error=f"malformed answer: {exc}"[:1000])
            raise
        self._emit(purpose, reply)
        if use_cache:
            self._cache_put(key, reply)
        return value

    # -- transport -----------------------------------------------------------------------------
    def _call(self, messages: list[dict[str, str]], purpose: str, json_mode: bool) -> Reply:
        litellm = litellm_module()
        e = self.endpoint
        kwargs: dict[str, Any] = {
            "model": e.model,
            "messages": messages,
            "temperature": e.temperature,
            "timeout": e.timeout,
            "max_retries": 0,  # retries are ours: bounded, recorded
            "num_retries": 0,
            "drop_params": True,  # e.g. models that refuse a temperature
        }
        if e.api_base:
            kwargs["api_base"] = e.api_base
        if e.api_key:
            kwargs["api_key"] = e.api_key
        if e.max_tokens:
            kwargs["max_tokens"] = e.max_tokens
        if json_mode:
            kwargs["response_format"] = {"type": "json_object"}
        delay = self.backoff
        for attempt in range(self.max_retries + 1):
            started = time.monotonic()
            try:
                response = litellm.completion(**kwargs)
            except Exception as exc:
                latency = time.monotonic() - started
                retryable, message = self._classify(exc)
                self.record(
                    ev.LlmCall(
                        model=e.model, purpose=purpose, latency=round(latency, 3), error=message
                    )
                )
                if not retryable:
                    raise DriverError(f"{purpose}: {message}", hint=_hint(exc)) from None
                if attempt == self.max_retries:
                    raise DriverError(
                        f"{purpose}: the LLM endpoint failed {attempt + 1} times, last: {message}",
                        hint="check that the endpoint is up, or raise max_retries / timeout",
                    ) from None
                time.sleep(_wait(exc, delay, self.backoff_max))
                delay = min(delay * 2, self.backoff_max)
                continue
            latency = time.monotonic() - started
            try:
                return self._reply(litellm, response, latency)
            except (AttributeError, IndexError, TypeError, ValueError) as exc:
                message = f"the answer is not a chat completion ({type(exc).__name__}: {exc})"
                self.record(
                    ev.LlmCall(model=e.model, purpose=purpose, latency=latency, error=message)
                )
                raise DriverError(f"{purpose}: {message}") from None
        raise AssertionError("unreachable")

    def _reply(self, litellm: Any, response: Any, latency: float) -> Reply:
        choice = response.choices[0]
        usage = getattr(response, "usage", None)
        try:
            cost = float(litellm.completion_cost(completion_response=response) or 0.0)
        except Exception:  # a model with no known price (local servers): free
            cost = 0.0
        return Reply(
            content=choice.message.content or "",
            prompt_tokens=int(getattr(usage, "prompt_tokens", 0) or 0),
            completion_tokens=int(getattr(usage, "completion_tokens", 0) or 0),
            cost=cost,
            latency=latency,
            finish_reason=getattr(choice, "finish_reason", None),
        )

    def _classify(self, exc: Exception) -> tuple[bool, str]:
        """(retry?, message) for a failed call."""
        name = type(exc).__name__
        status = getattr(exc, "status_code", None)
        text = str(exc)
        where = self.endpoint.api_base or "the provider"
        if name in ("Timeout", "APITimeoutError") or "timed out" in text.lower():
            return True, f"no answer within {self.endpoint.timeout:g}s (timeout)"
        if "Connection error" in text or name == "APIConnectionError":
            return True, f"cannot connect to {where}"
        if status == 429 or name == "RateLimitError":
            return True, "rate-limited (HTTP 429)"
        if isinstance(status, int) and status >= 500:
            return True, f"server error (HTTP {status}) from {where}"
        if status in (401, 403) or name in ("AuthenticationError", "PermissionDeniedError"):
            return False, f"the endpoint refused the credentials (HTTP {status})"
        if status == 404 or name == "NotFoundError":
            return False, f"model '{self.endpoint.model}' or endpoint not found (HTTP 404)"
        short = " ".join(text.split())[:400]
        return False, f"request failed ({name}{f', HTTP {status}' if status else ''}): {short}"

    # -- cache ---------------------------------------------------------------------------------
    def _cache_path(self, key: str) -> Path | None:
        return None if self.cache_dir is None else self.cache_dir / key[:2] / f"{key}.json"

    def _cache_get(self, key: str) -> Reply | None:
        path = self._cache_path(key)
        if path is None or not path.is_file():
            return None
        try:
            data = json.loads(path.read_text())
            return Reply(
                content=data["content"],
                prompt_tokens=int(data.get("prompt_tokens", 0)),
                completion_tokens=int(data.get("completion_tokens", 0)),
                finish_reason=data.get("finish_reason"),
                cached=True,
            )
        except (OSError, ValueError, KeyError, TypeError):
            return None  # unreadable entry: a miss

    def _cache_put(self, key: str, reply: Reply) -> None:
        path = self._cache_path(key)
        if path is None:
            return
        data = {
            "version": CACHE_VERSION,
            "model": self.endpoint.model,
            "content": reply.content,
            "prompt_tokens": reply.prompt_tokens,
            "completion_tokens": reply.completion_tokens,
            "finish_reason": reply.finish_reason,
            "created": time.time(),
        }
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_name(f"{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
            tmp.write_text(json.dumps(data))
            tmp.replace(path)
        except OSError:
            pass  # a cache that cannot be written is only slower

    def _emit(self, purpose: str, reply: Reply, error: str | None = None) -> None:
        self.record(
            ev.LlmCall(
                model=self.endpoint.model,
                purpose=purpose,
                prompt_tokens=reply.prompt_tokens,
                completion_tokens=reply.completion_tokens,
                cost=0.0 if reply.cached else reply.cost,
                latency=round(reply.latency, 3),
                cached=reply.cached,
                error=error,
            )
        )


def cache_key(model: str, messages: list[dict[str, str]], temperature: float) -> str:
    blob = json.dumps(
        {"v": CACHE_VERSION, "model": model, "messages": messages, "temperature": temperature},
        sort_keys=True,
        ensure_ascii=False,
    )
    return hashlib.sha256(blob.encode()).hexdigest()


def _wait(exc: Exception, delay: float, cap: float) -> float:
    """Seconds before the next attempt: Retry-After when the server says, else backoff."""
    for headers in (
        getattr(exc, "litellm_response_headers", None),  # LiteLLM keeps the real ones here
        getattr(getattr(exc, "response", None), "headers", None),
    ):
        try:
            after = float(headers.get("retry-after"))  # type: ignore[union-attr]
        except (AttributeError, TypeError, ValueError):
            continue
        if after >= 0:
            return min(after, cap)
    return min(delay * random.uniform(0.8, 1.2), cap)


def _hint(exc: Exception) -> str:
    status = getattr(exc, "status_code", None)
    if status in (401, 403):
        return "set the provider's key (e.g. OPENAI_API_KEY, ANTHROPIC_API_KEY) or ASCENT_API_KEY"
    if status == 404:
        return "check --model / ASCENT_MODEL and --api-base / ASCENT_API_BASE"
    return "check --model / ASCENT_MODEL, --api-base / ASCENT_API_BASE and the provider's key"
