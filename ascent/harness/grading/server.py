"""The grading API over HTTP (FastAPI), with a bearer token per run.

Routes: `POST /submit` (JSON `{"path": ...}`, or the file itself as the request body with
`?name=submission.csv`), `POST /select`, `GET /health`, `GET /status`, `GET /submissions`,
`GET /submissions/{id}`. Bodies over the size limit get 413 before they are read; more than
`rate` requests a second get 429; a missing token 401, a wrong one 403, an unknown route 404.
Every refusal is an event.
"""

from __future__ import annotations

import asyncio
import hmac
import threading
import time
from collections.abc import Awaitable, Callable

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool

from ascent.harness.grading.models import SelectRequest, SubmitRequest
from ascent.harness.grading.service import GradingService, Refused
from ascent.record import events as ev

JSON_LIMIT = 64 * 1024
DRAIN_LIMIT = 256 * 1024 * 1024


class RateLimiter:
    """A token bucket: `rate` requests a second on average, bursts up to `burst`."""

    def __init__(self, rate: float, burst: int) -> None:
        self.rate, self.burst = rate, burst
        self._tokens = float(burst)
        self._last = time.monotonic()
        self._lock = threading.Lock()

    def allow(self) -> bool:
        with self._lock:
            now = time.monotonic()
            self._tokens = min(self.burst, self._tokens + (now - self._last) * self.rate)
            self._last = now
            if self._tokens >= 1:
                self._tokens -= 1
                return True
            return False


def create_app(service: GradingService, token: str, rate: float = 20.0, burst: int = 60) -> FastAPI:
    app = FastAPI(title="ascentlab grading API", docs_url=None, redoc_url=None, openapi_url=None)
    limiter = RateLimiter(rate, burst)

    def refuse(what: str, reason: str, code: int) -> JSONResponse:
        service.recorder.emit(ev.Refusal(what=what, reason=reason, status_code=code))
        return JSONResponse({"error": reason}, status_code=code)

    @app.middleware("http")
    async def guard(request: Request, call_next: Callable[[Request], Awaitable]) -> JSONResponse:
        what = f"{request.method} {request.url.path}"
        if request.url.path == "/health":
            return await call_next(request)
        header = request.headers.get("authorization", "")
        if not header.startswith("Bearer "):
            return refuse(what, "missing bearer token", 401)
        if not hmac.compare_digest(header.removeprefix("Bearer ").strip(), token):
            return refuse(what, "invalid token", 403)
        if not limiter.allow():
            return refuse(what, "too many requests; slow down", 429)
        length = request.headers.get("content-length")
        if length is not None and length.isdigit() and int(length) > service.config.max_bytes:
            # Read and drop (never store or parse) a bounded amount, so that the client, still
            # sending, gets to read the 413 instead of a reset connection.
            if int(length) <= DRAIN_LIMIT:
                async for _chunk in request.stream():
                    pass
            return refuse(
                what, f"the request body is over {service.config.max_bytes // 2**20} MB", 413
            )
        return await call_next(request)

    @app.exception_handler(404)
    async def not_found(request: Request, exc: Exception) -> JSONResponse:
        return refuse(f"{request.method} {request.url.path}", "unknown route", 404)

    @app.exception_handler(405)
    async def wrong_method(request: Request, exc: Exception) -> JSONResponse:
        return refuse(f"{request.method} {request.url.path}", "method not allowed", 405)

    @app.get("/health")
    async def health() -> dict:
        return {"ok": True, "task_id": service.task.id}

    @app.get("/status")
    async def status() -> dict:
        return service.status().model_dump()

    @app.get("/submissions")
    async def submissions() -> list[dict]:
        return [service.visible_entry(e).model_dump(exclude={"file"}) for e in service.entries()]

    @app.get("/submissions/{submission_id}")
    async def submission(submission_id: str) -> JSONResponse:
        entry = next((e for e in service.entries() if e.submission_id == submission_id), None)
        if entry is None:
            return JSONResponse({"error": f"no submission {submission_id}"}, status_code=404)
        return JSONResponse(service.visible_entry(entry).model_dump(exclude={"file"}))

    @app.post("/submit")
    async def submit(request: Request) -> JSONResponse:
        kind = request.headers.get("content-type", "").split(";")[0].strip()
        try:
            if kind == "application/json":
                body = await _read_capped(request, JSON_LIMIT)
                payload = SubmitRequest.model_validate_json(body)
                response = await run_in_threadpool(
                    service.submit_path, payload.path, payload.final, payload.wait
                )
            else:
                data = await _read_capped(request, service.config.max_bytes)
                name = request.query_params.get("name", "upload")
                final = request.query_params.get("final", "").lower() in ("1", "true", "yes")
                blocks = iter([data])
                response = await run_in_threadpool(
                    service.submit_bytes, lambda _size: next(blocks, b""), name, final
                )
        except Refused as exc:
            return JSONResponse(_refused_body(service, exc.reason), status_code=exc.status_code)
        except _TooLarge:
            return refuse("POST /submit", "the request body is too large", 413)
        except ValidationError as exc:
            return refuse("POST /submit", f"bad request: {exc.errors()[0]['msg']}", 422)
        return JSONResponse(response.model_dump())

    @app.post("/select")
    async def select(request: Request) -> JSONResponse:
        try:
            payload = SelectRequest.model_validate_json(await _read_capped(request, JSON_LIMIT))
            entry = await run_in_threadpool(service.select, payload.submission_id)
        except Refused as exc:
            return JSONResponse({"error": exc.reason}, status_code=exc.status_code)
        except (ValidationError, _TooLarge):
            return refuse("POST /select", 'bad request: send {"submission_id": ...}', 422)
        return JSONResponse(service.visible_entry(entry).model_dump(exclude={"file"}))

    if service.task.family == "rl" and service.task.spec.level == 3:
        from ascent.harness.grading.env_routes import add_env_routes

        app.state.env_sessions = add_env_routes(app, service, refuse)
    if service.task.family == "rl" and service.task.spec.level == 2:
        from ascent.harness.grading.judge_routes import register_judge_routes

        app.state.judge_desk = register_judge_routes(app, service)
    return app


