"""Formatting shared by the renderers: numbers, durations, and agent text made inert."""

from __future__ import annotations

import html
import re

from ascent.analysis.schema import Metric

_BACKTICKS = re.compile(r"`+")


def num(value: float | int | None, digits: int = 5) -> str:
    if value is None:
        return "-"
    if isinstance(value, int) or (float(value).is_integer() and abs(value) < 1e12):
        return f"{int(value)}"
    return f"{value:.{digits}g}"


def metric_value(metric: Metric) -> str:
    if metric.value is None:
        return "-"
    if metric.unit == "ratio":
        return f"{metric.value:.0%}" if metric.value <= 1.0 else f"{metric.value:.2f}"
    if metric.unit == "s":
        return f"{metric.value:.1f} s"
    if metric.unit == "USD":
        return f"${metric.value:.4f}"
    if metric.unit in ("count", "tokens"):
        return f"{int(metric.value)}"
    if metric.unit in ("MB", "lines"):
        return f"{metric.value:.1f} {metric.unit}"
    return num(metric.value)


def md_inline(text: object) -> str:
    """Untrusted text for one Markdown table cell or line: nothing in it renders as markup."""
    out = html.escape(str(text), quote=False).replace("\r", " ").replace("\n", " ")
    for char in "\\`*_[]|#":
        out = out.replace(char, "\\" + char)
    return out


def md_block(text: str, info: str = "text") -> str:
    """Untrusted text as a fenced code block whose fence no backtick run inside can close."""
    longest = max((len(m.group()) for m in _BACKTICKS.finditer(text)), default=0)
    fence = "`" * max(3, longest + 1)
    return f"{fence}{info}\n{text}\n{fence}"
