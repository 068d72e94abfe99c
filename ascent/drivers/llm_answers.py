"""Reading a model's answer: the JSON object in it, the code in it, and what is wrong with it.

Each reader raises `MalformedAnswer` with a message written for the model itself: the driver
sends it back as the repair request, so it says exactly what to fix.
"""

from __future__ import annotations

import ast
import json
import re
from collections.abc import Sequence
from typing import Any

from pydantic import BaseModel, ValidationError

from ascent.drivers.models import Hypothesis, Proposals

_FENCE = re.compile(r"```[ \t]*([\w+.-]*)[^\n]*\n(.*?)(?:\n[ \t]*```|\Z)", re.S)
_THINK = re.compile(r"<think>.*?</think>", re.S | re.I)
_CODE_LANGUAGES = {"python", "py", "python3", ""}


class MalformedAnswer(ValueError):
    """An answer that cannot be used; the message tells the model what to fix."""


def strip_reasoning(text: str) -> str:
    """Drop <think>...</think> blocks that reasoning models put before their answer."""
    return _THINK.sub("", text).strip()


def fences(text: str) -> list[tuple[str, str]]:
    """(language, body) of every fenced block, in order; an unclosed last fence counts."""
    return [(m.group(1).lower(), m.group(2)) for m in _FENCE.finditer(text)]


def extract_json(text: str) -> Any:
    """The JSON value of an answer: the whole text, a ```json block, or the first {...} in it."""
    text = strip_reasoning(text)
    candidates = [text]
    candidates += [body for lang, body in fences(text) if lang in ("json", "")]
    for candidate in candidates:
        try:
            return json.loads(candidate)
        except ValueError:
            pass
    decoder = json.JSONDecoder()
    for match in re.finditer(r"[\[{]", text):
        try:
            value, _ = decoder.raw_decode(text, match.start())
        except ValueError:
            continue
        if isinstance(value, dict) or (isinstance(value, list) and value):
            return value
    raise MalformedAnswer(
        "the answer holds no valid JSON object. Answer with one JSON object that matches the "
        "schema, in a ```json block, with double-quoted keys and no comments or trailing commas."
    )


def extract_code(text: str, data: Any = None) -> str:
    """The solution code: the longest ```python block, else a "code" string in the JSON."""
    text = strip_reasoning(text)
    blocks = [body for lang, body in fences(text) if lang in _CODE_LANGUAGES]
    blocks = [b for b in blocks if not _is_json(b)]
    if blocks:
        return max(blocks, key=len).strip("\n") + "\n"
    if isinstance(data, dict) and isinstance(data.get("code"), str) and data["code"].strip():
        return data["code"].strip("\n") + "\n"
    if not fences(text) and "\n" in text and _parses(text):
        return text.strip("\n") + "\n"  # bare code, no fence
    raise MalformedAnswer("the answer holds no code. Put the complete file in one ```python block.")


def check_code(code: str, required: Sequence[tuple[str, str]] = ()) -> None:
    """Code must parse, and hold each (marker, reason) the family's contract requires."""
    try:
        ast.parse(code)
    except SyntaxError as exc:
        line = (exc.text or "").strip()
        where = f"line {exc.lineno}" + (f" (`{line[:120]}`)" if line else "")
        raise MalformedAnswer(
            f"the code does not parse: {exc.msg} at {where}. Send the whole corrected file."
        ) from None
    missing = [reason for marker, reason in required if marker not in code]
    if missing:
        raise MalformedAnswer("the code breaks the solution contract: " + "; ".join(missing))


def validate(model: type[BaseModel], data: Any) -> BaseModel:
    """`data` as `model`; unknown keys are dropped, missing or wrong fields are reported."""
    if model is Proposals and isinstance(data, list):
        data = {"hypotheses": data}
    if not isinstance(data, dict):
        raise MalformedAnswer(f"expected a JSON object, got {type(data).__name__}")
    data = _known(model, data)
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        problems = []
        for error in exc.errors()[:8]:
            where = ".".join(str(p) for p in error["loc"]) or "the object"
            problems.append(f"`{where}`: {error['msg']}")
        raise MalformedAnswer(
            "the JSON does not match the schema: " + "; ".join(problems) + "."
        ) from None


def _known(model: type[BaseModel], data: dict[str, Any]) -> dict[str, Any]:
    """Drop keys the model does not have (harmless chatter), recursing into hypotheses."""
    out = {k: v for k, v in data.items() if k in model.model_fields}
    if model is Proposals and isinstance(out.get("hypotheses"), list):
        out["hypotheses"] = [
            _known(Hypothesis, h) if isinstance(h, dict) else h for h in out["hypotheses"]
        ]
    return out


def _parses(text: str) -> bool:
    try:
        ast.parse(text)
    except SyntaxError:
        return False
    return True


def _is_json(body: str) -> bool:
    try:
        json.loads(body)
    except ValueError:
        return False
    return True
