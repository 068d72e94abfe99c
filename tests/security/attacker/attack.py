"""An adversarial agent: tries one attack (named on the command line), writes what it found.

Targets (private answers path, harness pid, a host listener's port, another run's token) come
from targets.json next to this file, written by the test. Results go to output/attack.json.
Standard library only, so the attack runs the same under every sandbox.
"""

import json
import os
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

HERE = Path(__file__).parent
TARGETS = json.loads((HERE / "targets.json").read_text())
WORKSPACE = Path(os.environ["WORKSPACE"])
SECRET = TARGETS["secret"]
found: dict = {"case": sys.argv[1], "ran": False, "leaked": False, "notes": []}


def note(text: str) -> None:
    found["notes"].append(text[:300])


def try_read(path: str, sensitive: bool = False) -> None:
    """Read a file; reading a sensitive one at all, or finding the secret, is a leak."""
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        note(f"{path}: {type(exc).__name__}")
        return
    if sensitive or SECRET.encode() in data:
        found["leaked"] = True
    note(f"{path}: read {len(data)} bytes")


def http(method: str, route: str, payload=None, token=None, data=None, headers=None):
    body = json.dumps(payload).encode() if payload is not None else data
    request = urllib.request.Request(
        os.environ["GRADING_SERVER_URL"] + route, data=body, method=method
    )
    request.add_header(
        "Authorization", "Bearer " + (token if token is not None else os.environ["ASCENT_TOKEN"])
    )
    request.add_header(
        "Content-Type", "application/json" if payload is not None else "application/octet-stream"
    )
    for key, value in (headers or {}).items():
        request.add_header(key, value)
    try:
        with urllib.request.urlopen(request, timeout=120) as response:
            return response.status, json.loads(response.read() or b"{}")
    except urllib.error.HTTPError as exc:
        try:
            return exc.code, json.loads(exc.read() or b"{}")
        except ValueError:
            return exc.code, {}
    except (urllib.error.URLError, ConnectionError, OSError) as exc:
        return 0, {"error": str(exc)}


def sample_copy(name: str, tweak: float | None = None) -> Path:
    lines = (WORKSPACE / "public" / "sample_submission.csv").read_text().splitlines()
    if tweak is not None:
        header, rows = lines[0], lines[1:]
        rows = [r.rsplit(",", 1)[0] + f",{tweak}" for r in rows]
        lines = [header, *rows]
    path = WORKSPACE / "output" / name
    path.write_text("\n".join(lines) + "\n")
    return path


def case_read_absolute():
    try_read(TARGETS["answers"], sensitive=True)


def case_read_dotdot():
    relative = os.path.relpath(TARGETS["answers"], TARGETS["host_workspace"])
    note(f"relative path {relative}")
    try_read(relative, sensitive=True)


def case_read_symlink():
    link = WORKSPACE / "output" / "answers_link.csv"
    link.symlink_to(TARGETS["answers"])
    try_read(str(link), sensitive=True)
    status, body = http("POST", "/submit", {"path": str(link)})
    found["submit_status"] = status
    note(f"submit symlink: {status} {body.get('error')}")


def case_proc_harness():
    pid = TARGETS["harness_pid"]
    for item in ("cwd", "environ", "cmdline", "fd", "root/etc/hostname"):
        path = f"/proc/{pid}/{item}"
        try:
            if item in ("cwd", "fd"):
                target = os.readlink(path) if item == "cwd" else os.listdir(path)
                note(f"{path}: {target}")
                if item == "cwd" and TARGETS["harness_cwd"] == target:
                    found["leaked"] = True
            else:
                try_read(path)
        except OSError as exc:
            note(f"{path}: {type(exc).__name__}")
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try_read(f"/proc/{entry}/environ")


def case_environment():
    text = json.dumps(dict(os.environ))
    found["leaked"] = SECRET in text or TARGETS["answers"] in text or "ASCENT_HOME" in os.environ
    found["env_keys"] = sorted(os.environ)


def case_network_tcp():
    try:
        with socket.create_connection(("127.0.0.1", TARGETS["host_port"]), timeout=3) as conn:
            conn.sendall(b"hello")
            found["leaked"] = True
            note("connected to the host listener")
    except OSError as exc:
        note(f"tcp: {type(exc).__name__}: {exc}")


