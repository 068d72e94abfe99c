"""Multi-step arithmetic word problems with exact integer answers, for a rule reward.

Each problem is a short story: someone starts with a number of things, then two to four
operations change it (more, fewer, packs of several, doubling, a half, a third, a percentage,
and at the end possibly selling, bagging or sharing them). Every intermediate value is a whole
number. `solve(question)` re-reads a generated question and computes its answer.

Splits: train (with a worked solution) and dev from one generator seed, the held-out test set
from another seed, with no question in common.
"""

from __future__ import annotations

import random
import re
from pathlib import Path

from ascent.tasks.rl import kit

TEMPLATE = (
    "{question}\nSolve the problem step by step, then give the final answer on the last line "
    'as "Answer: <number>".'
)
CATEGORIES = ["two-step", "three-step", "four-step"]
SIZES = {"train": 1002, "dev": 99, "test": 201}  # multiples of three: balanced categories

PEOPLE = [
    ("Maya", "she"),
    ("Liam", "he"),
    ("Zoe", "she"),
    ("Omar", "he"),
    ("Priya", "she"),
    ("Jonas", "he"),
    ("Ana", "she"),
    ("Kenji", "he"),
    ("Lucia", "she"),
    ("Tom", "he"),
    ("Amara", "she"),
    ("Diego", "he"),
    ("Nora", "she"),
    ("Sam", "he"),
    ("Ines", "she"),
    ("Felix", "he"),
    ("Hana", "she"),
    ("Ravi", "he"),
    ("Elena", "she"),
    ("Marcus", "he"),
]
FRIENDS = ["her brother", "his sister", "a neighbour", "a classmate", "a friend", "the school"]
ITEMS = [
    "apples",
    "stickers",
    "marbles",
    "cookies",
    "books",
    "pencils",
    "trading cards",
    "shells",
    "stamps",
    "beads",
    "eggs",
    "cupcakes",
    "toy cars",
    "balloons",
    "comics",
    "candles",
    "buttons",
    "lemons",
    "postcards",
    "seeds",
]
GAIN = ["finds {n} more", "buys {n} more", "is given {n} more", "collects {n} more"]
LOSE = ["gives {n} of them to {friend}", "loses {n} of them", "sells {n} of them"]
TIMES = {2: "twice", 3: "three times"}
LATER = ["A week later", "By the end of the month", "After a while"]


