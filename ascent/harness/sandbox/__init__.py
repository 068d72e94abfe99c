"""Sandboxes for agent code: `bwrap` (isolated, the default where it works) and `process`."""

from __future__ import annotations

import logging
from typing import Literal

from ascent.errors import SandboxError
from ascent.harness.sandbox.base import ExecResult, Limits, Mount, Sandbox, SandboxSpec, sanitize
from ascent.harness.sandbox.bwrap import BwrapSandbox, bwrap_path
from ascent.harness.sandbox.process import ProcessSandbox

log = logging.getLogger(__name__)

SandboxKind = Literal["auto", "bwrap", "process"]
BACKENDS: dict[str, type[Sandbox]] = {"bwrap": BwrapSandbox, "process": ProcessSandbox}


def resolve_kind(kind: SandboxKind) -> str:
    """`auto` means bwrap where it works here, else the (not isolated) process backend."""
    if kind == "auto":
        return "bwrap" if bwrap_path() else "process"
    if kind not in BACKENDS:
        raise SandboxError(f"unknown sandbox '{kind}'", hint="use auto, bwrap or process")
    return kind


def make_sandbox(kind: SandboxKind, spec: SandboxSpec) -> Sandbox:
    return BACKENDS[resolve_kind(kind)](spec)


__all__ = [
    "BACKENDS",
    "ExecResult",
    "Limits",
    "Mount",
    "Sandbox",
    "SandboxKind",
    "SandboxSpec",
    "make_sandbox",
    "resolve_kind",
    "sanitize",
]
