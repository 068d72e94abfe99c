"""Driver tests talk to 127.0.0.1 only: any other connection or name lookup fails the test."""

from __future__ import annotations

import socket

import pytest

LOCAL = {"127.0.0.1", "localhost", "::1"}


@pytest.fixture(autouse=True)
def loopback_only(monkeypatch: pytest.MonkeyPatch):
    blocked: list[str] = []
    connect, lookup = socket.socket.connect, socket.getaddrinfo

    def guarded_connect(sock, address):
        if sock.family in (socket.AF_INET, socket.AF_INET6) and address[0] not in LOCAL:
            blocked.append(f"connect {address}")
            raise OSError(f"test network guard: no traffic to {address[0]}")
        return connect(sock, address)

    def guarded_lookup(host, *args, **kwargs):
        if host not in LOCAL and host is not None:
            blocked.append(f"lookup {host}")
            raise socket.gaierror(f"test network guard: no lookup of {host}")
        return lookup(host, *args, **kwargs)

    monkeypatch.setattr(socket.socket, "connect", guarded_connect)
    monkeypatch.setattr(socket, "getaddrinfo", guarded_lookup)
    yield blocked
    assert not blocked, f"traffic beyond 127.0.0.1: {blocked}"


@pytest.fixture
def brief():
    """A task as drivers see it: penguin species, as its INSTRUCTIONS.md facts describe it."""
    from ascent.drivers.models import TaskBrief

    classes = ["Adelie", "Chinstrap", "Gentoo"]
    return TaskBrief(
        task_id="penguin-species",
        family="mle",
        description="Predict each penguin's species as a probability for each species.",
        facts={
            "task_id": "penguin-species",
            "family": "mle",
            "metric": "log_loss",
            "higher_is_better": False,
            "task_type": "multiclass",
            "id_column": "id",
            "target_columns": ["species"],
            "submission_columns": classes,
            "prediction": "probability",
            "classes": classes,
            "workspace": "/somewhere/on/the/host",
        },
        profile={"n_train": 189, "n_test": 155, "class_counts": {"Adelie": 84, "Gentoo": 68}},
    )
