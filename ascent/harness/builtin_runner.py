"""Running a built-in (Python) agent for one segment of a run: it thinks in a thread of the
harness and runs its solutions in the sandbox. Looks like a sandbox process to the monitor."""

from __future__ import annotations

import re
import threading
import time
import traceback
from pathlib import Path
from typing import Any

import yaml

from ascent.agents.core import Agent, AgentContext, SubmitResult
from ascent.drivers.base import Driver
from ascent.errors import AgentError
from ascent.harness.grading.service import GradingService, Refused
from ascent.harness.sandbox import ExecResult, Sandbox
from ascent.record import events as ev
from ascent.record.recorder import Recorder
from ascent.tasks.skills import skills_for


def instruction_facts(workspace: Path) -> dict[str, Any]:
    """The machine-readable task facts of the workspace's INSTRUCTIONS.md."""
    text = (workspace / "INSTRUCTIONS.md").read_text()
    block = re.search(r"```yaml\n(.*?)```", text, re.S)
    if block is None:
        raise AgentError("INSTRUCTIONS.md has no task facts block")
    return yaml.safe_load(block.group(1))


class AgentThread:
    def __init__(
        self, agent: Agent, ctx: AgentContext, sandbox: Sandbox, recorder: Recorder
    ) -> None:
        self.agent, self.ctx, self.sandbox, self.recorder = agent, ctx, sandbox, recorder
        self.argv = [f"builtin:{agent.name}"]
        self.killed_reason: str | None = None
        self.error: str | None = None
        self._started = time.monotonic()
        self._thread = threading.Thread(target=self._main, name=f"agent-{agent.name}", daemon=True)
        self._thread.start()

    def _main(self) -> None:
        try:
            self.agent.run(self.ctx)
        except Exception as exc:  # the agent's own failure is a result, recorded
            self.error = "".join(traceback.format_exception(exc))[-3000:]
            self.recorder.emit(ev.ErrorEvent(error_kind="agent_error", message=self.error))

    def poll(self) -> int | None:
        if self._thread.is_alive():
            return None
        return 1 if self.error else 0

    def wait(self, timeout: float | None = None) -> int | None:
        self._thread.join(timeout)
        return self.poll()

    def kill(self, reason: str) -> None:
        self.killed_reason = self.killed_reason or reason
        self.ctx.stop.set()
        self.sandbox.kill_all(reason)
        self._thread.join(10)

    def result(self) -> ExecResult:
        return ExecResult(
            argv=self.argv,
            exit_code=self.poll(),
            seconds=round(time.monotonic() - self._started, 3),
            killed_reason=self.killed_reason,
            output_tail=(self.error or "")[-2000:],
        )


def make_context(
    *,
    agent_name: str,
    workspace: Path,
    inside_root: str,
    sandbox: Sandbox,
    service: GradingService,
    recorder: Recorder,
    driver: Driver,
    env: dict[str, str],
    run_dir: Path,
    seed: int,
    options: dict[str, Any],
    description: str,
) -> AgentContext:
    facts = instruction_facts(workspace)
    skills = skills_for(str(facts.get("family")))
    brief = skills.brief(workspace, facts, description)
    log_path = run_dir / "agent.log"

    def run_in_sandbox(argv: list[str], timeout: float) -> ExecResult:
        result = sandbox.run(argv, timeout=timeout, env=env, log_path=log_path)
        recorder.emit(
            ev.Command(
                argv=[a.replace(inside_root, "$WORKSPACE") for a in argv],
                exit_code=result.exit_code,
                seconds=result.seconds,
                output_tail=result.output_tail[-1500:],
                timed_out=result.timed_out,
                killed_reason=result.killed_reason,
            )
        )
        return result

    def submit_file(path: str) -> SubmitResult:
        try:
            response = service.submit_path(path)
        except Refused as exc:
            return SubmitResult(
                None, False, None, exc.reason, service.budget.remaining_submissions()
            )
        return SubmitResult(
            response.submission_id,
            response.valid,
            response.score,
            response.error,
            response.remaining.submissions,
            response.details,
        )

    def select(submission_id: str) -> None:
        try:
            service.select(submission_id)
        except Refused as exc:
            recorder.emit(ev.ErrorEvent(error_kind="select", message=exc.reason))

    return AgentContext(
        brief=brief,
        skills=skills,
        driver=driver,
        workspace=workspace,
        inside_root=inside_root,
        run_in_sandbox=run_in_sandbox,
        submit_file=submit_file,
        select_submission=select,
        remaining_seconds=service.budget.remaining_seconds,
        remaining_submissions=service.budget.remaining_submissions,
        emit=recorder.emit,
        journal_path=run_dir / "agent_journal.json",
        seed=seed,
        options=options,
    )
