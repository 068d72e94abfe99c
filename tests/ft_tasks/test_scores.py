"""The score() of every bundled FT task: right answers score 1, garbage 0, partial credit where
the task gives it, and no text whatsoever makes it raise."""

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ascent.tasks.registry import Registry
from tests.ft_tasks.conftest import FT_TASKS, task_modules

GARBAGE = ["", "   ", "\n\n", "I don't know.", "banana", "?!", "None", "Z" * 300, "\x00\x1b[31m"]
SCORES = {t: task_modules(Registry(plugins=False).get(t))[1] for t in FT_TASKS}


@pytest.mark.parametrize("task_id", FT_TASKS)
def test_right_answers_score_one_and_garbage_zero(ft_prepared, task_id):
    p = ft_prepared(task_id)
    for example in p.dev + p.test:
        assert p.score(example["answer"], example) == 1.0, example
        assert p.score(f"  {example['answer']}\nmore text", example) == 1.0, example
        for junk in GARBAGE:
            assert p.score(junk, example) == 0.0, (junk, example)


@pytest.mark.parametrize("task_id", FT_TASKS)
def test_another_examples_answer_rarely_scores(ft_prepared, task_id):
    p = ft_prepared(task_id)
    test = p.test
    shifted = [p.score(a["answer"], b) for a, b in zip(test, test[1:] + test[:1], strict=True)]
    assert sum(shifted) / len(shifted) < 0.5


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(reply=st.text(max_size=80), index=st.integers(min_value=0, max_value=10_000))
@pytest.mark.parametrize("task_id", FT_TASKS)
def test_score_never_raises(ft_prepared, task_id, reply, index):
    p = ft_prepared(task_id)
    example = p.test[index % len(p.test)]
    for text in (reply, example["answer"] + reply, reply + example["answer"]):
        value = p.score(text, example)
        assert isinstance(value, float) and 0.0 <= value <= 1.0


@pytest.mark.parametrize("task_id", FT_TASKS)
def test_score_survives_odd_examples(task_id):
    score = SCORES[task_id]
    for example in ({}, {"answer": None}, {"answer": ""}, {"answer": "x", "prompt": None}):
        assert score("anything 12", example) == 0.0


def test_math_reads_the_first_number():
    score = SCORES["math-word-problems"]
    example = {"answer": "24"}
    assert score("24 marbles", example) == score("The answer is 24.", example) == 1.0
    assert score("24.0", example) == 1.0
    assert score("25", example) == score("4 bags of 6 make 24", example) == 0.0


def test_finance_gives_credit_within_tolerance():
    score = SCORES["finance-calc"]
    example = {"answer": "150.00"}
    assert score("$150", example) == score("150.01", example) == score("149.99", example) == 1.0
    assert score("151.20", example) == score("$148.60", example) == 0.5
    assert score("165.00", example) == score("15.00", example) == 0.0
    assert score("$1,250.50", {"answer": "1250.50"}) == 1.0


def test_chem_skips_digits_inside_formulas():
    score = SCORES["chem-element-counts"]
    example = {"answer": "4"}
    assert score("H2SO4 has 4 oxygen atoms", example) == 1.0
    assert score("4 atoms", example) == 1.0
    assert score("H2SO4", example) == score("2", example) == 0.0


def test_table_gives_half_credit_for_the_answer_among_words():
    score = SCORES["table-qa"]
    prompt = (
        "Table:\nname | city | age\nAnna | Oslo | 34\nBen | Rome | 27\nCarla | Lima | 45\n"
        "Question: Which name has the lowest age?\nAnswer with a value from the table."
    )
    example = {"answer": "Ben", "prompt": prompt}
    assert score("Ben", example) == score("ben.", example) == score('"Ben"', example) == 1.0
    assert score("It is Ben.", example) == 0.5
    assert score("Ben or Anna", example) == score("Benjamin", example) == 0.0
    assert score("Anna", example) == 0.0
    number = {"answer": "27", "prompt": prompt}
    assert score("27.0", number) == 1.0
    assert score("Ben is 27", number) == 0.0  # names another cell
    assert score("27 years", number) == 0.5
    two_words = {"answer": "old town", "prompt": "x"}
    assert score("Old Town", two_words) == 1.0


def test_protocol_gives_credit_per_position():
    score = SCORES["protocol-ordering"]
    example = {"answer": "CADBE"}
    assert score("CADBE", example) == score("c, a, d, b, e", example) == 1.0
    assert score("C -> A -> D -> B -> E", example) == score("Order: CADBE", example) == 1.0
    assert score("CADEB", example) == pytest.approx(0.6)
    assert score("ACDBE", example) == pytest.approx(0.6)
    assert score("EBDAC", example) == pytest.approx(0.2)
    assert score("CADB", example) == score("CADBB", example) == score("AAAAA", example) == 0.0
    assert score("CADBF", example) == score("CADBEA", example) == 0.0
    four = {"answer": "BDAC"}
    assert score("BDCA", four) == 0.5


def test_patent_needs_exactly_one_field():
    score = SCORES["patent-classification"]
    example = {"answer": "vehicles"}
    assert score("vehicles", example) == score("Vehicles.", example) == 1.0
    assert score("Field: vehicles", example) == 1.0
    assert score("vehicles or construction", example) == 0.0
    assert score("vehicle", example) == score("B60T", example) == 0.0
    assert score("construction", example) == 0.0
