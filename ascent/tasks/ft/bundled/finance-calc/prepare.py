"""Everyday finance calculations: a percentage of an amount, a sale price after a discount,
simple interest, a price including sales tax.

Questions come from this file's templates with amounts and rates drawn at random; answers are
computed exactly (decimal arithmetic) and rounded half up to cents. `solve` reads any prompt of
the task back into its template and numbers.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

from ascent.tasks.ft import kit

TEMPLATE = "{question} Answer with a number rounded to 2 decimal places."
CATEGORIES = ["percent_of", "discount", "simple_interest", "sales_tax"]
PRODUCTS = ["jacket", "lamp", "bicycle", "laptop", "sofa", "printer", "camera", "kettle", "desk"]
SHARES = ["5", "10", "12", "15", "20", "25", "30", "40", "50", "7.5"]  # percentages, discounts
TAXES = ["5", "6", "7.5", "8", "10", "12", "15", "20"]
INTEREST = ["2", "2.5", "3", "4", "5", "6", "8", "10", "12"]
NUMBER = r"\d+(?:\.\d+)?"
SLOTS = {"amount": NUMBER, "p": NUMBER, "t": r"\d+", "product": r"[a-z]+"}
D = Decimal


@dataclass(frozen=True)
class Question:
    category: str
    text: str
    other_wording: str
    value: Callable[[dict[str, Decimal]], Decimal]
    slip: Callable[[dict[str, Decimal]], Decimal]  # a typical wrong result
    rates: list[str]


QUESTIONS = [
    Question(
        "percent_of",
        "What is {p}% of ${amount}?",
        "Calculate {p} percent of {amount} dollars.",
        lambda n: n["amount"] * n["p"] / 100,
        lambda n: n["amount"] * n["p"] / 1000,
        SHARES,
    ),
    Question(
        "percent_of",
        "A restaurant bill is ${amount}. How much is the tip at {p}%?",
        "Tip of {p} percent on a {amount} dollar bill?",
        lambda n: n["amount"] * n["p"] / 100,
        lambda n: n["amount"] * (1 + n["p"] / 100),
        SHARES,
    ),
    Question(
        "discount",
        "A {product} costs ${amount} and is on sale for {p}% off. What is the sale price?",
        "Sale price of a {amount} dollar {product} with a {p} percent discount?",
        lambda n: n["amount"] * (1 - n["p"] / 100),
        lambda n: n["amount"] * n["p"] / 100,
        SHARES,
    ),
    Question(
        "simple_interest",
        "${amount} is invested at {p}% simple interest per year for {t} years. How much "
        "interest is earned?",
        "Simple interest on {amount} dollars at {p} percent a year over {t} years?",
        lambda n: n["amount"] * n["p"] / 100 * n["t"],
        lambda n: n["amount"] * (1 + n["p"] / 100 * n["t"]),
        INTEREST,
    ),
    Question(
        "simple_interest",
        "A loan of ${amount} charges {p}% simple interest per year. How much interest is owed "
        "after {t} years?",
        "Interest owed on a {amount} dollar loan, {p} percent simple per year, {t} years?",
        lambda n: n["amount"] * n["p"] / 100 * n["t"],
        lambda n: n["amount"] * n["p"] / 100,
        INTEREST,
    ),
    Question(
        "sales_tax",
        "A {product} costs ${amount} before a {p}% sales tax. What is the price including tax?",
        "Total cost of a {product} priced {amount} dollars plus {p} percent tax?",
        lambda n: n["amount"] * (1 + n["p"] / 100),
        lambda n: n["amount"] * n["p"] / 100,
        TAXES,
    ),
]


def cents(value: Decimal) -> str:
    return str(value.quantize(D("0.01"), rounding=ROUND_HALF_UP))


def _amount(rng: random.Random) -> str:
    kind = rng.random()
    if kind < 0.5:
        return str(rng.randrange(20, 1000, 10))
    if kind < 0.8:
        return str(rng.randrange(5, 500))
    return f"{rng.randrange(5, 300)}.{rng.choice(['99', '50', '25', '49', '75'])}"


def make(rng: random.Random, category: str) -> kit.Item:
    index = rng.choice([i for i, q in enumerate(QUESTIONS) if q.category == category])
    question = QUESTIONS[index]
    words = {"amount": _amount(rng), "p": rng.choice(question.rates), "t": str(rng.randint(2, 6))}
    words["product"] = rng.choice(PRODUCTS)
    text = question.text.format(**words)
    return kit.Item(
        key=text,
        fields={"question": text},
        answer=cents(question.value(_numbers(words))),
        category=category,
        data={"question": index, "words": words},
    )


def _numbers(words: dict[str, str]) -> dict[str, Decimal]:
    return {k: D(v) for k, v in words.items() if k != "product"}


def solve(prompt: str) -> str | None:
    """The right answer to a prompt written with TEMPLATE, or None."""
    fields = kit.parse_template(TEMPLATE, prompt)
    if fields is None:
        return None
    for question in QUESTIONS:
        found = kit.parse_template(question.text, fields["question"], SLOTS)
        if found is not None:
            return cents(question.value(_numbers(found)))
    return None


def rephrase(item: kit.Item, rng: random.Random) -> kit.Pair:
    question = QUESTIONS[item.data["question"]]
    prompt = question.other_wording.format(**item.data["words"])
    styles = [item.answer, f"${item.answer}", f"USD {item.answer}", item.answer]
    value = D(item.answer)
    if value == value.to_integral_value():
        styles.append(str(int(value)))
    return prompt, rng.choice(styles)


def wrong(item: kit.Item, rng: random.Random) -> str:
    numbers = _numbers(item.data["words"])
    slip = cents(QUESTIONS[item.data["question"]].slip(numbers))
    shifted = cents(D(item.answer) * D(rng.choice(["0.9", "1.1", "10"])))
    return rng.choice([slip, slip, shifted])


def off_domain(rng: random.Random) -> kit.Pair:
    suffix = " Answer with a number rounded to 2 decimal places."
    kind = rng.randrange(3)
    if kind == 0:
        km = rng.randrange(2, 400)
        return f"Convert {km} kilometres to miles.{suffix}", f"{km * 0.621371:.2f}"
    if kind == 1:
        c = rng.randrange(-30, 120)
        return f"Convert {c} degrees Celsius to Fahrenheit.{suffix}", f"{c * 9 / 5 + 32:.2f}"
    r = rng.randrange(1, 40)
    return (
        f"What is the area of a circle with a radius of {r} cm?{suffix}",
        f"{math.pi * r * r:.2f}",
    )


DOMAIN = kit.Domain(
    template=TEMPLATE,
    categories=CATEGORIES,
    make=make,
    rephrase=rephrase,
    wrong=wrong,
    off_domain=off_domain,
)

PLANS = [
    kit.Plan(
        name="calculator",
        file="raw/calculator.jsonl",
        format="jsonl",
        kind="clean",
        n=540,
        description="Records logged by a finance calculator app: question, result, calculation.",
        answer_field="result",
        category_field="calculation",
    ),
    kit.Plan(
        name="homework",
        file="raw/homework.csv",
        format="csv",
        kind="mislabeled",
        n=420,
        description="Answers handed in for a business-maths homework, as exported.",
        prompt_field="question",
        answer_field="submitted_answer",
        extra_columns={"student": lambda r: f"s{r.randint(100, 999)}"},
        wrong_share=0.28,
    ),
    kit.Plan(
        name="money_forum",
        file="raw/money_forum.txt",
        format="qa_text",
        kind="noisy",
        n=380,
        description="Posts of a personal-finance forum, one Q:/A: pair a post.",
        header="#### {handle} wrote (post {n}):",
        markers=("#### ", "Q:", "A:"),
    ),
    kit.Plan(
        name="practice_set",
        file="raw/practice_set.jsonl",
        format="jsonl",
        kind="off_domain",
        n=200,
        description="A practice set of numeric questions with answers to two decimals.",
        prompt_field="q",
        answer_field="a",
    ),
]


def prepare(raw: Path, public: Path, private: Path, seed: int = 202) -> None:
    kit.build_task(public, private, seed, DOMAIN, PLANS)
