"""An allowlisting forward proxy: the only way out for agents with network policy `llm-only`.

It listens on a Unix socket bound into the sandbox (reached inside as HTTP(S)_PROXY on
127.0.0.1). `CONNECT host:port` (HTTPS) and absolute-URI HTTP requests are let through only to
the allowlisted `host:port` pairs (the configured LLM endpoints); anything else gets 403 and a
`refusal` event. Nothing is inspected or stored beyond the request line.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
from collections.abc import Callable
from urllib.parse import urlsplit

log = logging.getLogger(__name__)

HEADER_LIMIT = 64 * 1024


def normalise(entry: str) -> str:
    """`api.example.com` -> `api.example.com:443`; `http://h:8000/v1` -> `h:8000`."""
    if "://" in entry:
        parts = urlsplit(entry)
        port = parts.port or (443 if parts.scheme == "https" else 80)
        return f"{parts.hostname}:{port}".lower()
    host, _, port = entry.rpartition(":") if entry.count(":") == 1 else (entry, "", "")
    return f"{host or entry}:{port or 443}".lower()


class AllowlistProxy:
    def __init__(
        self,
        socket_path: str,
        allow: list[str],
        on_refusal: Callable[[str, str], None] | None = None,
    ) -> None:
        self.socket_path = socket_path
        self.allow = {normalise(a) for a in allow}
        self.on_refusal = on_refusal
        self.allowed_count = 0
        self.refused_count = 0
        self._loop: asyncio.AbstractEventLoop | None = None
        self._server: asyncio.AbstractServer | None = None
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._run, name="llm-proxy", daemon=True)

    def start(self) -> AllowlistProxy:
        self._thread.start()
        if not self._ready.wait(10):
            raise RuntimeError("the allowlisting proxy did not start")
        return self

    def stop(self) -> None:
        if self._loop is not None:
            self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(5)

    def _run(self) -> None:
        self._loop = asyncio.new_event_loop()
        self._server = self._loop.run_until_complete(
            asyncio.start_unix_server(self._handle, path=self.socket_path)
        )
        self._ready.set()
        try:
            self._loop.run_forever()
        finally:
            self._server.close()
            with contextlib.suppress(Exception):
                self._loop.run_until_complete(self._server.wait_closed())
            self._loop.close()

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            head = await reader.readuntil(b"\r\n\r\n")
        except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, ConnectionError):
            writer.close()
            return
        if len(head) > HEADER_LIMIT:
            writer.close()
            return
        line, _, rest = head.partition(b"\r\n")
        try:
            method, target, version = line.decode("latin-1").split(" ", 2)
        except ValueError:
            await self._reply(writer, 400, "bad request line")
            return
        if method.upper() == "CONNECT":
            destination, request = target.lower(), None
        else:
            parts = urlsplit(target)
            if not parts.hostname:
                await self._reply(writer, 400, "proxy requests need an absolute URL")
                return
            destination = f"{parts.hostname}:{parts.port or 80}".lower()
            path = parts.path or "/"
            if parts.query:
                path += "?" + parts.query
            request = f"{method} {path} {version}\r\n".encode("latin-1") + rest
        if destination not in self.allow:
            self.refused_count += 1
            if self.on_refusal is not None:
                self.on_refusal(f"{method} {target}", f"network: {destination} is not allowlisted")
            await self._reply(writer, 403, f"{destination} is not allowed by the network policy")
            return
        host, _, port = destination.rpartition(":")
        try:
            up_reader, up_writer = await asyncio.open_connection(host, int(port))
        except OSError as exc:
            await self._reply(writer, 502, f"cannot reach {destination}: {exc.strerror}")
            return
        self.allowed_count += 1
        if request is None:
            writer.write(b"HTTP/1.1 200 Connection established\r\n\r\n")
            await writer.drain()
        else:
            up_writer.write(request)
            await up_writer.drain()
        await asyncio.gather(_pipe(reader, up_writer), _pipe(up_reader, writer))

    @staticmethod
    async def _reply(writer: asyncio.StreamWriter, code: int, reason: str) -> None:
        body = reason.encode()
        writer.write(
            f"HTTP/1.1 {code} {reason[:60]}\r\nContent-Length: {len(body)}\r\n"
            "Connection: close\r\n\r\n".encode()
            + body
        )
        with contextlib.suppress(ConnectionError):
            await writer.drain()
        writer.close()


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
    except (ConnectionError, OSError):
        pass
    finally:
        with contextlib.suppress(Exception):
            writer.close()
