"""Score of one reply, read from its first non-empty line: 1.0 when it names the right field,
else 0.0.

The line names a field when it is the field's name (case, quotes and punctuation ignored) or
mentions exactly one of the six names as a word ("Field: computing."). A line naming several
fields ("chemistry or medical") names none.
"""

import re

from ascent.tasks.ft.kit import first_line, normalize

FIELDS = ["medical", "chemistry", "vehicles", "construction", "computing", "electrical"]


def score(prediction: str, example: dict) -> float:
    answer = normalize(example.get("answer") if isinstance(example, dict) else None)
    return 1.0 if answer and read_field(prediction) == answer else 0.0


def read_field(reply: object) -> str | None:
    line = normalize(first_line(reply))
    if line in FIELDS:
        return line
    named = [f for f in FIELDS if re.search(rf"\b{f}\b", line)]
    return named[0] if len(named) == 1 else None
