"""Running untrusted Python against unit tests, never in the grader's own process.

`run_tests(code, tests, timeout)` returns the fraction of the tests' checks that pass;
`run_tests_report(...)` returns the details (`TestReport`). Neither raises because of the code
under test: code that does not compile, loops, forks, floods its output or kills itself scores
what it passed before.

**Reading the tests** (here, with `ast`: tests are trusted task data):

- each top-level statement of `tests` that contains an `assert` is one *check*; other
  statements (imports, helper definitions, assignments) run in order and are not counted;
- HumanEval-style tests (`def check(candidate): ...`, with `entry_point` given): the statements
  of check's body are the checks, `candidate` bound to the entry point; the other top-level
  statements (METADATA, imports) run first;
- `assert EXPR == LITERAL` (or `LITERAL == EXPR`) is a *value check*: only EXPR goes to the
  child, which sends back the value as plain data (exact built-in types only); the comparison
  with LITERAL happens here, with Python's `==` (floats within a relative 1e-9). The code under
  test never sees the expected value, and an object that claims to equal everything is not
  plain data: it fails;
- any other check (a loop, `assert abs(f(x) - y) < 1e-6`, `assert not f(x)`...) runs in the
  child, which reports whether it raised. That report comes from a process the code under test
  controls, so it is best-effort: reports are read in order (after the set-up report, only the
  first report for the next step counts), so code can forge at most the report of the step
  running at that moment — for an exec check, a pass it did not earn. Graders that need more
  use value checks: forging one of those means sending the right value.

**Where the code runs.** With bubblewrap (`bwrap_path()` finds one that works): as user nobody in
new user, pid, network, IPC and UTS namespaces with no capabilities and no network; a read-only
`/usr` and Python installation, a 64 MB tmpfs at `/sandbox` (the working folder) and `/tmp` as
the only writable places, nothing of the host's home, project or task folders. Without it: a
plain subprocess in a fresh temporary folder, **not isolated** (it can read and write what the
grader's user can). Both: started through the sandbox launcher (own session, dies with the
grader), a wall-clock kill of the whole process group at `timeout` (+ start-up slack) and each
check's alarm at the same deadline, RLIMIT_AS, RLIMIT_CPU, RLIMIT_FSIZE (8 MB a file), RLIMIT_NOFILE,
no core files, a pids/memory control group where cgroups are writable (else RLIMIT_NPROC, which
root ignores). Prints of the code go to /dev/null; the results channel is capped like any file.
"""

from __future__ import annotations

import ast
import contextlib
import json
import math
import os
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from ascent.errors import SandboxError
from ascent.harness.sandbox.base import LAUNCHER, kill_tree, sanitize
from ascent.harness.sandbox.bwrap import bwrap_path, python_roots
from ascent.harness.sandbox.cgroups import CgroupSet

Backend = Literal["auto", "bwrap", "process"]
CheckKind = Literal["value", "exec", "stmt"]

MEMORY_MB = 1024
FILE_LIMIT_BYTES = 8 * 1024 * 1024
MAX_PROCESSES = 16
START_SLACK_SECONDS = 3.0
MAX_VALUE_NODES = 200_000
TMPFS_BYTES = 64 * 1024 * 1024
_SYSTEM_LINKS = {"/bin": "usr/bin", "/lib": "usr/lib", "/lib64": "usr/lib64", "/sbin": "usr/sbin"}


@dataclass(frozen=True)
class Check:
    """One step of a test program: `value` and `exec` checks count, `stmt` steps do not."""

    kind: CheckKind
    source: str
    expected: Any = None

    @property
    def counted(self) -> bool:
        return self.kind != "stmt"


@dataclass
class TestReport:
    passed: int
    total: int
    backend: str
    seconds: float
    timed_out: bool = False
    setup_error: str | None = None
    results: list[bool] = field(default_factory=list)
    stderr_tail: str = ""

    @property
    def fraction(self) -> float:
        return self.passed / self.total if self.total else 0.0


