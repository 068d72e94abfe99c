"""Score of one reply, read from its first non-empty line:

- 1.0 when the line is the answer (case, surrounding quotes and punctuation ignored; numbers
  compared as numbers, so "42.0" is 42),
- 0.5 when the line holds the answer as a whole word among other words ("It is Oslo.") and no
  other value of the table,
- 0.0 otherwise.
"""

import re

from ascent.tasks.ft.kit import first_line, normalize


def score(prediction: str, example: dict) -> float:
    answer = normalize(example.get("answer") if isinstance(example, dict) else None)
    line = normalize(first_line(prediction))
    if not answer or not line:
        return 0.0
    if line == answer or _same_number(line, answer):
        return 1.0
    if not _mentions(line, answer):
        return 0.0
    others = [c for c in _cells(example.get("prompt")) if c != answer and not _mentions(answer, c)]
    return 0.0 if any(_mentions(line, c) for c in others) else 0.5


def _same_number(a: str, b: str) -> bool:
    try:
        return float(a) == float(b)
    except ValueError:
        return False


def _mentions(text: str, value: str) -> bool:
    return re.search(rf"(?<!\w){re.escape(value)}(?!\w)", text) is not None


def _cells(prompt: object) -> list[str]:
    """Every cell of the table in the prompt (header excluded), normalised."""
    if not isinstance(prompt, str):
        return []
    rows = [line for line in prompt.splitlines() if "|" in line]
    return [normalize(c) for line in rows[1:] for c in line.split("|") if normalize(c)]