class _TooLarge(Exception):
    pass


async def _read_capped(request: Request, limit: int) -> bytes:
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise _TooLarge
        chunks.append(chunk)
    return b"".join(chunks)


def _refused_body(service: GradingService, reason: str) -> dict:
    status = service.status()
    return {
        "submission_id": None,
        "status": "refused",
        "valid": False,
        "error": reason,
        "remaining": status.remaining.model_dump(),
    }


class ServerThread:
    """Runs the app with uvicorn in a background thread, on a Unix socket or 127.0.0.1."""

    def __init__(self, app: FastAPI, *, uds: str | None = None, port: int = 0) -> None:
        import socket

        import uvicorn

        self._socket: socket.socket | None = None
        if uds is None:
            self._socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            self._socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            self._socket.bind(("127.0.0.1", port))
            self.port = self._socket.getsockname()[1]
            self.url = f"http://127.0.0.1:{self.port}"
        else:
            self.port = 0
            self.url = f"unix://{uds}"
        config = uvicorn.Config(
            app,
            uds=uds,
            log_level="warning",
            access_log=False,
            lifespan="off",
            timeout_graceful_shutdown=2,
        )
        self.server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._serve, name="grading-server", daemon=True)

    def _serve(self) -> None:
        sockets = [self._socket] if self._socket is not None else None
        asyncio.run(self.server.serve(sockets=sockets))

    def start(self, timeout: float = 10.0) -> ServerThread:
        self._thread.start()
        deadline = time.monotonic() + timeout
        while not self.server.started:
            if time.monotonic() > deadline or not self._thread.is_alive():
                raise RuntimeError("the grading server did not start")
            time.sleep(0.01)
        return self

    def stop(self) -> None:
        self.server.should_exit = True
        self._thread.join(5)