# ---------------------------------------------------------------------------------------------
# Tests -> checks


def parse_tests(tests: str, entry_point: str | None = None) -> list[Check]:
    """The steps of a test program, in order (see the module docstring). Raises ValueError for
    tests that are not valid Python: those are the task's fault, not the code's."""
    try:
        module = ast.parse(tests)
    except SyntaxError as exc:
        raise ValueError(f"the tests are not valid Python: {exc}") from exc
    body = list(module.body)
    check_fn = next((s for s in body if isinstance(s, ast.FunctionDef) and s.name == "check"), None)
    steps: list[Check] = []
    if check_fn is not None and entry_point:
        for stmt in body:
            if stmt is check_fn or _calls_check(stmt):
                continue
            steps.append(Check("stmt", ast.unparse(stmt)))
        arg = check_fn.args.args[0].arg if check_fn.args.args else "candidate"
        steps.append(Check("stmt", f"{arg} = {entry_point}"))
        body = list(check_fn.body)
    for stmt in body:
        steps.append(_step(stmt))
    if not any(s.counted for s in steps):
        program = tests if check_fn is None or not entry_point else f"{tests}\ncheck({entry_point})"
        return [Check("exec", program)]
    return steps


def _calls_check(stmt: ast.stmt) -> bool:
    return (
        isinstance(stmt, ast.Expr)
        and isinstance(stmt.value, ast.Call)
        and isinstance(stmt.value.func, ast.Name)
        and stmt.value.func.id == "check"
    )


def _step(stmt: ast.stmt) -> Check:
    if not any(isinstance(node, ast.Assert) for node in ast.walk(stmt)):
        return Check("stmt", ast.unparse(stmt))
    test = stmt.test if isinstance(stmt, ast.Assert) else None
    if isinstance(test, ast.Compare) and len(test.ops) == 1 and isinstance(test.ops[0], ast.Eq):
        left, right = test.left, test.comparators[0]
        for expr, literal in ((left, right), (right, left)):
            try:
                expected = ast.literal_eval(literal)
            except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
                continue
            if _is_literal(expr):
                continue
            return Check("value", ast.unparse(expr), expected)
    return Check("exec", ast.unparse(stmt))


def _is_literal(node: ast.expr) -> bool:
    try:
        ast.literal_eval(node)
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        return False
    return True


# ---------------------------------------------------------------------------------------------
# The child: a standard-library script, run with `python -I -S`

_CHILD = r"""
import json, os, signal, sys, time


class _Timeout(BaseException):
    pass


class _TooLarge(Exception):
    pass


def _encode(value, budget):
    stack = [0]

    def enc(v, depth):
        stack[0] += 1
        if stack[0] > budget or depth > 60:
            raise _TooLarge()
        t = type(v)
        if v is None:
            return ["none"]
        if t is bool:
            return ["bool", v]
        if t is int:
            return ["int", str(v)]
        if t is float:
            return ["float", repr(v)]
        if t is complex:
            return ["complex", repr(v)]
        if t is str:
            return ["str", v]
        if t is bytes:
            return ["bytes", v.hex()]
        if t is list or t is tuple or t is set or t is frozenset:
            return [t.__name__, [enc(x, depth + 1) for x in v]]
        if t is dict:
            return ["dict", [[enc(k, depth + 1), enc(x, depth + 1)] for k, x in v.items()]]
        return ["opaque"]

    return enc(value, 0)


def main():
    started = time.monotonic()
    with open(sys.argv[1], encoding="utf-8") as fh:
        payload = json.load(fh)
    deadline = started + float(payload["seconds"])
    budget = int(payload["max_nodes"])
    out = os.fdopen(os.dup(1), "w", encoding="utf-8")
    null = os.open(os.devnull, os.O_RDWR)
    os.dup2(null, 0)
    os.dup2(null, 1)
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    dumps, itimer, monotonic, exit_now = json.dumps, signal.setitimer, time.monotonic, os._exit

    def on_alarm(signum, frame):
        raise _Timeout()

    signal.signal(signal.SIGALRM, on_alarm)

    def emit(record):
        try:
            out.write(dumps(record) + "\n")
            out.flush()
        except Exception:
            pass

    def arm():
        left = deadline - monotonic()
        if left <= 0:
            raise _Timeout()
        itimer(signal.ITIMER_REAL, left)

    def disarm():
        itimer(signal.ITIMER_REAL, 0)

    namespace = {"__name__": "__solution__"}
    try:
        arm()
        exec(compile(payload["code"], "solution.py", "exec"), namespace)
        disarm()
    except BaseException as exc:
        disarm()
        emit({"setup": "error", "error": type(exc).__name__})
        exit_now(0)
    emit({"setup": "ok"})
    for i, check in enumerate(payload["checks"]):
        try:
            arm()
            if check["kind"] == "value":
                value = eval(compile(check["source"], "<check %d>" % i, "eval"), namespace)
                encoded = _encode(value, budget)
                disarm()
                emit({"i": i, "value": encoded})
            else:
                exec(compile(check["source"], "<check %d>" % i, "exec"), namespace)
                disarm()
                emit({"i": i, "ok": True})
        except BaseException as exc:
            disarm()
            emit({"i": i, "ok": False, "error": type(exc).__name__})
    emit({"done": True})
    exit_now(0)


main()
"""


