"""The life of a run: create it, execute (or resume) it, grade the final submission, report.

`create_run` writes `run.json`; `execute_run` runs one segment: prepare the task, lay out (or
reuse) the workspace, start the grading server and the agent in the sandbox, watch the budget,
then stop everything and finish. A run killed at any point is resumed by `execute_run` again:
earlier events and submissions stay, pending gradings are completed, the budget left is honoured.
"""

from __future__ import annotations

import logging
import shutil
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from rich.console import Console

from ascent.agents.builtin import BUILTIN_AGENTS
from ascent.agents.registry import AgentEntry, AgentRegistry
from ascent.analysis.build import report_run
from ascent.analysis.clock import used_seconds
from ascent.analysis.schema import MetricInfo
from ascent.config import Paths
from ascent.drivers.base import make_driver
from ascent.errors import AscentError
from ascent.harness.budget import Budget
from ascent.harness.builtin_runner import AgentThread, make_context
from ascent.harness.grading.ledger import Ledger
from ascent.harness.grading.server import ServerThread, create_app
from ascent.harness.grading.service import GradingService, ServiceConfig
from ascent.harness.launch import (
    SOCKET_MOUNT,
    LaunchPlan,
    agent_command,
    agent_env,
    grading_url,
    plan_launch,
    render_prompt,
)
from ascent.harness.monitor import Monitor
from ascent.harness.netproxy import AllowlistProxy
from ascent.harness.panel import RunPanel
from ascent.harness.runstate import (
    FinalResult,
    RunOptions,
    RunState,
    Segment,
    load_state,
    new_run_id,
    new_token,
    now_iso,
)
from ascent.harness.sandbox import Limits, Mount, Sandbox, SandboxSpec, make_sandbox, resolve_kind
from ascent.harness.sandbox.cgroups import kill_stale
from ascent.harness.workspace import WorkspaceFacts, lay_out
from ascent.record import events as ev
from ascent.record.recorder import Recorder
from ascent.record.snapshots import Snapshotter
from ascent.store import Store
from ascent.store.records import RunRecord
from ascent.tasks.ft.models import ensure_base_model
from ascent.tasks.grading import Grader
from ascent.tasks.prepare import PreparedTask, prepare_task
from ascent.tasks.registry import Registry

log = logging.getLogger(__name__)

ENDED = ("finished", "failed", "sandbox_error")
# How long the end of a run waits for gradings of submissions made before its deadline (a
# fine-tuned model can take minutes to evaluate on a busy machine).
SETTLE_SECONDS = 1800.0


def create_run(paths: Paths, store: Store, options: RunOptions) -> RunState:
    task = Registry([Path(p) for p in options.task_dirs]).get(options.task_id)
    AgentRegistry([Path(p) for p in options.agent_dirs]).get(options.agent)
    budget = task.spec.budget
    state = RunState(
        run_id=new_run_id(task.id, options.agent),
        options=options,
        created_at=now_iso(),
        budget_seconds=options.budget_seconds or budget.wall_seconds,
        max_submissions=options.max_submissions or budget.max_submissions,
        limits=options.limits or Limits(memory_mb=budget.memory_mb, cpus=budget.cpus),
        token=new_token(),
    )
    run_dir = paths.runs / state.run_id
    run_dir.mkdir(parents=True)
    state.save(run_dir)
    store.insert_run(
        RunRecord(
            run_id=state.run_id,
            task_id=task.id,
            family=task.family,
            agent=options.agent,
            driver=options.driver,
            model=options.model,
            seed=options.seed,
            status="created",
            created_at=state.created_at,
            path=str(run_dir),
            sweep_id=options.sweep_id,
            config=options.model_dump(),
        )
    )
    return state


@dataclass
class Segment_:
    """Everything assembled for one segment of a run."""

    state: RunState
    run_dir: Path
    prepared: PreparedTask
    recorder: Recorder
    budget: Budget
    service: GradingService
    sandbox: Sandbox
    workspace: Path
    snapshotter: Snapshotter


