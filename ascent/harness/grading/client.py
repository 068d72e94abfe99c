"""A client of the grading API, over TCP or a Unix socket (`unix:///path/to.sock`)."""

from __future__ import annotations

from typing import Any

import httpx


class GradingClient:
    def __init__(self, url: str, token: str, timeout: float = 600.0) -> None:
        if url.startswith("unix://"):
            transport = httpx.HTTPTransport(uds=url.removeprefix("unix://"))
            self._http = httpx.Client(
                base_url="http://grading", transport=transport, timeout=timeout
            )
        else:
            self._http = httpx.Client(base_url=url, timeout=timeout)
        self._http.headers["Authorization"] = f"Bearer {token}"

    def request(self, method: str, route: str, **kwargs: Any) -> httpx.Response:
        return self._http.request(method, route, **kwargs)

    def submit(self, path: str, final: bool = False) -> httpx.Response:
        return self.request("POST", "/submit", json={"path": path, "final": final})

    def upload(self, data: bytes, name: str = "submission.csv") -> httpx.Response:
        return self.request(
            "POST",
            "/submit",
            content=data,
            params={"name": name},
            headers={"Content-Type": "application/octet-stream"},
        )

    def status(self) -> dict[str, Any]:
        return self.request("GET", "/status").json()

    def submissions(self) -> list[dict[str, Any]]:
        return self.request("GET", "/submissions").json()

    def select(self, submission_id: str) -> httpx.Response:
        return self.request("POST", "/select", json={"submission_id": submission_id})

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> GradingClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