# ---------------------------------------------------------------------------------------------
# Running


def backend_name(sandbox: Backend = "auto") -> str:
    """The backend `run_tests` would use: `bwrap` where it works here, else `process`."""
    if sandbox == "process":
        return "process"
    if bwrap_path() is not None:
        return "bwrap"
    if sandbox == "bwrap":
        raise SandboxError(
            "bubblewrap (bwrap) is not installed or cannot create namespaces here",
            hint="apt-get install -y bubblewrap, or use sandbox='process' (not isolated)",
        )
    return "process"


def run_tests(
    code: str,
    tests: str,
    timeout: float = 5.0,
    *,
    entry_point: str | None = None,
    sandbox: Backend = "auto",
) -> float:
    """Fraction of the checks of `tests` that `code` passes, in [0, 1]."""
    return run_tests_report(code, tests, timeout, entry_point=entry_point, sandbox=sandbox).fraction


def run_tests_report(
    code: str,
    tests: str,
    timeout: float = 5.0,
    *,
    entry_point: str | None = None,
    sandbox: Backend = "auto",
    memory_mb: int = MEMORY_MB,
) -> TestReport:
    checks = parse_tests(tests, entry_point)
    counted = [i for i, c in enumerate(checks) if c.counted]
    backend = backend_name(sandbox)
    started = time.monotonic()
    if not isinstance(code, str) or not code.strip():
        return TestReport(0, len(counted), backend, 0.0, setup_error="no code")
    try:  # compiling runs nothing: code that cannot compile costs no sandbox start
        compile(code, "solution.py", "exec", dont_inherit=True)
    except (SyntaxError, ValueError, RecursionError, MemoryError) as exc:
        return TestReport(0, len(counted), backend, 0.0, setup_error=type(exc).__name__)
    root = Path(tempfile.mkdtemp(prefix="ascent-codeexec-"))
    cgroup = CgroupSet.create(f"codeexec-{os.getpid()}-{uuid.uuid4().hex[:12]}")
    timed_out = False
    try:
        harness, work = root / "harness", root / "work"
        harness.mkdir()
        work.mkdir()
        (harness / "harness.py").write_text(_CHILD, encoding="utf-8")
        payload = {
            "code": code,
            "seconds": float(timeout),
            "max_nodes": MAX_VALUE_NODES,
            "checks": [{"kind": c.kind, "source": c.source} for c in checks],
        }
        (harness / "payload.json").write_text(json.dumps(payload), encoding="utf-8")
        for path in (root, harness, harness / "harness.py", harness / "payload.json"):
            path.chmod(0o755 if path.is_dir() else 0o644)
        work.chmod(0o777)
        if cgroup is not None:
            cgroup.limit(memory_mb=memory_mb, pids=MAX_PROCESSES, cpus=1)
        argv = _argv(backend, harness, work)
        config = {
            "argv": argv,
            "rlimits": _rlimits(timeout, memory_mb, cgroup is not None),
            "cgroup_procs": cgroup.procs_files() if cgroup is not None else [],
            "cpus": 1,
            "die_with_parent": True,
            "parent_pid": os.getpid(),
        }
        env = {"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8", "PYTHONDONTWRITEBYTECODE": "1"}
        with (root / "out").open("wb") as out, (root / "err").open("wb") as err:
            popen = subprocess.Popen(
                [sys.executable, "-I", "-S", str(LAUNCHER), json.dumps(config)],
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=err,
                env=env,
                cwd=str(work),
                close_fds=True,
            )
            try:
                popen.wait(timeout + START_SLACK_SECONDS)
            except subprocess.TimeoutExpired:
                timed_out = True
            kill_tree(popen.pid, cgroup)  # the whole group: leftovers included
            with contextlib.suppress(subprocess.TimeoutExpired):
                popen.wait(5)
        records = _records(root / "out")
        stderr_tail = sanitize(_tail(root / "err", 1500))
    finally:
        if cgroup is not None:
            cgroup.kill()
            cgroup.remove()
        shutil.rmtree(root, ignore_errors=True)
    return _report(
        checks, counted, records, backend, time.monotonic() - started, timed_out, stderr_tail
    )


