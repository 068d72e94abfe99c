"""`POST /judge` and `GET /judge`: a level-2 task's judge, reachable only here, within a budget.

The agent sends replies to prompts of the task's public training or dev files
(`{"items": [{"id": "train-0003", "reply": "..."}]}`, or `"prompt"` with the exact prompt text
instead of `"id"`) and gets, for each, the judge's length-controlled verdict against that
prompt's reference: the probability that the reply is the better answer. Prompts of the held-out
test set are refused (403), so are unknown prompts (404). Each reply judged counts against the
run's budget (`judge.yaml`: `queries`); a request that does not fit in what is left is refused
whole (429). The count survives resumes (`judge_usage.json` in the run folder). Every answer is
an `agent_step` event (`action: judge`), every refusal a `refusal` event. Authentication and rate
limiting are the server's, as for every route.
"""

from __future__ import annotations

import json
import threading
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from starlette.concurrency import run_in_threadpool

from ascent.harness.grading.service import GradingService, Refused
from ascent.record import events as ev
from ascent.record.recorder import Recorder
from ascent.tasks.prepare import PreparedTask
from ascent.tasks.rl import judge as judge_model
from ascent.tasks.rl.spec import JudgeSpec, load_judge_spec

USAGE_FILE = "judge_usage.json"
BODY_LIMIT = 4 * 1024 * 1024


class JudgeItem(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: str | None = None
    prompt: str | None = None
    reply: str


class JudgeRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    items: list[JudgeItem] = Field(min_length=1)


class JudgeDesk:
    """The judge of one run: known prompts, held-out prompts, and the query count."""

    def __init__(
        self, prepared: PreparedTask, spec: JudgeSpec, run_dir: Path, recorder: Recorder
    ) -> None:
        self.spec = spec
        self.recorder = recorder
        self.judge = judge_model.load(prepared.private / judge_model.JUDGE_FILE)
        self.known: dict[str, tuple[str, str]] = {}
        for split in spec.splits:
            for row in _rows(prepared.public / f"{split}.jsonl"):
                self.known[str(row["id"])] = (str(row["prompt"]), str(row["reference"]))
        self.by_prompt = {prompt: key for key, (prompt, _ref) in self.known.items()}
        test = _rows(prepared.private / "test.jsonl")
        self.held_out = {str(r["prompt"]).strip() for r in test} | {str(r["id"]) for r in test}
        self._usage = run_dir / USAGE_FILE
        self._lock = threading.Lock()
        self.used = _read_usage(self._usage)

    def status(self) -> dict:
        return {
            "budget": self.spec.queries,
            "used": self.used,
            "remaining": self.spec.queries - self.used,
            "max_batch": self.spec.max_batch,
        }

    def answer(self, request: JudgeRequest) -> dict:
        if len(request.items) > self.spec.max_batch:
            raise Refused(
                413, f"at most {self.spec.max_batch} replies a request, got {len(request.items)}"
            )
        rows = [self._resolve(item) for item in request.items]
        with self._lock:
            left = self.spec.queries - self.used
            if len(rows) > left:
                raise Refused(
                    429,
                    f"judge budget exhausted: {len(rows)} verdicts asked, {left} left of "
                    f"{self.spec.queries} for this run",
                )
            self.used += len(rows)
            self._usage.write_text(json.dumps({"used": self.used}), encoding="utf-8")
        verdicts = [
            {"id": key, "verdict": round(self.judge.verdict(prompt, reply, reference), 6)}
            for key, prompt, reply, reference in rows
        ]
        mean = sum(v["verdict"] for v in verdicts) / len(verdicts)
        self.recorder.emit(
            ev.AgentStep(
                step=0,
                action="judge",
                detail={"n": len(rows), "used": self.used, "mean_verdict": round(mean, 4)},
            )
        )
        return {"verdicts": verdicts, **self.status()}

    def _resolve(self, item: JudgeItem) -> tuple[str, str, str, str]:
        if len(item.reply) > self.spec.max_reply_chars:
            raise Refused(413, f"a reply is over {self.spec.max_reply_chars} characters")
        asked = item.id if item.id is not None else item.prompt
        if asked is None:
            raise Refused(422, 'each item needs "id" or "prompt", and "reply"')
        if asked.strip() in self.held_out and asked not in self.known:
            raise Refused(403, "that prompt is held out for grading: the judge never answers on it")
        key = asked if item.id is not None else self.by_prompt.get(asked, asked)
        if key not in self.known:
            where = " or ".join(f"public/{s}.jsonl" for s in self.spec.splits)
            raise Refused(
                404, f"unknown prompt {key[:80]!r}: the judge answers on prompts of {where}"
            )
        prompt, reference = self.known[key]
        return key, prompt, item.reply, reference


def register_judge_routes(app: FastAPI, service: GradingService) -> JudgeDesk | None:
    """Add the judge's routes when the task has one (a `judge.yaml`); else add nothing."""
    prepared = service.grader.prepared
    spec = load_judge_spec(prepared.task.root)
    if spec is None:
        return None
    desk = JudgeDesk(prepared, spec, service.config.run_dir, service.recorder)

    def refuse(reason: str, code: int) -> JSONResponse:
        service.recorder.emit(ev.Refusal(what="POST /judge", reason=reason, status_code=code))
        return JSONResponse({"error": reason, **desk.status()}, status_code=code)

    @app.get("/judge")
    async def judge_status() -> dict:
        return desk.status()

    @app.post("/judge")
    async def judge(request: Request) -> JSONResponse:
        body = b""
        async for chunk in request.stream():
            body += chunk
            if len(body) > BODY_LIMIT:
                return refuse(f"the request body is over {BODY_LIMIT // 2**20} MB", 413)
        try:
            payload = JudgeRequest.model_validate_json(body)
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(p) for p in first["loc"])
            return refuse(
                f'bad request ({where}: {first["msg"]}); send {{"items": [{{"id": ..., "reply": ...}}]}}',
                422,
            )
        try:
            answer = await run_in_threadpool(desk.answer, payload)
        except Refused as exc:
            return refuse(exc.reason, exc.status_code)
        return JSONResponse(answer)

    return desk


def _rows(path: Path) -> list[dict]:
    if not path.is_file():
        return []
    return [
        json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()
    ]


def _read_usage(path: Path) -> int:
    try:
        return int(json.loads(path.read_text(encoding="utf-8"))["used"])
    except (OSError, ValueError, KeyError, TypeError):
        return 0
