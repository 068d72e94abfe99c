"""Both sandbox backends: limits, deadlines that kill whole trees, output hygiene."""

import os
import subprocess
import time

import psutil
import pytest

from tests.dojo.conftest import PY, require_cgroups


def _count(marker: str) -> int:
    count = 0
    for p in psutil.process_iter(["cmdline"]):
        try:
            if marker in " ".join(p.info["cmdline"] or []):
                count += 1
        except psutil.Error:
            continue
    return count


def test_runs_in_the_workspace_with_a_clean_environment(make, monkeypatch):
    monkeypatch.setenv("ASCENT_TEST_SECRET", "do-not-leak-42")
    sandbox = make()
    result = sandbox.run(
        [
            PY,
            "-c",
            "import os,json; open('made.txt','w').write('x'); print(json.dumps(dict(os.environ)))",
        ],
        timeout=60,
    )
    assert result.exit_code == 0, result.output_tail
    assert (sandbox.spec.workspace / "made.txt").read_text() == "x"
    assert "do-not-leak-42" not in result.output_tail
    assert "ASCENT_HOME" not in result.output_tail


def test_timeout_kills_the_whole_tree_including_background_daemons(make):
    sandbox = make()
    marker = f"ascent-daemon-{os.getpid()}-{time.monotonic_ns()}"
    script = (
        "import os, subprocess, time\n"
        f"subprocess.Popen(['sleep', '300'], start_new_session=True, env={{'X': '{marker}'}})\n"
        f"subprocess.Popen(['sh', '-c', 'exec -a {marker} sleep 300'])\n"
        "if os.fork() == 0:\n"
        "    os.setsid()\n"
        f"    os.execvp('sh', ['sh', '-c', 'exec -a {marker} sleep 301'])\n"
        "time.sleep(300)\n"
    )
    started = time.monotonic()
    result = sandbox.run([PY, "-c", script], timeout=2)
    assert result.timed_out and result.killed_reason == "timeout"
    assert time.monotonic() - started < 10
    time.sleep(0.5)
    assert _count(marker) == 0


def test_exit_leaves_no_background_process(make):
    sandbox = make()
    marker = f"ascent-bg-{os.getpid()}-{time.monotonic_ns()}"
    result = sandbox.run(["sh", "-c", f"(exec -a {marker} sleep 300) & echo started"], timeout=20)
    assert result.exit_code == 0 and "started" in result.output_tail
    time.sleep(0.3)
    assert _count(marker) == 0


def test_huge_output_is_capped_with_a_marker_and_escapes_are_stripped(make, tmp_path, monkeypatch):
    from ascent.harness.sandbox import base

    monkeypatch.setattr(base, "OUTPUT_CAP_BYTES", 1024 * 1024)
    sandbox = make()
    log = tmp_path / "out.log"
    script = "import sys\nsys.stdout.write('\\x1b[31mred\\x1b[0m\\n')\nfor _ in range(40000): sys.stdout.write('y' * 99 + '\\n')\nprint('\\x1b]0;title\\x07done')"
    process = sandbox.start([PY, "-c", script], log_path=log)
    process.wait(60)
    result = process.result()
    assert result.exit_code == 0
    size = log.stat().st_size
    assert 1024 * 1024 <= size < 1024 * 1024 + 200
    assert log.read_bytes().endswith(b"[output truncated at 1 MB]\n")
    assert "\x1b" not in result.output_tail and result.output_tail.rstrip().endswith("done")


def test_file_size_limit(make):
    sandbox = make(max_file_mb=1)
    result = sandbox.run(
        [
            PY,
            "-c",
            "f=open('big.bin','wb')\ntry:\n    f.write(b'x'*3*1024*1024); f.flush()\nexcept OSError as e:\n    print('refused', e.errno)",
        ],
        timeout=30,
    )
    assert (sandbox.spec.workspace / "big.bin").stat().st_size <= 1024 * 1024
    assert "refused 27" in result.output_tail or result.exit_code != 0


def test_cpu_count_is_limited(make):
    sandbox = make(cpus=1)
    result = sandbox.run([PY, "-c", "import os; print(len(os.sched_getaffinity(0)))"], timeout=30)
    assert result.output_tail.strip() == "1"


def test_single_cpu_runs_spread_over_the_cores(make):
    if len(os.sched_getaffinity(0)) < 2:
        pytest.skip("needs two cores")
    sandbox = make(cpus=1)
    probe = "import os; print(sorted(os.sched_getaffinity(0))[0])"
    cores = {sandbox.run([PY, "-c", probe], timeout=30).output_tail.strip() for _ in range(16)}
    assert len(cores) > 1, "every one-CPU run was pinned to the same core"


