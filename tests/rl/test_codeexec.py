"""Unit tests run against untrusted code: scores are right and the grader never crashes."""

from __future__ import annotations

import pytest

from ascent.tasks.rl.codeexec import (
    backend_name,
    decode,
    parse_tests,
    run_tests,
    run_tests_report,
    same,
)

TESTS = "assert add(1, 2) == 3\nassert add(-1, 1) == 0\nassert add(10, 5) == 15\n"
RIGHT = "def add(a, b):\n    return a + b\n"


def test_correct_code_passes_every_check():
    report = run_tests_report(RIGHT, TESTS, 5.0, entry_point="add")
    assert (report.passed, report.total) == (3, 3) and report.setup_error is None
    assert report.backend == backend_name()


def test_partly_wrong_code_scores_the_share_it_passes():
    code = "def add(a, b):\n    return a + b if a > 0 else 7\n"
    assert run_tests(code, TESTS, 5.0) == pytest.approx(2 / 3)


def test_code_that_does_not_compile_scores_zero_without_a_sandbox():
    report = run_tests_report("def add(a, b)\n    return a +", TESTS, 5.0)
    assert report.fraction == 0.0 and report.setup_error == "SyntaxError"
    assert report.seconds == 0.0
    assert run_tests_report("", TESTS).setup_error == "no code"


def test_an_infinite_loop_times_out_and_keeps_what_passed_before():
    code = "def add(a, b):\n    while a < 0:\n        pass\n    return a + b\n"
    report = run_tests_report(code, TESTS, 1.0)
    assert report.results == [True, False, False]
    assert report.fraction == pytest.approx(1 / 3)


def test_a_loop_at_import_time_scores_zero():
    report = run_tests_report("while True:\n    pass\n", TESTS, 1.0)
    assert report.passed == 0 and report.setup_error in ("_Timeout", "timeout")


def test_crashing_code_scores_zero():
    for code in (
        "import os\ndef add(a, b):\n    os._exit(0)\n",
        "import os, signal\ndef add(a, b):\n    os.kill(os.getpid(), signal.SIGKILL)\n",
        "def add(a, b):\n    raise SystemExit(0)\n",
        "def add(a, b):\n    return add(a, b)\n",
        "def add(a, b):\n    return bytearray(4 * 2**30)\n",
        "raise ValueError('at import')\n",
    ):
        assert run_tests(code, TESTS, 3.0) == 0.0, code


def test_forged_results_do_not_count():
    # Writes passing records for every check on every open descriptor, at import time and from
    # inside the function, then returns wrong values or leaves: value checks are compared here
    # against expected values the child never sees.
    forge = (
        "import os, json\n"
        "def _forge():\n"
        "    for fd in range(3, 64):\n"
        "        for i in range(3):\n"
        "            for rec in ({'i': i, 'ok': True}, {'i': i, 'value': ['int', '3']}):\n"
        "                try:\n"
        "                    os.write(fd, (json.dumps(rec) + '\\n').encode())\n"
        "                except OSError:\n"
        "                    pass\n"
        "_forge()\n"
    )
    wrong = forge + "def add(a, b):\n    _forge()\n    return None\n"
    assert run_tests(wrong, TESTS, 3.0) == 0.0
    leaves = forge + "def add(a, b):\n    _forge()\n    os._exit(0)\n"
    assert run_tests(leaves, TESTS, 3.0) == 0.0
    always_equal = "class E:\n    def __eq__(self, other):\n        return True\n"
    always_equal += "def add(a, b):\n    return E()\n"
    assert run_tests(always_equal, TESTS, 3.0) == 0.0


def test_humaneval_style_check_function():
    tests = "METADATA = {}\n\ndef check(candidate):\n    assert candidate(2, 2) == 4\n    assert candidate(0, 0) == 0\n"
    assert [c.kind for c in parse_tests(tests, "add")].count("value") == 2
    assert run_tests(RIGHT, tests, 5.0, entry_point="add") == 1.0


def test_other_asserts_run_in_the_child():
    tests = "assert abs(add(0.1, 0.2) - 0.3) < 1e-9\nassert add(1, 1) != 3\n"
    assert [c.kind for c in parse_tests(tests)] == ["exec", "exec"]
    assert run_tests(RIGHT, tests, 5.0) == 1.0


def test_tests_that_are_not_python_are_the_tasks_fault():
    with pytest.raises(ValueError, match="not valid Python"):
        parse_tests("assert f(1 ==")


def test_values_are_decoded_as_plain_data_only():
    assert decode(["list", [["int", "1"], ["str", "a"]]]) == [1, "a"]
    assert not same(decode(["opaque"]), decode(["opaque"]))
    assert not same(decode("junk"), None)
    assert same(0.1 + 0.2, 0.3) and not same([1], (1,))