def execute_run(
    paths: Paths,
    store: Store,
    run_id: str,
    console: Console | None = None,
    on_event: Callable[[ev.Event], None] | None = None,
) -> RunState:
    run_dir = paths.runs / run_id
    state = load_state(run_dir)
    if state.status in ENDED:
        raise AscentError(f"run {run_id} has ended already ({state.status})")
    options = state.options
    resumed = bool(state.segments)
    task = Registry([Path(p) for p in options.task_dirs]).get(options.task_id)
    if options.base_model and task.spec.base_model:
        task = task.with_base_model(options.base_model)
    agent = AgentRegistry([Path(p) for p in options.agent_dirs]).get(options.agent)
    prepared = prepare_task(task, paths, store)
    grader = Grader(prepared)

    recorder = Recorder(run_dir, run_id, store)
    if resumed:
        recorder.reindex()
    kind = resolve_kind(options.sandbox)
    state.sandbox, state.isolated = kind, kind == "bwrap"
    inside_root = "/workspace" if kind == "bwrap" else str(run_dir / "workspace")
    workspace = run_dir / "workspace"
    if not workspace.exists():
        lay_out(
            run_dir,
            prepared,
            WorkspaceFacts(
                workspace=inside_root,
                budget_seconds=state.budget_seconds,
                max_submissions=state.max_submissions,
                limits=state.limits,
                network=agent.spec.network if agent.spec else "none",
            ),
        )
    service_config = ServiceConfig(
        run_id=run_id,
        run_dir=run_dir,
        workspace=workspace,
        inside_root=inside_root,
        max_bytes=_max_submission_bytes(task),
    )
    charged = sum(1 for e in Ledger(run_dir).entries() if e.charged)
    budget = Budget(
        state.budget_seconds,
        state.max_submissions,
        used_seconds=used_seconds(recorder.events()),
        used_submissions=charged,
    )
    service = GradingService(service_config, task, grader, budget, recorder, store)
    recorder.emit(
        ev.RunStart(
            run_id=run_id,
            task_id=task.id,
            agent=options.agent,
            sandbox=kind,
            budget_seconds=state.budget_seconds,
            max_submissions=state.max_submissions,
            resumed=resumed,
        )
    )
    if resumed:
        regraded = service.regrade_pending()
        if regraded:
            log.info("graded %d submissions left pending by the interruption", regraded)
    state.segments.append(Segment(started_at=now_iso(), resumed=resumed))
    state.status = "running"
    state.save(run_dir)
    store.update_run(run_id, status="running")

    kill_stale(run_id)
    # Unix socket paths are limited to 108 bytes: keep them in a short private folder.
    sock_dir = Path(tempfile.mkdtemp(prefix="ascent-"))
    plan = plan_launch(agent, kind, sock_dir) if agent.kind == "folder" else None
    snapshotter = Snapshotter(run_dir / "snapshots.git", workspace)
    sandbox = make_sandbox(
        kind,
        SandboxSpec(
            name=f"{run_id}.{len(state.segments)}",
            workspace=workspace,
            mounts=[
                *(plan.mounts if plan else []),
                *_base_model_mounts(task, kind, workspace, paths),
                # a built-in agent's solutions reach the grading API (judge, environment)
                *(
                    [Mount(source=sock_dir, target=SOCKET_MOUNT)]
                    if plan is None and kind == "bwrap"
                    else []
                ),
            ],
            env={},
            network=plan.network if plan else "none",
            limits=state.limits,
        ),
    )
    segment = Segment_(
        state, run_dir, prepared, recorder, budget, service, sandbox, workspace, snapshotter
    )
    recorder.subscribe(lambda e: _snapshot_on_submission(segment, e))
    if on_event is not None:
        recorder.subscribe(on_event)

    server = _start_server(service, state, sock_dir, kind)
    proxy = None
    if plan is not None and plan.proxy_allow is not None:
        proxy = AllowlistProxy(
            str(sock_dir / "proxy.sock"),
            plan.proxy_allow,
            on_refusal=lambda what, why: recorder.emit(
                ev.Refusal(what=what, reason=why, status_code=403)
            ),
        ).start()
    panel = RunPanel(
        console or Console(stderr=True), run_id, budget, task.spec.metric.higher_is_better
    )
    recorder.subscribe(panel.on_event)
    reason = "sandbox_error"
    try:
        with panel:
            if plan is not None:
                process = _start_agent(segment, plan, grading_url(plan, server.url), resumed)
            else:
                inside = f"unix://{SOCKET_MOUNT}/grading.sock" if kind == "bwrap" else server.url
                process = _start_builtin(segment, agent, resumed, inside)
            monitor = Monitor(
                segment, process, panel, agent.spec.snapshot_seconds if agent.spec else 30
            )
            reason = monitor.loop()
    except KeyboardInterrupt:
        reason = "interrupted"
    except AscentError as exc:  # the agent could not start: a result, not a hung run
        recorder.emit(ev.ErrorEvent(error_kind="agent_start", message=str(exc)))
        reason = "agent_error"
    finally:
        sandbox.kill_all(reason)
        service.close()
        _emit_snapshot(segment, "end of segment")
        server.stop()
        if proxy is not None:
            proxy.stop()
        sandbox.close()
        shutil.rmtree(sock_dir, ignore_errors=True)
    if reason == "interrupted":
        state.status, state.end_reason = "interrupted", reason
        state.save(run_dir)
        store.update_run(run_id, status="interrupted", end_reason=reason)
        recorder.emit(ev.RunEnd(reason=reason, status="interrupted", elapsed=budget.elapsed()))
        recorder.close()
        return state
    return _finish(segment, store, reason)


