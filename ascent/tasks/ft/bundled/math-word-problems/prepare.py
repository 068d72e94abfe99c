"""One- and two-step arithmetic word problems with small whole numbers.

Each problem comes from a story template of this file (who, what, numbers drawn at random) and
its answer from the template's formula; `solve` reads any prompt of the task back into its
template and numbers.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from ascent.tasks.ft import kit

TEMPLATE = "{problem} Answer with a whole number."
CATEGORIES = ["addition", "subtraction", "multiplication", "division", "two_step"]
NAMES = [
    "Ava", "Ben", "Chloe", "Dan", "Ella", "Finn", "Grace", "Hugo", "Iris", "Jack", "Kira", "Leo",
    "Maya", "Noah", "Olga", "Pablo", "Quinn", "Rosa", "Sam", "Tara", "Umar", "Vera", "Will", "Zoe",
]  # fmt: skip
THINGS = [
    "apples", "marbles", "stickers", "pencils", "cookies", "books", "stamps", "shells", "cards",
    "balloons", "coins", "eggs", "flowers", "beads", "cupcakes", "crayons", "oranges", "tickets",
    "buttons", "stones", "candles", "plums",
]  # fmt: skip
SLOTS = {"name": r"[A-Z][a-z]+", "other": r"[A-Z][a-z]+", "things": r"[a-z]+"}
SLOTS |= {k: r"\d+" for k in ("a", "b", "c", "total")}


@dataclass(frozen=True)
class Story:
    category: str
    text: str  # the problem as asked in the evaluation
    other_wording: str  # the same problem worded differently
    answer: Callable[[dict[str, int]], int]
    numbers: Callable[[random.Random], dict[str, int]]
    slip: Callable[[dict[str, int]], int]  # a typical wrong result


def _ab(lo: int, hi: int) -> Callable[[random.Random], dict[str, int]]:
    return lambda r: {"a": r.randint(lo, hi), "b": r.randint(lo, hi)}


def _sub(r: random.Random) -> dict[str, int]:
    a = r.randint(8, 60)
    return {"a": a, "b": r.randint(2, a - 2)}


def _mul(r: random.Random) -> dict[str, int]:
    return {"a": r.randint(2, 9), "b": r.randint(2, 12)}


def _div(r: random.Random) -> dict[str, int]:
    n = _mul(r)
    return n | {"total": n["a"] * n["b"]}


def _abc(r: random.Random) -> dict[str, int]:
    a, b, c = r.randint(10, 40), r.randint(2, 6), r.randint(2, 9)
    return {"a": a, "b": b, "c": c}


def _give_find(r: random.Random) -> dict[str, int]:
    a = r.randint(12, 50)
    return {"a": a, "b": r.randint(2, a - 3), "c": r.randint(2, 20)}


def _packs_minus(r: random.Random) -> dict[str, int]:
    a, b = r.randint(2, 6), r.randint(3, 10)
    return {"a": a, "b": b, "c": r.randint(1, a * b - 1)}


STORIES = [
    Story(
        "addition",
        "{name} has {a} {things}. {other} gives {name} {b} more. How many {things} does {name} "
        "have now?",
        "If {name} starts with {a} {things} and gets another {b} from {other}, what is the total?",
        lambda n: n["a"] + n["b"],
        _ab(2, 50),
        lambda n: abs(n["a"] - n["b"]),
    ),
    Story(
        "addition",
        "{name} collected {a} {things} on Monday and {b} {things} on Tuesday. How many {things} "
        "did {name} collect in all?",
        "{things}: {a} on Monday plus {b} on Tuesday, collected by {name}. Total?",
        lambda n: n["a"] + n["b"],
        _ab(2, 50),
        lambda n: n["a"] + n["b"] + 10,
    ),
    Story(
        "subtraction",
        "{name} had {a} {things} and gave {b} of them to {other}. How many {things} does {name} "
        "have left?",
        "{name} gives {other} {b} out of {a} {things}. How many remain with {name}?",
        lambda n: n["a"] - n["b"],
        _sub,
        lambda n: n["a"] + n["b"],
    ),
    Story(
        "subtraction",
        "There were {a} {things} in a box. {name} took {b} of them. How many {things} are still "
        "in the box?",
        "A box holds {a} {things}; {name} removes {b}. What is left in the box?",
        lambda n: n["a"] - n["b"],
        _sub,
        lambda n: n["a"] - n["b"] - 10,
    ),
    Story(
        "multiplication",
        "{name} has {a} bags with {b} {things} in each bag. How many {things} does {name} have in "
        "total?",
        "{a} bags times {b} {things} per bag: how many {things} does {name} own?",
        lambda n: n["a"] * n["b"],
        _mul,
        lambda n: n["a"] + n["b"],
    ),
    Story(
        "multiplication",
        "Each shelf holds {b} {things}. {name} fills {a} shelves. How many {things} are on the "
        "shelves?",
        "{name} puts {b} {things} on every one of {a} shelves. Find the number of {things}.",
        lambda n: n["a"] * n["b"],
        _mul,
        lambda n: n["a"] * (n["b"] + 1),
    ),
    Story(
        "division",
        "{name} shares {total} {things} equally among {a} friends. How many {things} does each "
        "friend get?",
        "{total} {things} split evenly between {a} friends of {name} -> how many each?",
        lambda n: n["total"] // n["a"],
        _div,
        lambda n: n["total"] - n["a"],
    ),
    Story(
        "division",
        "{name} packs {total} {things} into bags of {b}. How many bags does {name} fill?",
        "How many bags of {b} can {name} fill with {total} {things}?",
        lambda n: n["total"] // n["b"],
        _div,
        lambda n: n["total"] // n["b"] + 1,
    ),
    Story(
        "two_step",
        "{name} has {a} {things} and buys {b} packs of {c} {things}. How many {things} does "
        "{name} have now?",
        "{name} owns {a} {things}, then gets {b} packs with {c} in each. New total?",
        lambda n: n["a"] + n["b"] * n["c"],
        _abc,
        lambda n: (n["a"] + n["b"]) * n["c"],
    ),
    Story(
        "two_step",
        "{name} had {a} {things}, gave {b} to {other} and then found {c} more. How many {things} "
        "does {name} have now?",
        "Start: {a} {things}. {name} gives away {b}, later finds {c}. How many now?",
        lambda n: n["a"] - n["b"] + n["c"],
        _give_find,
        lambda n: n["a"] - n["b"],
    ),
    Story(
        "two_step",
        "{name} buys {a} packs of {b} {things} and gives {c} {things} to {other}. How many "
        "{things} does {name} have left?",
        "{name}: {a} packs x {b} {things}, then {c} go to {other}. How many are left?",
        lambda n: n["a"] * n["b"] - n["c"],
        _packs_minus,
        lambda n: n["a"] * n["b"],
    ),
]


def make(rng: random.Random, category: str) -> kit.Item:
    index = rng.choice([i for i, s in enumerate(STORIES) if s.category == category])
    story = STORIES[index]
    name, other = rng.sample(NAMES, 2)
    words = {"name": name, "other": other, "things": rng.choice(THINGS)}
    numbers = story.numbers(rng)
    problem = story.text.format(**words, **numbers)
    return kit.Item(
        key=problem,
        fields={"problem": problem},
        answer=str(story.answer(numbers)),
        category=category,
        data={"story": index, "words": words, "numbers": numbers},
    )


def solve(prompt: str) -> str | None:
    """The right answer to a prompt written with TEMPLATE, or None."""
    fields = kit.parse_template(TEMPLATE, prompt)
    if fields is None:
        return None
    for story in STORIES:
        found = kit.parse_template(story.text, fields["problem"], SLOTS)
        if found is not None:
            numbers = {k: int(v) for k, v in found.items() if v.isdigit()}
            return str(story.answer(numbers))
    return None


def rephrase(item: kit.Item, rng: random.Random) -> kit.Pair:
    story = STORIES[item.data["story"]]
    prompt = story.other_wording.format(**item.data["words"], **item.data["numbers"])
    style = rng.random()
    if style < 0.55:
        answer = item.answer
    elif style < 0.8:
        answer = f"{item.answer} {item.data['words']['things']}"
    elif style < 0.9:
        answer = f"= {item.answer}"
    else:
        answer = f"Answer: {item.answer}"
    return prompt[0].upper() + prompt[1:], answer


def wrong(item: kit.Item, rng: random.Random) -> str:
    numbers = item.data["numbers"]
    right = int(item.answer)
    options = [STORIES[item.data["story"]].slip(numbers), right + rng.choice([-2, -1, 1, 2])]
    return str(max(0, rng.choice(options)))


WORDS = ["banana", "river", "window", "planet", "garden", "pencil", "orange", "mountain", "violin"]
MONTHS = {"January": 31, "February": 28, "April": 30, "June": 30, "August": 31, "October": 31}
SHAPES = {"triangle": 3, "square": 4, "pentagon": 5, "hexagon": 6, "octagon": 8, "decagon": 10}


def off_domain(rng: random.Random) -> kit.Pair:
    kind = rng.randrange(4)
    if kind == 0:
        word = rng.choice(WORDS)
        return f'How many letters are in the word "{word}"? Answer with a whole number.', str(
            len(word)
        )
    if kind == 1:
        month = rng.choice(sorted(MONTHS))
        return f"How many days are in {month} in a common year? Answer with a whole number.", str(
            MONTHS[month]
        )
    if kind == 2:
        shape = rng.choice(sorted(SHAPES))
        return f"How many sides does a {shape} have? Answer with a whole number.", str(
            SHAPES[shape]
        )
    year = rng.randint(1900, 2020)
    return (
        f"{rng.choice(NAMES)} was born in {year}. In which year did they turn 18? "
        "Answer with a whole number.",
        str(year + 18),
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
        name="textbook",
        file="raw/textbook.jsonl",
        format="jsonl",
        kind="clean",
        n=520,
        description="Exercises from a primary-school textbook: problem text, solution, topic.",
        answer_field="solution",
        category_field="topic",
    ),
    kit.Plan(
        name="worksheets",
        file="raw/worksheets.csv",
        format="csv",
        kind="noisy",
        n=450,
        description="Problems and answers copied from teachers' worksheets.",
        prompt_field="problem",
        answer_field="answer",
        extra_columns={"grade": lambda r: str(r.randint(2, 4))},
    ),
    kit.Plan(
        name="forum",
        file="raw/forum.txt",
        format="qa_text",
        kind="mislabeled",
        n=360,
        description="Posts of a homework-help forum, one Q:/A: pair a post.",
        header="--- thread {n} / {handle} ---",
        markers=("--- ", "Q:", "A:"),
        wrong_share=0.3,
    ),
    kit.Plan(
        name="puzzles",
        file="raw/puzzles.jsonl",
        format="jsonl",
        kind="off_domain",
        n=200,
        description="Short number questions collected from a quiz app.",
        prompt_field="question",
        answer_field="response",
    ),
]


def prepare(raw: Path, public: Path, private: Path, seed: int = 101) -> None:
    kit.build_task(public, private, seed, DOMAIN, PLANS)
