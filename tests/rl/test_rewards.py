"""Rule rewards: reading the final number of a reply and the program a reply stands for."""

from __future__ import annotations

import random

import pytest

from ascent.tasks.rl.kit import disjoint, extract_code, final_number, numbers_equal, program_for


@pytest.mark.parametrize(
    ("reply", "value"),
    [
        ("3 + 4 = 7\n7 * 2 = 14\nAnswer: 14", 14),
        ("Answer: 12. Then 5 more, 17.", 12),
        ("First answer: 3\nNo wait.\nThe answer is 1,250.", 1250),
        ("He has $12 left #### 12", 12),
        ("Answer = -3", -3),
        ("x2 and H2O make 9", 9),
        ("No answer here, only words.", None),
        ("Answer: 7.5", 7.5),
        ("", None),
        (None, None),
        ("Answer: 1e999", None),  # not a plain number
    ],
)
def test_final_number(reply, value):
    assert final_number(reply) == value


def test_numbers_equal_is_exact_up_to_rounding_noise():
    assert numbers_equal(12.0, "12") and numbers_equal(1250.0, "1,250")
    assert not numbers_equal(12.5, "12") and not numbers_equal(None, "12")
    assert not numbers_equal(3.0, "three")


STUB = 'import math\n\ndef area(r: float) -> float:\n    """Area of a circle."""\n'


def test_program_for_a_full_function_keeps_the_stub_imports():
    reply = "Here you go:\n```python\ndef area(r):\n    return math.pi * r * r\n```\nDone."
    program = program_for(STUB, reply, "area")
    assert program.startswith("import math") and "return math.pi" in program
    namespace: dict = {}
    exec(compile(program, "p", "exec"), namespace)
    assert namespace["area"](1.0) == pytest.approx(3.14159, rel=1e-4)


def test_program_for_a_body_completes_the_stub():
    program = program_for(STUB, "return math.pi * r ** 2", "area")
    assert program.startswith(STUB.rstrip("\n")) and program.endswith("    return math.pi * r ** 2")


def test_extract_code_prefers_the_block_defining_the_entry_point():
    reply = "```\nprint(1)\n```\n```python\ndef area(r):\n    return 0\n```"
    assert extract_code(reply, "area").startswith("def area")
    assert extract_code("```python\ndef area(r):\n    return", "area").startswith("def area")
    assert extract_code(None) == "" and program_for(STUB, "   ", "area") == ""


def test_disjoint_groups_share_no_key_with_the_held_out_items():
    def make(rng: random.Random) -> tuple[str, int]:
        n = rng.randrange(400)
        return str(n), n

    (a, b), test = disjoint(make, 7, [50, 20], 40)
    assert len(set(a) | set(b) | set(test)) == 110
    again, _ = disjoint(make, 7, [50, 20], 40)
    assert again[0] == a
    with pytest.raises(ValueError, match="ran out"):
        disjoint(make, 7, [500], 0, max_tries=2)