def _argv(backend: str, harness: Path, work: Path) -> list[str]:
    python = sys.executable
    if backend == "process":
        return [python, "-I", "-S", str(harness / "harness.py"), str(harness / "payload.json")]
    exe = bwrap_path()
    assert exe is not None
    args = [
        exe,
        "--die-with-parent",
        "--new-session",
        "--unshare-user",
        "--uid",
        "65534",
        "--gid",
        "65534",
        "--unshare-pid",
        "--unshare-net",
        "--unshare-ipc",
        "--unshare-uts",
        "--unshare-cgroup-try",
        "--cap-drop",
        "ALL",
        "--hostname",
        "sandbox",
        "--ro-bind",
        "/usr",
        "/usr",
    ]
    for link, target in _SYSTEM_LINKS.items():
        if Path(link).is_symlink():
            args += ["--symlink", target, link]
        elif Path(link).is_dir():
            args += ["--ro-bind", link, link]
    args += ["--ro-bind-try", "/etc/ld.so.cache", "/etc/ld.so.cache"]
    args += ["--proc", "/proc", "--dev", "/dev"]
    args += ["--size", str(TMPFS_BYTES), "--tmpfs", "/tmp"]
    args += ["--size", str(TMPFS_BYTES), "--tmpfs", "/sandbox"]
    for root in python_roots():  # after /tmp: an environment under /tmp stays visible
        args += ["--ro-bind", str(root), str(root)]
    args += ["--ro-bind", str(harness), "/harness", "--chdir", "/sandbox", "--clearenv"]
    args += ["--setenv", "PATH", "/usr/bin:/bin", "--setenv", "HOME", "/sandbox"]
    args += ["--setenv", "LANG", "C.UTF-8"]
    return [*args, "--", python, "-I", "-S", "/harness/harness.py", "/harness/payload.json"]


def _rlimits(timeout: float, memory_mb: int, cgroup: bool) -> dict[str, tuple[int, int]]:
    cpu = math.ceil(timeout) + 2
    limits = {
        "RLIMIT_AS": (memory_mb * 2**20, memory_mb * 2**20),
        "RLIMIT_CPU": (cpu, cpu + 1),
        "RLIMIT_FSIZE": (FILE_LIMIT_BYTES, FILE_LIMIT_BYTES),
        "RLIMIT_NOFILE": (64, 64),
        "RLIMIT_CORE": (0, 0),
    }
    if not cgroup and os.getuid() != 0:
        running = _user_processes()
        limits["RLIMIT_NPROC"] = (running + MAX_PROCESSES, running + MAX_PROCESSES)
    return limits


