"""Opening a path the agent names: only regular files inside the workspace, no links."""

import os

import pytest

from ascent.errors import InvalidSubmission
from ascent.harness.confine import open_confined


@pytest.fixture
def ws(tmp_path):
    root = tmp_path / "workspace"
    (root / "output").mkdir(parents=True)
    (root / "output" / "sub.csv").write_text("id,y\n")
    (tmp_path / "secret.csv").write_text("answers\n")
    return root


def read(ws, path, inside="/workspace"):
    fd = open_confined(ws, path, inside)
    with os.fdopen(fd) as fh:
        return fh.read()


def test_relative_and_absolute_inside_paths(ws):
    assert read(ws, "output/sub.csv") == "id,y\n"
    assert read(ws, "/workspace/output/sub.csv") == "id,y\n"
    assert read(ws, str(ws / "output/sub.csv"), inside=str(ws)) == "id,y\n"


@pytest.mark.parametrize(
    ("path", "message"),
    [
        ("/etc/passwd", "outside the workspace"),
        ("../secret.csv", "uses '..'"),
        ("output/../../secret.csv", "uses '..'"),
        ("output/missing.csv", "does not exist"),
        ("", "empty"),
        ("/workspace", "names the workspace itself"),
        ("output/sub.csv\x00.txt", "NUL"),
    ],
)
def test_refused_paths(ws, path, message):
    with pytest.raises(InvalidSubmission, match=message):
        read(ws, path)


def test_links_and_special_files_are_refused(ws, tmp_path):
    (ws / "link.csv").symlink_to(tmp_path / "secret.csv")
    with pytest.raises(InvalidSubmission, match="symbolic link"):
        read(ws, "link.csv")
    (ws / "dirlink").symlink_to(tmp_path)
    with pytest.raises(InvalidSubmission, match="symbolic link"):
        read(ws, "dirlink/secret.csv")
    os.mkfifo(ws / "pipe.csv")
    with pytest.raises(InvalidSubmission, match="not a regular file"):
        read(ws, "pipe.csv")  # refused without blocking on the FIFO
    (ws / "dev.csv").symlink_to("/dev/zero")
    with pytest.raises(InvalidSubmission, match="symbolic link"):
        read(ws, "dev.csv")
    with pytest.raises(InvalidSubmission, match="not a regular file"):
        read(ws, "output")
