"""The environment API of level-3 RL tasks, on the run's grading server.

    GET  /env/info                              the environment, train seeds, rules, budget left
    POST /env/reset {"seed": 310004}            start an episode (no seed: the next train seed)
    POST /env/step  {"episode_id": "e00001", "action": "go east"}

Only training seeds are playable (the held-out ones stay with the grader: 403 otherwise), at
most `episode_budget` episodes a run (429 past it), none after the deadline (403). Each episode
is recorded when it ends — or is abandoned (too many open at once, or the run ends) — as one line
of `trajectories.jsonl` in the run folder and an `env_episode` event. The bearer token and rate
limit of the grading API apply.

Every start is written to `env_starts.jsonl` (synced to disk) before the episode is handed out,
so the budget survives a harness that dies with episodes open: the next segment counts them and
records them as abandoned, and a crash-and-resume loop cannot start more than the budget.
"""

from __future__ import annotations

import json
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from starlette.concurrency import run_in_threadpool

from ascent.harness.grading.service import GradingService, Refused
from ascent.record import events as ev
from ascent.record.recorder import Recorder
from ascent.tasks.rl.envs import open_environment
from ascent.tasks.rl.envs.base import EnvError, Environment, Episode
from ascent.tasks.rl.envs.rollout import Trajectory, TrajectoryStep

TRAJECTORIES = "trajectories.jsonl"
STARTS = "env_starts.jsonl"
MAX_OPEN = 64
BODY_LIMIT = 16 * 1024


class ResetRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    seed: int | None = None


class StepRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    episode_id: str = Field(max_length=64)
    action: str = Field(max_length=4000)


@dataclass
class _Live:
    episode: Episode
    record: Trajectory
    prompt: str
    lock: threading.Lock = field(default_factory=threading.Lock)
    touched: float = field(default_factory=time.monotonic)


class EnvSessions:
    """Open episodes of one run, its episode budget, and the trajectory log."""

    def __init__(
        self, env: Environment, run_dir: Path, recorder: Recorder, expired: Callable[[], bool]
    ) -> None:
        self.env, self.recorder, self.expired = env, recorder, expired
        self.path = run_dir / TRAJECTORIES
        self.starts_path = run_dir / STARTS
        self.train = list(env.config.train_seeds)
        self._train_set = set(self.train)
        self._live: dict[str, _Live] = {}
        self._lock = threading.Lock()
        self._write = threading.Lock()
        self._closed = False
        # After a resume: every episode an earlier segment started counts, recorded or not.
        recorded = _episode_ids(self.path)
        starts = _read_jsonl(self.starts_path)
        self.started = max(len(recorded), len(starts))
        for start in starts:
            if start["episode_id"] not in recorded:
                self._record(
                    start["episode_id"],
                    Trajectory(env=env.name, seed=start["seed"], done_reason="abandoned"),
                )

    @property
    def remaining(self) -> int:
        return max(0, self.env.config.episode_budget - self.started)

    def info(self) -> dict:
        config = self.env.config
        return {
            "env": config.env,
            "train_seeds": self.train,
            "max_steps": config.max_steps,
            "max_malformed_in_a_row": config.max_malformed,
            "episode_budget": config.episode_budget,
            "episodes_started": self.started,
            "remaining_episodes": self.remaining,
            "open_episodes": len(self._live),
        }

    def reset(self, seed: int | None) -> dict:
        if self._closed or self.expired():
            raise Refused(403, "the run's deadline has passed; no more episodes")
        with self._lock:
            if seed is None:
                seed = self.train[self.started % len(self.train)]
            elif seed not in self._train_set:
                raise Refused(
                    403,
                    f"seed {seed} is not a training seed; GET /env/info lists the "
                    f"{len(self.train)} training seeds (held-out seeds are for grading only)",
                )
            if self.started >= self.env.config.episode_budget:
                raise Refused(
                    429,
                    f"the episode budget of {self.env.config.episode_budget} episodes is used up; "
                    "train on the episodes you have recorded",
                )
            self.started += 1
            episode_id = f"e{self.started:05d}"
            _append(self.starts_path, {"episode_id": episode_id, "seed": seed})
            stale = self._oldest() if len(self._live) >= MAX_OPEN else None
        if stale is not None:
            self._finish(stale, "abandoned")
        episode = self.env.episode()
        try:
            observation = episode.reset(seed)
        except EnvError as exc:
            episode.close()
            raise Refused(400, str(exc)) from None
        record = Trajectory(env=self.env.name, seed=seed, goal=observation.goal)
        with self._lock:
            self._live[episode_id] = _Live(episode, record, observation.prompt)
        return {
            "episode_id": episode_id,
            "seed": seed,
            "observation": observation.model_dump(),
            "remaining_episodes": self.remaining,
        }

    def step(self, episode_id: str, action: str) -> dict:
        with self._lock:
            live = self._live.get(episode_id)
        if live is None:
            raise Refused(404, f"no open episode {episode_id}: it ended or was never started")
        with live.lock:
            if live.episode.done:
                raise Refused(404, f"no open episode {episode_id}: it ended")
            result = live.episode.step(action)
            live.touched = time.monotonic()
            live.record.steps.append(
                TrajectoryStep(
                    prompt=live.prompt,
                    action=action,
                    observation=result.observation.text,
                    reward=result.reward,
                    error=result.error,
                )
            )
            live.record.reward += result.reward
            live.prompt = result.observation.prompt
            if result.done:
                live.record.success, live.record.done_reason = result.success, result.done_reason
        if result.done:
            self._finish(episode_id, None)
        return {"episode_id": episode_id, **result.model_dump()}

    def close(self) -> None:
        """Record every open episode as abandoned (the run is ending)."""
        self._closed = True
        for episode_id in list(self._live):
            self._finish(episode_id, "abandoned")

    def _oldest(self) -> str:
        return min(self._live, key=lambda k: self._live[k].touched)

    def _finish(self, episode_id: str, reason: str | None) -> None:
        with self._lock:
            live = self._live.pop(episode_id, None)
        if live is None:
            return
        live.episode.close()
        record = live.record
        if reason is not None:
            record.done_reason = reason  # type: ignore[assignment]
        self._record(episode_id, record)

    def _record(self, episode_id: str, record: Trajectory) -> None:
        with self._write:
            _append(self.path, {"episode_id": episode_id, **record.model_dump()})
        self.recorder.emit(
            ev.EnvEpisode(
                episode_id=episode_id,
                env=record.env,
                seed=record.seed,
                steps=record.n_steps,
                reward=record.reward,
                success=record.success,
                done_reason=record.done_reason,
            )
        )


