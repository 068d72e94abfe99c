"""Solutions as templates filled with TASK and PLAN literals, and run output back to Outcomes.

Every family's solution is a complete program with two literals at its top, `TASK = {...}` and
`PLAN = {...}`, and prints one line `ASCENT_RESULT {...}` when it succeeds.
"""

from __future__ import annotations

import ast
import json
import pprint
import re
from pathlib import Path
from typing import Any

from ascent.drivers.models import Outcome

_RESULT = re.compile(r"^ASCENT_RESULT (\{.*\})\s*$", re.M)


def render_template(template: Path, task: dict[str, Any], plan: dict[str, Any]) -> str:
    text = template.read_text()
    text = text.replace("TASK = {}  # TASK", "TASK = " + _literal(task))
    return text.replace("PLAN = {}  # PLAN", "PLAN = " + _literal(plan))


def _literal(value: dict[str, Any]) -> str:
    """A Python literal that reads well in the solution file (and in code diffs)."""
    return pprint.pformat(value, sort_dicts=False, width=96)


def plan_of(code: str) -> dict[str, Any] | None:
    """The PLAN a rendered solution was made from (None for hand-written code)."""
    match = re.search(r"^PLAN = (\{.*?\})\n\n", code, re.M | re.S)
    if match is None:
        return None
    try:
        value = ast.literal_eval(match.group(1))
    except (ValueError, SyntaxError):
        return None
    return value if isinstance(value, dict) else None


def parse_outcome(
    exit_code: int | None,
    output: str,
    seconds: float,
    quick: bool,
    timed_out: bool = False,
    oom: bool = False,
) -> Outcome:
    found = _RESULT.findall(output)
    if exit_code == 0 and found:
        try:
            result = json.loads(found[-1])
        except ValueError:
            result = None
        if result is not None and result.get("valid_score") is not None:
            return Outcome(
                ok=True,
                quick=quick,
                valid_score=result["valid_score"],
                valid_std=result.get("valid_std"),
                train_score=result.get("train_score"),
                seconds=seconds,
                extra={
                    k: v
                    for k, v in result.items()
                    if k not in ("valid_score", "valid_std", "train_score")
                },
            )
    if timed_out:
        error = "timed out"
    elif oom:
        error = "out of memory (MemoryError)"
    elif exit_code == 0:
        error = "the solution ended without an ASCENT_RESULT line; output: " + _error_tail(
            output, 4
        )
    else:
        error = _error_tail(output) or f"exit code {exit_code} and no ASCENT_RESULT line"
    return Outcome(ok=False, quick=quick, seconds=seconds, error=error)


def _error_tail(output: str, lines: int = 12) -> str:
    text = output.strip().splitlines()
    if not text:
        return ""
    start = next((i for i in range(len(text) - 1, -1, -1) if text[i].startswith("Traceback")), None)
    chunk = text[start:] if start is not None else text[-lines:]
    return "\n".join(chunk[-lines:])
