"""Laying out a run's workspace is all or nothing, so a resume never meets a half-made one."""

from __future__ import annotations

import pytest

import ascent.harness.workspace as workspace_module
from ascent.harness.sandbox import Limits
from ascent.harness.workspace import WorkspaceFacts, lay_out


def _facts(run_dir) -> WorkspaceFacts:
    return WorkspaceFacts(
        workspace=str(run_dir / "workspace"),
        budget_seconds=600,
        max_submissions=5,
        limits=Limits(),
        network="none",
    )


def test_a_failed_lay_out_leaves_no_workspace_and_the_next_one_is_complete(
    prepared, tmp_path, monkeypatch
):
    task = prepared("penguin-species")

    def broken(*args, **kwargs):
        raise RuntimeError("template error")

    with monkeypatch.context() as patch:
        patch.setattr(workspace_module, "render_instructions", broken)
        with pytest.raises(RuntimeError):
            lay_out(tmp_path, task, _facts(tmp_path))
    assert not (tmp_path / "workspace").exists()

    workspace = lay_out(tmp_path, task, _facts(tmp_path))
    assert (workspace / "INSTRUCTIONS.md").read_text().strip()
    assert (workspace / "submit").stat().st_mode & 0o111
    assert sorted(p.name for p in (workspace / "public").iterdir()) == sorted(
        p.name for p in task.public.iterdir()
    )
    assert not (tmp_path / "workspace.partial").exists()