def _finish(segment: Segment_, store: Store, reason: str) -> RunState:
    state, service, recorder = segment.state, segment.service, segment.recorder
    service.settle(SETTLE_SECONDS)
    chosen = service.chosen()
    if chosen is None:
        final = FinalResult(submission_id=None, valid=False, error="no valid submission")
    else:
        result = service.grader.grade(service.ledger.file_path(chosen), "private")
        medals = result.medals
        final = FinalResult(
            submission_id=chosen.submission_id,
            valid=result.valid,
            score=result.score,
            medal=medals.medal if medals else None,
            any_medal=bool(medals and medals.any_medal),
            above_median=bool(medals and medals.above_median),
            error=result.error,
        )
    recorder.emit(
        ev.FinalGrade(
            submission_id=final.submission_id,
            valid=final.valid,
            score=final.score,
            medal=final.medal,
            error=final.error,
        )
    )
    status = "sandbox_error" if reason == "sandbox_error" else "finished"
    state.status, state.end_reason, state.final = status, reason, final
    state.save(segment.run_dir)
    recorder.emit(ev.RunEnd(reason=reason, status=status, elapsed=segment.budget.elapsed()))
    metric = segment.prepared.task.spec.metric
    try:
        report_run(
            segment.run_dir,
            MetricInfo(name=metric.name, higher_is_better=metric.higher_is_better),
            segment.prepared.task.family,
        )
    except Exception:  # the run's result stands; `ascent report RUN` writes the report again
        log.exception("the report of %s could not be written", state.run_id)
    store.update_run(
        state.run_id,
        status=status,
        end_reason=reason,
        ended_at=now_iso(),
        final_score=final.score,
        final_split="private",
        medal=final.medal,
    )
    recorder.close()
    return state


def _start_server(
    service: GradingService, state: RunState, sock_dir: Path, kind: str
) -> ServerThread:
    app = create_app(service, state.token)
    if kind == "bwrap":
        return ServerThread(app, uds=str(sock_dir / "grading.sock")).start()
    return ServerThread(app).start()


def _start_agent(segment: Segment_, plan: LaunchPlan, url: str, resumed: bool):
    state, ws = segment.state, segment.sandbox.workspace_path
    variables = {
        "task": segment.prepared.task,
        "workspace": ws,
        "budget_seconds": int(segment.budget.remaining_seconds()),
        "max_submissions": segment.budget.remaining_submissions(),
    }
    base = {
        "ASCENT_TASK": state.options.task_id,
        "WORKSPACE": ws,
        "DATA_PATH": f"{ws}/public",
        "OUTPUT_DIR": f"{ws}/output",
        "BASE_MODEL": f"{ws}/base_model" if segment.prepared.task.spec.base_model else "",
        "GRADING_SERVER_URL": url,
        "ASCENT_TOKEN": state.token,
        "ASCENT_DEADLINE": f"{segment.budget.deadline_unix():.0f}",
        "ASCENT_RESUMED": "1" if resumed else "0",
        "HOME": f"{ws}/.home",
        "LANG": "C.UTF-8",
        "PYTHONUNBUFFERED": "1",
        "MPLBACKEND": "Agg",
        "OMP_NUM_THREADS": str(state.limits.cpus),
    }
    prompt = render_prompt(plan, variables)
    if prompt is not None:
        (segment.workspace / ".home" / "prompt.md").write_text(prompt)
        base["ASCENT_PROMPT_FILE"] = f"{ws}/.home/prompt.md"
    command, argv = agent_command(plan)
    process = segment.sandbox.start(
        argv, env=agent_env(plan, base), log_path=segment.run_dir / "agent.log"
    )
    segment.recorder.emit(
        ev.AgentStep(
            step=0, action="agent_start", detail={"argv": command, "network": plan.network}
        )
    )
    return process