class _Story:
    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.name, self.pronoun = rng.choice(PEOPLE)
        self.items = rng.choice(ITEMS)
        self.x = rng.randint(6, 60)
        self.sentences = [f"{self.name} has {self.x} {self.items}."]
        self.work = [f"{self.name} starts with {self.x} {self.items}."]

    @property
    def he(self) -> str:
        return self.pronoun.capitalize()

    def friend(self) -> str:
        options = [f for f in FRIENDS if not f.startswith("her" if self.pronoun == "he" else "his")]
        return self.rng.choice(options)

    def step(self) -> bool:
        """One operation in the middle of the story; False if it did not apply."""
        rng, x = self.rng, self.x
        kind = rng.choice(["gain", "lose", "packs", "times", "half", "third", "percent"])
        if kind == "gain":
            n = rng.randint(2, 40)
            text = rng.choice(GAIN).format(n=n)
            self._apply(f"{self.he} {text}.", x + n, [f"{x} + {n} = {x + n}"])
        elif kind == "lose" and x > 2:
            n = rng.randint(1, x - 1)
            text = rng.choice(LOSE).format(n=n, friend=self.friend())
            self._apply(f"{self.he} {text}.", x - n, [f"{x} - {n} = {x - n}"])
        elif kind == "packs":
            k, m = rng.randint(2, 6), rng.randint(2, 12)
            sentence = f"{self.he} buys {k} packs with {m} {self.items} in each."
            self._apply(
                sentence, x + k * m, [f"{k} * {m} = {k * m}", f"{x} + {k * m} = {x + k * m}"]
            )
        elif kind == "times" and x <= 400:
            k = rng.choice([2, 3])
            when = rng.choice(LATER)
            sentence = f"{when}, {self.pronoun} has {TIMES[k]} as many {self.items} as before."
            self._apply(sentence, x * k, [f"{x} * {k} = {x * k}"])
        elif kind == "half" and x % 2 == 0:
            sentence = f"{self.he} gives half of them to {self.friend()}."
            self._apply(sentence, x // 2, [f"{x} / 2 = {x // 2}"])
        elif kind == "third" and x % 3 == 0:
            t = x // 3
            sentence = f"{self.he} uses a third of them for a school project."
            self._apply(sentence, x - t, [f"{x} / 3 = {t}", f"{x} - {t} = {x - t}"])
        elif kind == "percent":
            p = rng.choice([10, 20, 25, 50, 75])
            if (x * p) % 100:
                return False
            part = x * p // 100
            sentence = f"{self.he} gives away {p}% of them."
            self._apply(
                sentence, x - part, [f"{x} * {p} / 100 = {part}", f"{x} - {part} = {x - part}"]
            )
        else:
            return False
        return True

    def _apply(self, sentence: str, value: int, work: list[str]) -> None:
        self.sentences.append(sentence)
        self.work.extend(work)
        self.x = value

    def final(self, operation: bool) -> bool:
        """The question; `operation` asks for one that is itself a step."""
        rng, x = self.rng, self.x
        if not operation:
            self.sentences.append(f"How many {self.items} does {self.name} have now?")
            return True
        kind = rng.choice(["price", "bags", "share"])
        if kind == "price":
            p = rng.randint(2, 15)
            self.sentences.append(
                f"{self.he} sells all of them for ${p} each. How many dollars does {self.name} get?"
            )
            self.work.append(f"{x} * {p} = {x * p}")
            self.x = x * p
            return True
        divisors = [k for k in range(2, 13) if x % k == 0 and x // k > 1]
        if not divisors:
            return False
        k = rng.choice(divisors)
        if kind == "bags":
            self.sentences.append(
                f"{self.he} puts them into bags of {k}. How many bags does {self.name} fill?"
            )
        else:
            self.sentences.append(
                f"{self.he} shares them equally among {k} friends. How many {self.items} does "
                "each friend get?"
            )
        self.work.append(f"{x} / {k} = {x // k}")
        self.x = x // k
        return True


def make(rng: random.Random, steps: int) -> dict[str, str] | None:
    story = _Story(rng)
    last_is_step = rng.random() < 0.5
    middle = steps - 1 if last_is_step else steps
    tries = 0
    while len(story.sentences) - 1 < middle:
        tries += 1
        if tries > 50:
            return None
        story.step()
    if not story.final(last_is_step) or not 0 < story.x <= 100_000:
        return None
    question = " ".join(story.sentences)
    solution = "\n".join([*story.work, f"Answer: {story.x}"])
    return {"question": question, "answer": str(story.x), "solution": solution}


# -- solving a question again ---------------------------------------------------------------------

_PATTERNS = [
    (re.compile(r"has (\d+) \w[\w ]*?\.$"), lambda x, m: int(m[1])),
    (re.compile(r"(?:finds|buys|is given|collects) (\d+) more\.$"), lambda x, m: x + int(m[1])),
    (re.compile(r"(?:gives|loses|sells) (\d+) of them"), lambda x, m: x - int(m[1])),
    (re.compile(r"buys (\d+) packs with (\d+) "), lambda x, m: x + int(m[1]) * int(m[2])),
    (re.compile(r"has twice as many"), lambda x, m: x * 2),
    (re.compile(r"has three times as many"), lambda x, m: x * 3),
    (re.compile(r"gives half of them"), lambda x, m: x // 2),
    (re.compile(r"uses a third of them"), lambda x, m: x - x // 3),
    (re.compile(r"gives away (\d+)% of them"), lambda x, m: x - x * int(m[1]) // 100),
    (re.compile(r"sells all of them for \$(\d+) each"), lambda x, m: x * int(m[1])),
    (re.compile(r"into bags of (\d+)\."), lambda x, m: x // int(m[1])),
    (re.compile(r"equally among (\d+) friends"), lambda x, m: x // int(m[1])),
]


def solve(question: str) -> str | None:
    """The answer of a generated question, computed from its text alone."""
    x: int | None = None
    for sentence in re.split(r"(?<=[.?])\s+", question.strip()):
        for pattern, apply in _PATTERNS:
            match = pattern.search(sentence)
            if match and (x is not None or pattern is _PATTERNS[0][0]):
                x = apply(x, match)
                break
    return None if x is None else str(x)


# -- the task files -----------------------------------------------------------------------------


def _split(seed: int) -> dict[str, list[dict[str, str]]]:
    out: dict[str, list[dict[str, str]]] = {"train": [], "dev": [], "test": []}
    for steps, category in enumerate(CATEGORIES, start=2):

        def draw(rng: random.Random, steps: int = steps) -> tuple[str, dict[str, str]]:
            item = None
            while item is None:
                item = make(rng, steps)
            return item["question"], item

        (train, dev), test = kit.disjoint(
            draw,
            seed * 10 + steps,
            [SIZES["train"] // 3, SIZES["dev"] // 3],
            SIZES["test"] // 3,
        )
        for split, items in (("train", train), ("dev", dev), ("test", test)):
            out[split].extend({**item, "category": category} for item in items)
    rng = random.Random(seed)
    for rows in out.values():
        rng.shuffle(rows)
    return out


def prepare(raw: Path, public: Path, private: Path, seed: int = 911) -> None:
    splits = _split(seed)

    def row(i: int, prefix: str, item: dict[str, str], solution: bool) -> dict[str, str]:
        record = {
            "id": f"{prefix}-{i:04d}",
            "prompt": TEMPLATE.format(question=item["question"]),
            "answer": item["answer"],
            "category": item["category"],
        }
        if solution:
            record["solution"] = item["solution"]
        return record

    kit.write_jsonl(
        public / "train.jsonl", [row(i, "train", x, True) for i, x in enumerate(splits["train"])]
    )
    kit.write_jsonl(
        public / "dev.jsonl", [row(i, "dev", x, False) for i, x in enumerate(splits["dev"])]
    )
    kit.write_jsonl(
        private / "test.jsonl", [row(i, "test", x, False) for i, x in enumerate(splits["test"])]
    )
