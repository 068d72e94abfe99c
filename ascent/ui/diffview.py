"""A unified diff as typed lines for the diff viewer (the template escapes their text)."""

from __future__ import annotations

from dataclasses import dataclass

MAX_LINES = 20000


@dataclass(frozen=True)
class DiffLine:
    kind: str  # file | hunk | add | del | ctx | meta
    text: str


def parse_diff(text: str) -> list[DiffLine]:
    lines = []
    for raw in text.splitlines()[:MAX_LINES]:
        if raw.startswith("diff --git"):
            kind = "file"
        elif raw.startswith(("+++", "---", "index ", "new file", "deleted file", "similarity")):
            kind = "meta"
        elif raw.startswith("@@"):
            kind = "hunk"
        elif raw.startswith("+"):
            kind = "add"
        elif raw.startswith("-"):
            kind = "del"
        else:
            kind = "ctx"
        lines.append(DiffLine(kind, raw))
    return lines


def stats(lines: list[DiffLine]) -> tuple[int, int, int]:
    """(files, lines added, lines removed)."""
    return (
        sum(1 for d in lines if d.kind == "file"),
        sum(1 for d in lines if d.kind == "add"),
        sum(1 for d in lines if d.kind == "del"),
    )
