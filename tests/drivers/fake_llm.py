"""A small OpenAI-compatible chat server on 127.0.0.1 with scripted answers, for driver tests.

Each POST to /v1/chat/completions takes the next scripted `Answer` (or asks `brain`, given the
request body, when the script is empty) and replies with it: a chat completion with usage
counted in words, an HTTP error, or a slow answer. Every request body is kept in `requests`.
"""

from __future__ import annotations

import json
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Answer:
    content: str = ""
    status: int = 200
    delay: float = 0.0
    headers: dict[str, str] = field(default_factory=dict)
    finish_reason: str = "stop"
    raw: dict[str, Any] | None = None  # sent as the body instead of a chat completion


def words(messages: list[dict[str, Any]]) -> int:
    return sum(len(str(m.get("content", "")).split()) for m in messages)


class FakeLlm:
    def __init__(self, brain: Callable[[dict[str, Any]], Answer | str] | None = None) -> None:
        self.brain = brain
        self.script: deque[Answer] = deque()
        self.requests: list[dict[str, Any]] = []
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def port(self) -> int:
        return self._server.server_address[1]

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def push(self, *answers: Answer | str) -> None:
        for a in answers:
            self.script.append(Answer(content=a) if isinstance(a, str) else a)

    def __enter__(self) -> FakeLlm:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    def _next(self, body: dict[str, Any]) -> Answer:
        with self._lock:
            self.requests.append(body)
            if self.script:
                return self.script.popleft()
        if self.brain is not None:
            try:
                answer = self.brain(body)
            except Exception as exc:  # a broken brain is a server error, seen by the test
                return Answer(status=500, content=f"brain failed: {exc!r}")
            return Answer(content=answer) if isinstance(answer, str) else answer
        return Answer(status=500, content="the script is exhausted")

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def do_POST(self) -> None:
                length = int(self.headers.get("content-length") or 0)
                body = json.loads(self.rfile.read(length) or b"{}")
                if not self.path.endswith("/chat/completions"):
                    return self._send(404, {"error": {"message": "no such route"}})
                answer = fake._next(body)
                time.sleep(answer.delay)
                if answer.raw is not None:
                    return self._send(answer.status, answer.raw, answer.headers)
                if answer.status != 200:
                    error = {"message": answer.content or "error", "type": "server_error"}
                    return self._send(answer.status, {"error": error}, answer.headers)
                reply = {
                    "id": f"chatcmpl-{len(fake.requests)}",
                    "object": "chat.completion",
                    "created": int(time.time()),
                    "model": body.get("model", "test-model"),
                    "choices": [
                        {
                            "index": 0,
                            "finish_reason": answer.finish_reason,
                            "message": {"role": "assistant", "content": answer.content},
                        }
                    ],
                    "usage": {
                        "prompt_tokens": words(body.get("messages", [])),
                        "completion_tokens": len(answer.content.split()),
                        "total_tokens": words(body.get("messages", []))
                        + len(answer.content.split()),
                    },
                }
                self._send(200, reply, answer.headers)

            def _send(self, status: int, data: Any, headers: dict[str, str] | None = None) -> None:
                raw = json.dumps(data).encode()
                try:
                    self.send_response(status)
                    self.send_header("content-type", "application/json")
                    self.send_header("content-length", str(len(raw)))
                    for k, v in (headers or {}).items():
                        self.send_header(k, v)
                    self.end_headers()
                    self.wfile.write(raw)
                except OSError:
                    pass  # the client gave up (timeout test)

        return Handler


def last_user(body: dict[str, Any]) -> str:
    return next(m["content"] for m in reversed(body["messages"]) if m["role"] == "user")


def fenced(code: str, summary: str = "a solution") -> str:
    return f'```json\n{{"summary": "{summary}"}}\n```\n\n```python\n{code}```\n'