def _append(path: Path, row: dict) -> None:
    with path.open("a", encoding="utf-8") as fh:
        fh.write(json.dumps(row) + "\n")
        fh.flush()
        os.fsync(fh.fileno())


def _read_jsonl(path: Path) -> list[dict]:
    """Whole lines only: a line cut short by a crash is not a record."""
    if not path.exists():
        return []
    rows = []
    with path.open("rb") as fh:
        for line in fh:
            if line.endswith(b"\n"):
                try:
                    rows.append(json.loads(line))
                except ValueError:
                    continue
    return rows


def _episode_ids(path: Path) -> set[str]:
    return {str(row.get("episode_id")) for row in _read_jsonl(path)}


def add_env_routes(
    app: FastAPI, service: GradingService, refuse: Callable[[str, str, int], JSONResponse]
) -> EnvSessions:
    """Serve the environment of `service`'s task; records abandoned episodes when the run ends."""
    env = open_environment(service.grader.prepared.private)
    sessions = EnvSessions(env, service.config.run_dir, service.recorder, service.budget.expired)

    def on_event(event) -> None:
        if event.kind in ("final_grade", "run_end") and not sessions._closed:
            sessions.close()

    service.recorder.subscribe(on_event)

    async def body(request: Request, model: type[BaseModel]):
        chunks, size = [], 0
        async for chunk in request.stream():
            size += len(chunk)
            if size > BODY_LIMIT:
                raise ValueError("the request body is too large")
            chunks.append(chunk)
        return model.model_validate_json(b"".join(chunks) or b"{}")

    async def answer(what: str, call: Callable[[], dict]) -> JSONResponse:
        try:
            return JSONResponse(await run_in_threadpool(call))
        except Refused as exc:
            return refuse(what, exc.reason, exc.status_code)

    @app.get("/env/info")
    async def info() -> dict:
        return sessions.info()

    @app.post("/env/reset")
    async def reset(request: Request) -> JSONResponse:
        try:
            payload = await body(request, ResetRequest)
        except (ValidationError, ValueError) as exc:
            return refuse("POST /env/reset", f'bad request: send {{"seed": N}} ({_why(exc)})', 422)
        return await answer("POST /env/reset", lambda: sessions.reset(payload.seed))

    @app.post("/env/step")
    async def step(request: Request) -> JSONResponse:
        try:
            payload = await body(request, StepRequest)
        except (ValidationError, ValueError) as exc:
            reason = f'bad request: send {{"episode_id": ..., "action": ...}} ({_why(exc)})'
            return refuse("POST /env/step", reason, 422)
        return await answer(
            "POST /env/step", lambda: sessions.step(payload.episode_id, payload.action)
        )

    return sessions


def _why(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        err = exc.errors()[0]
        return f"{'.'.join(str(p) for p in err['loc']) or 'body'}: {err['msg']}"
    return str(exc)
