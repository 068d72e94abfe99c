"""Reading answers: JSON wherever the model put it, code from fences, precise complaints."""

from __future__ import annotations

import pytest

from ascent.drivers.llm_answers import (
    MalformedAnswer,
    check_code,
    extract_code,
    extract_json,
    validate,
)
from ascent.drivers.models import Diagnosis, Proposals


@pytest.mark.parametrize(
    "text",
    [
        '{"a": 1}',
        'Sure!\n```json\n{"a": 1}\n```\nDone.',
        '<think>{"a": 2} is wrong</think>\n```\n{"a": 1}\n```',
        'The answer is {"a": 1} as asked.',
    ],
)
def test_json_is_found_wherever_it_is(text):
    assert extract_json(text) == {"a": 1}


def test_no_json_is_a_malformed_answer():
    with pytest.raises(MalformedAnswer, match="no valid JSON"):
        extract_json("I think the model overfits, {problem: overfit}")


def test_code_comes_from_the_longest_python_fence_not_the_json():
    text = (
        '```json\n{"summary": "x"}\n```\n```python\nprint(1)\n```\n'
        "```python\nimport os\nprint(os.sep)\n```"
    )
    assert extract_code(text) == "import os\nprint(os.sep)\n"
    assert extract_code("```python\nx = 1\n", None) == "x = 1\n"  # cut-off last fence
    assert extract_code('{"code": "y = 2"}', {"code": "y = 2"}) == "y = 2\n"
    with pytest.raises(MalformedAnswer, match="no code"):
        extract_code("I would use gradient boosting.")


def test_code_must_parse_and_keep_the_contract():
    with pytest.raises(MalformedAnswer, match=r"does not parse: .* line 2"):
        check_code("x = 1\ndef broken(:\n")
    with pytest.raises(MalformedAnswer, match="ASCENT_RESULT"):
        check_code("print('hi')\n", [("ASCENT_RESULT", "it must print ASCENT_RESULT")])
    check_code("print('ASCENT_RESULT {}')\n", [("ASCENT_RESULT", "-")])


def test_validation_names_missing_and_wrong_fields_and_drops_chatter():
    with pytest.raises(MalformedAnswer, match="`direction`: Field required"):
        validate(Diagnosis, {"problem": "overfits"})
    with pytest.raises(MalformedAnswer, match="`confidence`"):
        validate(Diagnosis, {"problem": "p", "direction": "d", "confidence": 3})
    d = validate(Diagnosis, {"problem": "p", "direction": "d", "note": "extra"})
    assert d.direction == "d"
    p = validate(Proposals, [{"change": "a:b", "kind": "a", "why": "chatter"}])
    assert p.hypotheses[0].change == "a:b"
    with pytest.raises(MalformedAnswer, match="hypotheses"):
        validate(Proposals, {"hypotheses": []})