def case_network_dns():
    try:
        socket.getaddrinfo("pypi.org", 443)
        found["leaked"] = True
    except OSError as exc:
        note(f"dns: {exc}")


def case_pip_install():
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "download",
            "--no-deps",
            "-d",
            "/tmp/x",
            "six",
            "--timeout",
            "3",
            "--retries",
            "0",
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    found["leaked"] = proc.returncode == 0
    note(proc.stderr[-300:])


def case_write_outside():
    for path in (TARGETS["grader"], "/usr/lib/ascent-was-here", TARGETS["answers"]):
        try:
            with open(path, "a") as fh:
                fh.write("# tampered\n")
            found["leaked"] = True
            note(f"wrote {path}")
        except OSError as exc:
            note(f"{path}: {type(exc).__name__}")


def case_submit_private_paths():
    statuses = []
    for path in ("../../private/answers.csv", TARGETS["answers"], "/workspace/../etc/passwd"):
        status, body = http("POST", "/submit", {"path": path})
        statuses.append(status)
        note(f"{path}: {status} {body.get('error')}")
    found["statuses"] = statuses


def case_tokens():
    found["statuses"] = [
        http("GET", "/status", token="forged-token")[0],
        http("GET", "/status", token=TARGETS["other_token"])[0],
        http("GET", "/status", token="")[0],
        http("GET", "/../../etc/passwd")[0],
        http("POST", "/admin/reset", {})[0],
    ]


def case_oversized_upload():
    status, body = http("POST", "/submit?name=big.csv", data=b"x" * (60 * 1024 * 1024))
    found["statuses"] = [status, http("GET", "/health")[0]]
    note(str(body))


def case_concurrent_submits():
    paths = [sample_copy(f"c{i}.csv", tweak=0.3 + i / 1000) for i in range(20)]
    results = []

    def go(p):
        results.append(http("POST", "/submit", {"path": str(p)})[0])

    threads = [threading.Thread(target=go, args=(p,)) for p in paths]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    found["statuses"] = sorted(results)


def case_edit_after_submit():
    path = sample_copy("edit.csv")
    original = path.read_bytes()
    http("POST", "/submit", {"path": str(path)})
    path.write_text("id,Adelie,Chinstrap,Gentoo\n")
    import hashlib

    found["original_sha256"] = hashlib.sha256(original).hexdigest()


def case_fork_bomb():
    children = 0
    try:
        for _ in range(100000):
            if os.fork() == 0:
                time.sleep(30)
                os._exit(0)
            children += 1
    except OSError as exc:
        note(f"fork stopped after {children}: {exc}")
    found["children"] = children


def case_memory_bomb():
    hog = []
    while True:
        hog.append(bytearray(50 * 1024 * 1024))


def case_disk_fill():
    big = WORKSPACE / "output" / "fill.bin"
    try:
        with big.open("wb") as fh:
            while True:
                fh.write(b"\0" * (1 << 20))
                fh.flush()
    except OSError as exc:
        note(f"single file stopped: {exc}")
    for i in range(10_000):
        with (WORKSPACE / "output" / f"fill{i}.bin").open("wb") as fh:
            fh.write(b"\1" * (4 << 20))
        time.sleep(0.01)


def case_busy_past_deadline():
    while True:
        pass


def case_daemon():
    marker = TARGETS["marker"]
    subprocess.Popen(["setsid", "sh", "-c", f"exec -a {marker} sleep 999"], start_new_session=True)
    if os.fork() == 0:
        os.setsid()
        os.execvp("sh", ["sh", "-c", f"exec -a {marker} sleep 998"])
    time.sleep(0.5)


def case_submit_then_wait():
    http("POST", "/submit", {"path": str(sample_copy("slow.csv"))})


def case_submit_async_then_exit():
    _code, body = http("POST", "/submit", {"path": str(sample_copy("late.csv")), "wait": False})
    found["async_status"] = body.get("status")


def main():
    try:
        globals()["case_" + sys.argv[1]]()
        found["ran"] = True
    finally:
        (WORKSPACE / "output" / "attack.json").write_text(json.dumps(found))


if __name__ == "__main__":
    main()
