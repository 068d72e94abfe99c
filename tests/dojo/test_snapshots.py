"""Code snapshots in a shadow repository: code only, unchanged code makes no commit."""

import subprocess

from ascent.record.snapshots import MAX_FILE_BYTES, Snapshotter, code_files


def test_snapshots_keep_code_and_skip_data_models_and_agent_git(tmp_path):
    ws = tmp_path / "ws"
    (ws / "src").mkdir(parents=True)
    (ws / "src" / "train.py").write_text("print('v1')\n")
    (ws / "notes.md").write_text("plan\n")
    (ws / "train.csv").write_text("a,b\n1,2\n")
    (ws / "model.safetensors").write_bytes(b"\0" * 10)
    (ws / "big.py").write_text("#" * (MAX_FILE_BYTES + 1))
    (ws / ".git").mkdir()
    (ws / ".git" / "config").write_text("[core]\n")
    (ws / "public").mkdir()
    (ws / "public" / "reader.py").write_text("x = 1\n")
    (ws / "link.py").symlink_to(ws / "notes.md")
    assert code_files(ws) == ["notes.md", "src/train.py"]

    snaps = Snapshotter(tmp_path / "snap.git", ws)
    first = snaps.snapshot("first")
    assert first.files == 2 and first.changed == 2
    assert snaps.snapshot("again").commit == first.commit  # nothing changed: no commit
    (ws / "src" / "train.py").write_text("print('v2')\n")
    second = snaps.snapshot("edit")
    assert second.commit != first.commit and second.changed == 1
    assert "+print('v2')" in snaps.diff(first.commit, second.commit)
    # The agent's own repository is never touched.
    assert (ws / ".git" / "config").read_text() == "[core]\n"
    log = subprocess.run(
        ["git", f"--git-dir={tmp_path / 'snap.git'}", "log", "--format=%s"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    assert log == ["edit", "first"]
