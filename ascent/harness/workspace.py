"""Laying out a run's workspace: public data, description, instructions, submit helper.

Every run gets a fresh folder: no files, `.git` history or caches of an earlier run. Private
data is never copied here; public data is copied (not linked), so nothing in the workspace
points back into the prepared task.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

import yaml
from jinja2 import Environment, FileSystemLoader, StrictUndefined

from ascent.errors import AscentError
from ascent.harness.sandbox import Limits
from ascent.tasks.prepare import PreparedTask
from ascent.tasks.rl.spec import load_judge_spec

TEMPLATES = Path(__file__).with_name("templates")
INSIDE = Path(__file__).with_name("inside")
FAMILY_NAMES = {
    "mle": "a machine-learning competition",
    "ft": "an LLM fine-tuning task",
    "rl": "an RL post-training task",
}


@dataclass(frozen=True)
class WorkspaceFacts:
    """What the instructions say about the run."""

    workspace: str
    budget_seconds: float
    max_submissions: int
    limits: Limits
    network: str


def lay_out(run_dir: Path, prepared: PreparedTask, facts: WorkspaceFacts) -> Path:
    workspace = run_dir / "workspace"
    if workspace.exists():
        raise AscentError(f"workspace {workspace} exists already; a run never reuses one")
    # Laid out beside its final place and renamed at the end: a lay-out that fails or is killed
    # halfway leaves no workspace, so a resume lays it out again instead of using a broken one.
    partial = run_dir / "workspace.partial"
    if partial.exists():
        shutil.rmtree(partial)
    partial.mkdir(parents=True)
    shutil.copytree(prepared.public, partial / "public", symlinks=False)
    (partial / "output").mkdir()
    (partial / ".home").mkdir()
    (partial / "description.md").write_text(prepared.task.description(), encoding="utf-8")
    (partial / "INSTRUCTIONS.md").write_text(render_instructions(prepared, facts), encoding="utf-8")
    submit = partial / "submit"
    shutil.copyfile(INSIDE / "submit.py", submit)
    submit.chmod(0o755)
    partial.rename(workspace)
    return workspace


def render_instructions(prepared: PreparedTask, facts: WorkspaceFacts) -> str:
    task = prepared.task
    submission = prepared.mle_spec if task.family == "mle" else None
    public_files = [
        {"name": p.relative_to(prepared.public).as_posix(), "size": _size(p.stat().st_size)}
        for p in sorted(prepared.public.rglob("*"))
        if p.is_file() and p.parent == prepared.public
    ]
    machine = {
        "task_id": task.id,
        "family": task.family,
        "metric": task.spec.metric.name,
        "higher_is_better": task.spec.metric.higher_is_better,
        "feedback": task.spec.feedback,
        "budget_seconds": int(facts.budget_seconds),
        "max_submissions": facts.max_submissions,
        "workspace": facts.workspace,
        "data_path": f"{facts.workspace}/public",
        "output_dir": f"{facts.workspace}/output",
    }
    if task.family == "ft" or (task.family == "rl" and (task.root / "ft.yaml").is_file()):
        ft = task.ft_spec()
        machine.update(
            {
                "base_model": f"{facts.workspace}/base_model",
                "base_model_name": task.spec.base_model,
                "prompt_template": ft.prompt_template,
                "answer_pattern": ft.answer_pattern,
                "max_new_tokens": ft.max_new_tokens,
                "categories": ft.categories,
            }
        )
    judge = load_judge_spec(task.root) if task.family == "rl" else None
    if judge is not None:
        machine.update({"judge_queries": judge.queries, "judge_max_batch": judge.max_batch})
    if submission is not None:
        machine.update(
            {
                "task_type": submission.task_type,
                "id_column": submission.id_column,
                "target_columns": submission.target_columns,
                "submission_columns": submission.submission_columns,
                "prediction": submission.prediction,
                "classes": submission.classes,
            }
        )
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        undefined=StrictUndefined,
        keep_trailing_newline=True,
        autoescape=False,
    )
    return env.get_template("INSTRUCTIONS.md.j2").render(
        task=task,
        family_name=FAMILY_NAMES[task.family],
        workspace=facts.workspace,
        public_files=public_files,
        base_model=task.spec.base_model,
        budget_seconds=facts.budget_seconds,
        max_submissions=facts.max_submissions,
        limits=facts.limits,
        feedback=task.spec.feedback,
        has_medals=task.leaderboard_path is not None,
        submission=submission,
        model_task=task.family in ("ft", "rl"),
        judge=judge,
        network=facts.network,
        facts=yaml.safe_dump(machine, sort_keys=False).strip(),
    )


def _size(n: int) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n} B"
