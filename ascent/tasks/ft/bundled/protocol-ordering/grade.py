"""Score of one reply: the share of positions holding the right letter, when the reply orders
exactly the labelled steps; else 0.0.

The letters are read from the first non-empty line, case-insensitive, with any separators:
"CADB", "C, A, D, B" and "C -> A -> D -> B" are the same reply. A reply that is not an ordering
of the labels (a letter missing or repeated, an unknown letter) scores 0.0, so answering "AAAA"
earns nothing. With the answer CADBE, the reply CADEB scores 0.6.
"""

import re

from ascent.tasks.ft.kit import first_line


def score(prediction: str, example: dict) -> float:
    answer = example.get("answer") if isinstance(example, dict) else None
    if not isinstance(answer, str) or not answer:
        return 0.0
    letters = read_letters(first_line(prediction), len(answer))
    if letters is None or sorted(letters) != sorted(answer):
        return 0.0
    return sum(a == b for a, b in zip(letters, answer, strict=True)) / len(answer)


def read_letters(line: str, n: int) -> str | None:
    """The labels a line lists: a run of n letters ("CADB") or n single letters ("C, A, D, B")."""
    tokens = re.findall(r"[A-Za-z]+", line.upper())
    runs = [t for t in tokens if len(t) == n and set(t) <= set("ABCDE")]
    if runs:
        return runs[0]
    singles = [t for t in tokens if len(t) == 1]
    return "".join(singles) if len(singles) == n else None
