"""First process inside a sandbox: forwards 127.0.0.1 ports to Unix sockets, then runs the agent.

    python init.py --forward 8765=/run/ascent/grading.sock [--forward ...] -- COMMAND...

A sandbox without network has only its own loopback; the grading server (and, for external
agents with network policy `llm-only`, the allowlisting proxy) live outside and are reached
through Unix sockets bound into the sandbox. Any HTTP client can then use http://127.0.0.1:PORT.
Standard library only.
"""

import asyncio
import os
import signal
import subprocess
import sys
import threading


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
    except (ConnectionError, OSError):
        pass
    finally:
        writer.close()


def _handler(socket_path: str):
    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            up_reader, up_writer = await asyncio.open_unix_connection(socket_path)
        except OSError:
            writer.close()
            return
        await asyncio.gather(_pipe(reader, up_writer), _pipe(up_reader, writer))

    return handle


async def _serve(forwards: list[tuple[int, str]], ready: threading.Event) -> None:
    servers = [
        await asyncio.start_server(_handler(path), "127.0.0.1", port) for port, path in forwards
    ]
    ready.set()
    await asyncio.gather(*(s.serve_forever() for s in servers))


def main(argv: list[str]) -> int:
    if "--" not in argv:
        print("usage: init.py [--forward PORT=SOCKET]... -- COMMAND...", file=sys.stderr)
        return 2
    split = argv.index("--")
    options, command = argv[:split], argv[split + 1 :]
    forwards = []
    for i, option in enumerate(options):
        if option == "--forward":
            port, _, path = options[i + 1].partition("=")
            forwards.append((int(port), path))
    ready = threading.Event()
    if forwards:
        thread = threading.Thread(target=lambda: asyncio.run(_serve(forwards, ready)), daemon=True)
        thread.start()
        ready.wait(10)
    child = subprocess.Popen(command)
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda s, _f: child.send_signal(s))
    code = child.wait()
    return code if code >= 0 else 128 - code


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    sys.exit(main(sys.argv[1:]))
