"""Creating a sweep and running its cells through an executor, with retries, resume and a
clean cancel.

A cell is done when its run has ended (finished, failed or sandbox_error), whatever the agent
achieved: the agent's own failure is a result. When the process of a cell, its Ray worker or its
node is lost and the run has not ended, that is an infrastructure failure: the same run is
resumed (events and submissions kept, budget honoured), up to `retries` times per invocation,
and counted on the cell. `resume` runs every cell that is not done; Ctrl-C interrupts the running
cells (their runs stay resumable) and saves the sweep.
"""

from __future__ import annotations

import logging
import os
import time
from collections import deque
from collections.abc import Callable
from pathlib import Path

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from ascent.agents.registry import AgentRegistry
from ascent.config import Paths
from ascent.errors import AscentError
from ascent.execution.base import CellJob, CellOutcome, Executor
from ascent.execution.indexing import index_run
from ascent.execution.spec import SweepSpec
from ascent.execution.state import (
    Attempt,
    CellState,
    SweepFolder,
    SweepState,
    new_state,
    new_sweep_id,
    now_iso,
)
from ascent.harness.lifecycle import ENDED, create_run
from ascent.harness.runstate import load_state
from ascent.store import Store
from ascent.tasks.registry import Registry

log = logging.getLogger(__name__)

CANCEL_GRACE = 90.0


def create_sweep(paths: Paths, store: Store, spec: SweepSpec) -> SweepState:
    """Check every task and agent exists, then write the sweep folder and index it."""
    tasks = Registry([Path(p) for p in spec.task_dirs])
    for task_id in spec.tasks:
        tasks.get(task_id)
    agents = AgentRegistry([Path(p) for p in spec.agent_dirs])
    for variant in spec.agents:
        agents.get(variant.agent)
    state = new_state(spec, new_sweep_id(spec.name))
    folder = SweepFolder(paths, state.sweep_id)
    folder.create(state)
    store.upsert_sweep(state.record(folder.root))
    return state


def make_executor(
    name: str,
    paths: Paths,
    folder: SweepFolder,
    address: str | None = None,
    workers: int | None = None,
    artifacts: str = "auto",
) -> Executor:
    if name == "local":
        from ascent.execution.local import LocalExecutor

        if address:
            raise AscentError("--address applies to --executor ray only")
        return LocalExecutor(paths, workers=workers)
    if name == "ray":
        from ascent.execution.ray_executor import RayExecutor

        return RayExecutor(
            paths,
            folder.sweep_id,
            folder.nonce(),
            address=address,
            artifacts=artifacts,  # type: ignore[arg-type]
            num_cpus=workers,
        )
    raise AscentError(f"unknown executor '{name}'", hint="use local or ray")


