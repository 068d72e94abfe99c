"""Reading agent.log as data: lines with their numbers, Python tracebacks, loss and reward values.

The log is the agent's own output. It is searched for diagnostic patterns (a traceback, a NaN
loss) that point a reader at the right lines; it never decides a score, a status or a verdict,
and its text is kept verbatim (control characters removed) for renderers to quote and escape.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ascent.analysis.schema import LogLine

MAX_LINE = 400
_ANSI = re.compile(r"\x1b\[[0-9;?]*[ -/]*[@-~]|\x1b[@-Z\\-_]")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
_LOSS = re.compile(
    r"""\b(?:train_|training_|eval_)?loss\b['"]?\s*[:=]?\s*([-+]?(?:\d+\.?\d*(?:e[-+]?\d+)?|nan|inf(?:inity)?))""",
    re.IGNORECASE,
)
_REWARD = re.compile(
    r"""\b(?:mean_|avg_)?rewards?(?:/mean)?\b['"]?\s*[:=]\s*([-+]?(?:\d+\.?\d*(?:e[-+]?\d+)?|nan))""",
    re.IGNORECASE,
)
_OOM = re.compile(
    r"\b(MemoryError|OutOfMemoryError|CUDA out of memory|out of memory|Cannot allocate memory)\b"
    r"|^Killed$",
    re.IGNORECASE,
)


def clean(text: str, limit: int = MAX_LINE) -> str:
    text = _CONTROL.sub("", _ANSI.sub("", text))
    return text if len(text) <= limit else text[:limit] + " [...]"


@dataclass(frozen=True)
class Traceback:
    start: int  # index of the "Traceback" line
    end: int  # index of the exception line
    exception: str
    text: str  # the whole traceback


class LogView:
    def __init__(self, text: str, first_line: int = 1) -> None:
        self.lines = text.splitlines()
        self.first = first_line

    def line(self, index: int) -> LogLine:
        return LogLine(number=self.first + index, text=clean(self.lines[index]))

    def tracebacks(self) -> list[Traceback]:
        found = []
        i = 0
        while i < len(self.lines):
            if self.lines[i].lstrip().startswith("Traceback (most recent call last)"):
                end = i + 1
                while end < len(self.lines) and end - i < 400:
                    candidate = self.lines[end]
                    if candidate and not candidate[0].isspace():
                        break
                    end += 1
                end = min(end, len(self.lines) - 1)
                found.append(
                    Traceback(
                        i, end, clean(self.lines[end].strip()), "\n".join(self.lines[i : end + 1])
                    )
                )
                i = end + 1
            else:
                i += 1
        return found

    def matching(self, pattern: re.Pattern[str], limit: int = 50) -> list[int]:
        hits = []
        for index, text in enumerate(self.lines):
            if pattern.search(text):
                hits.append(index)
                if len(hits) >= limit:
                    break
        return hits

    def values(self, pattern: re.Pattern[str]) -> list[tuple[int, float]]:
        """(line index, number) of every value the pattern captures, e.g. each logged loss."""
        out = []
        for index, text in enumerate(self.lines):
            for match in pattern.finditer(text):
                out.append((index, float(match.group(1))))
        return out


def losses(view: LogView) -> list[tuple[int, float]]:
    return view.values(_LOSS)


def rewards(view: LogView) -> list[tuple[int, float]]:
    return view.values(_REWARD)


def oom_lines(view: LogView) -> list[int]:
    return view.matching(_OOM)