def _max_submission_bytes(task) -> int:
    if task.spec.mle is not None:
        return int(task.spec.mle.max_submission_mb * 2**20)
    if task.family == "ft":
        return task.ft_spec().max_model_mb * 2**20
    return 2048 * 2**20


def _base_model_mounts(task, kind: str, workspace: Path, paths: Paths) -> list[Mount]:
    """The task's base model, read-only at `base_model/` in the workspace."""
    if not task.spec.base_model:
        return []
    source = ensure_base_model(task.spec.base_model, paths)
    link = workspace / "base_model"
    if kind == "bwrap":
        link.mkdir(exist_ok=True)  # the mount point
        return [Mount(source=source, target="/workspace/base_model")]
    if not link.is_symlink() and not link.exists():
        link.symlink_to(source, target_is_directory=True)
    return []


def _start_builtin(segment: Segment_, agent: AgentEntry, resumed: bool, url: str) -> AgentThread:
    """A built-in agent thinks in a thread here; its solutions run in the sandbox, where they
    may call the grading API at `url` (RL scripts ask the judge and play the environment)."""
    state, ws = segment.state, segment.sandbox.workspace_path
    options = state.options
    driver = make_driver(options.driver or "heuristic", **_driver_options(options))
    driver.emit = segment.recorder.emit
    env = {
        "WORKSPACE": ws,
        "DATA_PATH": f"{ws}/public",
        "OUTPUT_DIR": f"{ws}/output",
        "BASE_MODEL": f"{ws}/base_model" if segment.prepared.task.spec.base_model else "",
        "GRADING_SERVER_URL": url,
        "ASCENT_TOKEN": state.token,
        "HOME": f"{ws}/.home",
        "PATH": f"{Path(sys.executable).parent}:/usr/local/bin:/usr/bin:/bin",
        "LANG": "C.UTF-8",
        "PYTHONUNBUFFERED": "1",
        "MPLBACKEND": "Agg",
        "OMP_NUM_THREADS": "1",
    }
    ctx = make_context(
        agent_name=agent.name,
        workspace=segment.workspace,
        inside_root=ws,
        sandbox=segment.sandbox,
        service=segment.service,
        recorder=segment.recorder,
        driver=driver,
        env=env,
        run_dir=segment.run_dir,
        seed=options.seed,
        options=options.agent_options,
        description=segment.prepared.task.description(),
    )
    instance = BUILTIN_AGENTS[agent.name](**options.agent_options)
    segment.recorder.emit(
        ev.AgentStep(
            step=0,
            action="agent_start",
            detail={
                "agent": agent.name,
                "options": options.agent_options,
                **driver.describe(),
                "resumed": resumed,
            },
        )
    )
    return AgentThread(instance, ctx, segment.sandbox, segment.recorder)


def _driver_options(options: RunOptions) -> dict:
    """Options of the run's driver; for a replay that falls back to (and records) another
    driver, the run's seed and model go to that one."""
    chosen = dict(options.driver_options)
    name = options.driver or "heuristic"
    inner = chosen
    if name == "replay" and isinstance(chosen.get("fallback"), str):
        name = chosen["fallback"]
        inner = chosen["fallback_options"] = dict(chosen.get("fallback_options") or {})
    if name == "heuristic":
        inner.setdefault("seed", options.seed)
    else:
        inner.pop("quality", None)  # a knob of the heuristic driver only
    if name == "llm" and options.model:
        inner.setdefault("model", options.model)
    return chosen


def _snapshot_on_submission(segment: Segment_, event: ev.Event) -> None:
    if event.kind == "submission" and event.duplicate_of is None:  # type: ignore[union-attr]
        _emit_snapshot(segment, f"submission {event.submission_id}")  # type: ignore[union-attr]


def _emit_snapshot(segment: Segment_, reason: str) -> None:
    try:
        snap = segment.snapshotter.snapshot(reason)
    except Exception as exc:  # snapshots must never break a run
        log.warning("code snapshot failed: %s", exc)
        return
    if snap is not None and snap.changed:
        segment.recorder.emit(
            ev.CodeSnapshot(
                commit=snap.commit, reason=reason, files=snap.files, changed=snap.changed
            )
        )