class SweepRunner:
    def __init__(
        self,
        paths: Paths,
        store: Store,
        sweep_id: str,
        executor: Executor,
        console: Console | None = None,
        retries: int | None = None,
        on_submit: Callable[[CellState, int | None], None] | None = None,
    ) -> None:
        self.paths = paths
        self.store = store
        self.folder = SweepFolder(paths, sweep_id)
        self.executor = executor
        self.console = console or Console(stderr=True)
        self.retries = retries
        self.on_submit = on_submit
        self._session_retries: dict[str, int] = {}
        self._checked: set[tuple[int, int]] = set()

    # -- the whole sweep ------------------------------------------------------------------
    def run(self) -> SweepState:
        with self.folder.lock():
            state = self.folder.load()
            self._recover(state)
            state.status = "running"
            state.executor = self.executor.name
            state.address = getattr(self.executor, "address", None)
            self._save(state)
            retries = state.spec.retries if self.retries is None else self.retries
            try:
                self.executor.start()
                self._loop(state, retries)
            except KeyboardInterrupt:
                self._cancel(state)
            finally:
                try:
                    self.executor.close()
                finally:
                    self._settle_leftovers(state)
                    self._save(state)
            return state

    def _recover(self, state: SweepState) -> None:
        """Cells left running by a sweep process that died are run again; cells that failed
        in an earlier invocation get a fresh allowance of retries."""
        for cell in state.cells:
            if cell.status in ("running", "failed"):
                if cell.attempts and cell.attempts[-1].outcome is None:
                    cell.attempts[-1].outcome = "lost"
                    cell.attempts[-1].error = "the sweep process stopped while it ran"
                cell.status = "pending"
            if cell.status == "pending" and cell.run_id:
                run_state = self._run_state(cell.run_id)
                if run_state is not None and run_state.status in ENDED:
                    cell.status, cell.run_status = "done", run_state.status

    def _loop(self, state: SweepState, retries: int) -> None:
        pending = deque(c for c in state.cells if c.status == "pending")
        total = len(state.cells)
        with self._progress() as progress:
            bar = progress.add_task(
                f"sweep {state.sweep_id}", total=total, completed=state.counts()["done"], info=""
            )
            while pending or self.executor.in_flight():
                while pending:
                    job = self._job(state, pending[0])
                    if not self.executor.has_room(job):
                        break
                    self._submit(state, pending.popleft(), job)
                for outcome in self.executor.poll(0.5):
                    cell = self._settle(state, outcome, retries, progress.console)
                    if cell.status == "pending":
                        pending.append(cell)
                counts = state.counts()
                progress.update(
                    bar,
                    completed=counts["done"] + counts["failed"],
                    info=_info(counts, sum(c.retries for c in state.cells)),
                )
        counts = state.counts()
        state.status = "finished" if counts["done"] == total else "incomplete"

    def _progress(self) -> Progress:
        return Progress(
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.fields[info]}"),
            TimeElapsedColumn(),
            console=self.console,
            transient=False,
        )

    # -- one cell ---------------------------------------------------------------------------
    def _job(self, state: SweepState, cell: CellState) -> CellJob:
        if cell.run_id is None:
            cell.run_id = self._adopt(state, cell) or self._create(state, cell)
            self._save(state)
        run_state = load_state(self.paths.runs / cell.run_id)
        job = CellJob(
            key=cell.key,
            run_id=cell.run_id,
            attempt=len(cell.attempts) + 1,
            cpus=run_state.limits.cpus,
            memory_mb=run_state.limits.memory_mb,
            log_path=self.folder.logs / f"{_safe(cell.key)}.{len(cell.attempts) + 1}.log",
            env={k: os.environ[k] for k in state.spec.forward_env if k in os.environ},
        )
        shape = (job.cpus, job.memory_mb)
        if shape not in self._checked:
            self.executor.check(job)
            self._checked.add(shape)
        return job

    def _create(self, state: SweepState, cell: CellState) -> str:
        options = state.spec.run_options(cell.cell, state.sweep_id)
        return create_run(self.paths, self.store, options).run_id

    def _adopt(self, state: SweepState, cell: CellState) -> str | None:
        """A run created for this cell by a sweep process killed before it saved the mapping."""
        wanted = state.spec.run_options(cell.cell, state.sweep_id).model_dump()
        taken = {c.run_id for c in state.cells if c.run_id}
        for record in self.store.list_runs(sweep_id=state.sweep_id):
            if record.run_id in taken or record.config != wanted:
                continue
            if (Path(record.path) / "run.json").is_file():
                return record.run_id
        return None

    def _submit(self, state: SweepState, cell: CellState, job: CellJob) -> None:
        pid = self.executor.submit(job)
        cell.status = "running"
        cell.attempts.append(
            Attempt(
                number=job.attempt,
                executor=self.executor.name,
                started_at=now_iso(),
                log=str(job.log_path.relative_to(self.folder.root)),
                pid=pid,
            )
        )
        self._save(state)
        if self.on_submit is not None:
            self.on_submit(cell, pid)

    def _settle(
        self, state: SweepState, outcome: CellOutcome, retries: int, console: Console
    ) -> CellState:
        cell = state.cell(outcome.key)
        attempt = cell.attempts[-1]
        attempt.ended_at = now_iso()
        attempt.seconds = round(outcome.seconds, 3)
        attempt.node = outcome.node
        run_dir = self.paths.runs / outcome.run_id
        if outcome.bundle is not None:
            from ascent.execution.ray_executor import unpack

            unpack(outcome.bundle, self.paths.runs, outcome.run_id)
        run_state = None
        try:
            run_state = index_run(self.store, run_dir)
        except Exception as exc:  # the folder is the truth; a failed index is repaired later
            log.warning("could not index %s: %s", outcome.run_id, exc)
            run_state = self._run_state(outcome.run_id)
        cell.run_status = run_state.status if run_state else None
        if run_state is not None and run_state.status in ENDED:
            cell.status, attempt.outcome = "done", "ended"
            console.print(_done_line(cell, run_state), highlight=False)
        elif outcome.cancelled:
            cell.status, attempt.outcome = "pending", "cancelled"
            attempt.error = outcome.error or "cancelled"
        else:
            attempt.outcome = "infra"
            attempt.error = outcome.error or f"the run did not end ({cell.run_status})"
            used = self._session_retries.get(cell.key, 0)
            if used < retries:
                self._session_retries[cell.key] = used + 1
                cell.retries += 1
                cell.status = "pending"
                console.print(
                    f"[yellow]retry[/] {cell.key} ({used + 1}/{retries}): {attempt.error}",
                    highlight=False,
                )
            else:
                cell.status = "failed"
                console.print(f"[red]failed[/] {cell.key}: {attempt.error}", highlight=False)
        self._save(state)
        return cell

    # -- stopping -----------------------------------------------------------------------------
    def _cancel(self, state: SweepState) -> None:
        running = self.executor.in_flight()
        self.console.print(
            f"cancelling: stopping {running} running cell(s) cleanly (Ctrl-C again to kill)",
            highlight=False,
        )
        try:
            self.executor.cancel()
            deadline = time.monotonic() + CANCEL_GRACE
            while self.executor.in_flight() and time.monotonic() < deadline:
                for outcome in self.executor.poll(0.5):
                    outcome.cancelled = True
                    self._settle(state, outcome, 0, self.console)
        except KeyboardInterrupt:
            pass
        if self.executor.in_flight():
            self.executor.kill()
            deadline = time.monotonic() + 15
            while self.executor.in_flight() and time.monotonic() < deadline:
                for outcome in self.executor.poll(0.5):
                    outcome.cancelled = True
                    self._settle(state, outcome, 0, self.console)
        state.status = "cancelled"

    def _settle_leftovers(self, state: SweepState) -> None:
        for cell in state.cells:
            if cell.status == "running":
                cell.status = "pending"
                if cell.attempts and cell.attempts[-1].outcome is None:
                    cell.attempts[-1].outcome = "cancelled"
                    cell.attempts[-1].ended_at = now_iso()
        if state.status == "running":
            state.status = "cancelled"

    # -- helpers -------------------------------------------------------------------------------
    def _run_state(self, run_id: str):
        try:
            return load_state(self.paths.runs / run_id)
        except (AscentError, ValueError, OSError):
            return None

    def _save(self, state: SweepState) -> None:
        self.folder.save(state, self.store)


def _info(counts: dict[str, int], retries: int) -> str:
    parts = [f"running {counts['running']}"]
    if retries:
        parts.append(f"retried {retries}")
    if counts["failed"]:
        parts.append(f"[red]failed {counts['failed']}[/]")
    return " · ".join(parts)


def _done_line(cell: CellState, run_state) -> str:
    final = run_state.final
    if final is not None and final.valid and final.score is not None:
        result = f"private {final.score:.5g}" + (f" · {final.medal}" if final.medal else "")
    else:
        result = "no valid final submission"
    retried = f" · retried {cell.retries}" if cell.retries else ""
    return f"[green]done[/] {cell.key} {run_state.status} · {result}{retried}"


def _safe(key: str) -> str:
    return key.replace("/", "__")