def _user_processes() -> int:
    try:
        import psutil

        uid = os.getuid()
        return sum(1 for p in psutil.process_iter(["uids"]) if p.info["uids"].real == uid)
    except Exception:
        return 256


def _records(path: Path) -> list[dict]:
    records = []
    try:
        with path.open("rb") as fh:
            data = fh.read(FILE_LIMIT_BYTES + 1)
    except OSError:
        return records
    for line in data.splitlines():
        try:
            record = json.loads(line)
        except (ValueError, RecursionError):
            continue
        if isinstance(record, dict):
            records.append(record)
    return records


def _tail(path: Path, n: int) -> str:
    try:
        with path.open("rb") as fh:
            fh.seek(max(0, path.stat().st_size - n))
            return fh.read(n).decode("utf-8", "replace")
    except OSError:
        return ""


def _report(
    checks: list[Check],
    counted: list[int],
    records: list[dict],
    backend: str,
    seconds: float,
    timed_out: bool,
    stderr_tail: str,
) -> TestReport:
    setup_error = None
    last: dict[int, dict] = {}
    started, step = False, 0
    for record in records:
        if not started:
            if record.get("setup") == "error":
                setup_error = str(record.get("error", "error"))[:100]
                break
            started = record.get("setup") == "ok"
            continue
        # In order only: a report for a step other than the next one is forged, or a repeat.
        if record.get("i") == step and step < len(checks):
            last[step] = record
            step += 1
    if not records:
        setup_error = "timeout" if timed_out else "the test process produced no result"
    results = [_passed(checks[i], last.get(i)) for i in counted]
    return TestReport(
        passed=sum(results),
        total=len(counted),
        backend=backend,
        seconds=round(seconds, 3),
        timed_out=timed_out,
        setup_error=setup_error,
        results=results,
        stderr_tail=stderr_tail,
    )


def _passed(check: Check, record: dict | None) -> bool:
    if record is None:
        return False
    if check.kind == "exec":
        return record.get("ok") is True
    if "value" not in record:
        return False
    try:
        return same(decode(record["value"]), check.expected)
    except Exception:
        return False


# ---------------------------------------------------------------------------------------------
# Values sent back by the child: decoded into plain built-ins, compared here


class Opaque:
    """A value that was not plain data (or too large): equal to nothing."""

    def __eq__(self, other: object) -> bool:
        return False

    __hash__ = object.__hash__


def decode(node: Any) -> Any:
    if not isinstance(node, list) or not node or not isinstance(node[0], str):
        return Opaque()
    tag, rest = node[0], node[1:]
    if tag == "none":
        return None
    if tag == "bool":
        return bool(rest[0])
    if tag == "int":
        return int(rest[0])
    if tag == "float":
        return float(rest[0])
    if tag == "complex":
        return complex(rest[0])
    if tag == "str":
        return str(rest[0])
    if tag == "bytes":
        return bytes.fromhex(rest[0])
    if tag in ("list", "tuple", "set", "frozenset"):
        items = [decode(x) for x in rest[0]]
        if tag == "list":
            return items
        if tag == "tuple":
            return tuple(items)
        return set(items) if tag == "set" else frozenset(items)
    if tag == "dict":
        return {decode(k): decode(v) for k, v in rest[0]}
    return Opaque()


def same(a: Any, b: Any) -> bool:
    """Python's `==` on plain data, with floats equal within a relative 1e-9."""
    if isinstance(a, Opaque) or isinstance(b, Opaque):
        return False
    numbers = (int, float)
    if isinstance(a, numbers) and isinstance(b, numbers):
        if isinstance(a, float) or isinstance(b, float):
            return a == b or math.isclose(a, b, rel_tol=1e-9, abs_tol=0.0)
        return a == b
    if isinstance(a, list | tuple) and isinstance(b, list | tuple):
        return type(a) is type(b) and len(a) == len(b) and all(map(same, a, b))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    return bool(a == b)