def test_runs_side_by_side_get_cores_of_their_own(make, tmp_path, monkeypatch):
    """As many one-CPU runs as cores, running at once, are pinned to distinct cores."""
    from ascent.harness.sandbox import base

    available = sorted(os.sched_getaffinity(0))
    if len(available) < 2:
        pytest.skip("needs two cores")
    monkeypatch.setattr(base, "CPU_CLAIMS", tmp_path / "claims")
    sandbox = make(cpus=1)
    probe = "import os, sys, time; print(sorted(os.sched_getaffinity(0))[0], flush=True); time.sleep(60)"
    processes = [sandbox.start([PY, "-c", probe]) for _ in available]
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and not all(p.sink.tail().strip() for p in processes):
            time.sleep(0.1)
        cores = [p.sink.tail().strip() for p in processes]
    finally:
        sandbox.kill_all("test over")
    assert sorted(cores) == [str(core) for core in available]


def test_claims_of_ended_sandboxes_are_dropped(tmp_path):
    from ascent.harness.sandbox.launcher import claim_cores

    ended = subprocess.Popen(["true"])
    ended.wait()
    (tmp_path / str(ended.pid)).write_text("0")
    (tmp_path / str(os.getpid())).write_text("1")  # a live process holds core 1
    assert claim_cores([0, 1], 1, str(tmp_path)) == [0]
    assert not (tmp_path / str(ended.pid)).exists()
    assert (tmp_path / str(os.getpid())).read_text() == "0"  # this process's own claim


def test_memory_bomb_is_stopped_and_reported(make):
    require_cgroups()
    sandbox = make(memory_mb=200)
    result = sandbox.run(
        [PY, "-c", "x = []\nwhile True: x.append(bytearray(10_000_000))"], timeout=60
    )
    assert result.exit_code != 0
    assert result.oom and result.killed_reason == "out of memory"


def test_fork_bomb_is_contained(make):
    require_cgroups()
    sandbox = make(max_processes=40)
    script = "import os, time\nfor _ in range(200):\n    try:\n        if os.fork() == 0:\n            time.sleep(60); os._exit(0)\n    except OSError:\n        print('fork refused'); break\n"
    result = sandbox.run([PY, "-c", script], timeout=20)
    assert "fork refused" in result.output_tail
    assert sandbox.cgroup is not None and not sandbox.cgroup._all_pids()


def test_kill_all_ends_a_running_process(make):
    sandbox = make()
    process = sandbox.start(["sleep", "300"])
    time.sleep(0.3)
    sandbox.kill_all("test")
    assert process.wait(5) is not None


@pytest.mark.parametrize("kind", ["bwrap"])
def test_bwrap_hides_host_files_and_network(kind, tmp_path):
    from tests.dojo.conftest import require_backend

    require_backend(kind)
    from ascent.harness.sandbox import SandboxSpec, make_sandbox

    workspace = tmp_path / "ws"
    workspace.mkdir()
    secret = tmp_path / "private.csv"
    secret.write_text("answers")
    sandbox = make_sandbox(
        kind,
        SandboxSpec(name=f"t-{tmp_path.name}", workspace=workspace, env={"PATH": "/usr/bin:/bin"}),
    )
    try:
        script = (
            "import os, socket\n"
            f"print('secret', os.path.exists({str(secret)!r}))\n"
            "print('home', os.path.exists(os.path.expanduser('~root/.ascent')))\n"
            "print('pids', sorted(int(p) for p in os.listdir('/proc') if p.isdigit())[:3])\n"
            "print('write_usr', os.access('/usr', os.W_OK))\n"
        )
        result = sandbox.run([PY, "-c", script], timeout=30)
        assert "secret False" in result.output_tail
        assert "write_usr False" in result.output_tail
        pids = eval(result.output_tail.split("pids ")[1].splitlines()[0])
        assert max(pids) < 10  # its own pid namespace
    finally:
        sandbox.close()


NICED_SANDBOX = """
import os, sys
from pathlib import Path
from ascent.harness.sandbox import Limits, SandboxSpec, make_sandbox
os.nice(int(sys.argv[1]) - os.nice(0))  # to that niceness, whatever the test runs at
spec = SandboxSpec(name=sys.argv[2], workspace=Path(sys.argv[3]), env={"PATH": "/usr/bin:/bin"},
                   limits=Limits(cpus=1))
sandbox = make_sandbox("process", spec)
try:
    print((sandbox.cgroup.dirs["cpu"] / "cpu.shares").read_text().strip())
finally:
    sandbox.close()
"""


@pytest.mark.parametrize(("niceness", "shares"), [(0, 1024), (10, 110), (19, 15)])
def test_a_sandbox_started_by_a_niced_process_keeps_its_low_cpu_weight(tmp_path, niceness, shares):
    """A control group is scheduled as one entity: its weight must carry the niceness, or a
    `nice ascent ...` run would take the CPU from everything else on the machine."""
    require_cgroups()
    from ascent.harness.sandbox.cgroups import ROOT

    if not (ROOT / "cpu" / "cgroup.procs").exists():
        pytest.skip("no cpu controller here")
    if os.nice(0) > niceness:
        pytest.skip(f"the tests run at nice {os.nice(0)}: a process cannot lower it to {niceness}")
    tmp_path.joinpath("ws").mkdir()
    name = f"test-nice-{tmp_path.name}-{niceness}"
    args = [PY, "-c", NICED_SANDBOX, str(niceness), name, str(tmp_path / "ws")]
    done = subprocess.run(args, capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    assert int(done.stdout.strip()) == shares
