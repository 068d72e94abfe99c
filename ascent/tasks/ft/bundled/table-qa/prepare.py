"""Questions over a tiny table: look a cell up, or find the row with the highest/lowest number.

Tables (3 to 5 rows, 3 pipe-separated columns: a key, a text and a number column) are drawn
from this file's themes; values within a column are distinct, so every question has exactly
one answer. `solve` reads the table and question of any prompt of the task and answers it.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from pathlib import Path

from ascent.tasks.ft import kit

TEMPLATE = "Table:\n{table}\nQuestion: {question}\nAnswer with a value from the table."
CATEGORIES = ["lookup", "max", "min"]
LOOKUP = "What is the {column} of {key}?"
EXTREME = "Which {key_column} has the {extreme} {column}?"
SLOTS = {"column": r"\w+", "key_column": r"\w+", "extreme": r"highest|lowest", "key": r".+"}


@dataclass(frozen=True)
class Theme:
    key: str
    text: str
    number: str
    keys: tuple[str, ...]
    texts: tuple[str, ...]
    low: int
    high: int


THEMES = [
    Theme(
        "name",
        "city",
        "age",
        ("Anna", "Ben", "Carla", "David", "Emil", "Fatima", "Georg", "Hana", "Ivan", "Julia",
         "Karim", "Lena", "Marco", "Nina", "Oscar", "Priya", "Rafael", "Sofia", "Tomas", "Yuki"),
        ("Oslo", "Rome", "Lima", "Cairo", "Dublin", "Madrid", "Quito", "Kyoto", "Perth", "Tunis",
         "Vienna", "Zurich"),
        18,
        90,
    ),
    Theme(
        "product",
        "color",
        "price",
        ("lamp", "chair", "kettle", "mirror", "rug", "vase", "clock", "shelf", "stool", "desk",
         "pillow", "basket", "blender", "toaster"),
        ("red", "blue", "green", "black", "white", "grey", "yellow", "brown", "orange", "pink"),
        5,
        400,
    ),
    Theme(
        "team",
        "coach",
        "points",
        ("Lions", "Tigers", "Eagles", "Sharks", "Wolves", "Bears", "Falcons", "Hornets", "Owls",
         "Bulls", "Foxes", "Rams"),
        ("Silva", "Novak", "Okafor", "Berg", "Tanaka", "Moreau", "Kowalski", "Haddad", "Rossi",
         "Larsen"),
        0,
        99,
    ),
    Theme(
        "student",
        "subject",
        "score",
        ("Ali", "Bea", "Cy", "Dina", "Eli", "Faye", "Gus", "Ines", "Jon", "Kai", "Liv", "Mo",
         "Nell", "Otto", "Pia", "Rex"),
        ("math", "history", "biology", "physics", "art", "music", "chemistry", "geography"),
        30,
        100,
    ),
    Theme(
        "store",
        "district",
        "sales",
        ("Maple", "Cedar", "Birch", "Willow", "Aspen", "Juniper", "Hazel", "Rowan", "Spruce",
         "Alder"),
        ("north", "south", "east", "west", "harbor", "center", "airport", "old town"),
        100,
        999,
    ),
]  # fmt: skip


def render(columns: list[str], rows: list[list[str]]) -> str:
    return "\n".join(" | ".join(cells) for cells in [columns, *rows])


def parse_table(text: str) -> tuple[list[str], list[list[str]]] | None:
    lines = [[c.strip() for c in line.split("|")] for line in text.strip().splitlines()]
    if len(lines) < 2 or any(len(cells) != len(lines[0]) for cells in lines):
        return None
    return lines[0], lines[1:]


def make(rng: random.Random, category: str) -> kit.Item:
    theme = rng.choice(THEMES)
    n = rng.randint(3, 5)
    keys = rng.sample(theme.keys, n)
    texts = rng.sample(theme.texts, n)
    numbers = rng.sample(range(theme.low, theme.high + 1), n)
    columns = [theme.key, theme.text, theme.number]
    rows = [[k, t, str(v)] for k, t, v in zip(keys, texts, numbers, strict=True)]
    if category == "lookup":
        row = rng.randrange(n)
        col = rng.choice([1, 2])
        question = LOOKUP.format(column=columns[col], key=keys[row])
        answer = rows[row][col]
    else:
        extreme = "highest" if category == "max" else "lowest"
        question = EXTREME.format(key_column=theme.key, extreme=extreme, column=theme.number)
        answer = keys[numbers.index(max(numbers) if category == "max" else min(numbers))]
    table = render(columns, rows)
    return kit.Item(
        key=f"{table}\n{question}",
        fields={"table": table, "question": question},
        answer=answer,
        category=category,
        data={"columns": columns, "rows": rows},
    )


def answer_question(columns: list[str], rows: list[list[str]], question: str) -> str | None:
    found = kit.parse_template(LOOKUP, question, SLOTS)
    if found and found["column"] in columns:
        col = columns.index(found["column"])
        hits = [r[col] for r in rows if r[0] == found["key"]]
        return hits[0] if len(hits) == 1 else None
    found = kit.parse_template(EXTREME, question, SLOTS)
    if found and found["column"] in columns:
        col = columns.index(found["column"])
        try:
            values = [float(r[col]) for r in rows]
        except ValueError:
            return None
        best = max(values) if found["extreme"] == "highest" else min(values)
        return rows[values.index(best)][0]
    return None


def solve(prompt: str) -> str | None:
    """The right answer to a prompt written with TEMPLATE, or None."""
    fields = kit.parse_template(TEMPLATE, prompt)
    table = parse_table(fields["table"]) if fields else None
    if fields is None or table is None:
        return None
    return answer_question(*table, fields["question"])


def rephrase(item: kit.Item, rng: random.Random) -> kit.Pair:
    columns, rows = item.data["columns"], item.data["rows"]
    records = "; ".join(
        ", ".join(f"{c}={v}" for c, v in zip(columns, r, strict=True)) for r in rows
    )
    question = item.fields["question"]
    found = kit.parse_template(LOOKUP, question, SLOTS)
    if found:
        question = f"Look up the {found['column']} for {found['key']}."
    else:
        size = "largest" if "highest" in question else "smallest"
        question = f"Which {columns[0]} has the {size} {columns[2]}?"
    answer = item.answer
    style = rng.random()
    if style < 0.15:
        answer = answer.lower()
    elif style < 0.3:
        answer = f"{answer}."
    elif style < 0.4:
        answer = f"It is {answer}"
    return f"Records: {records}\n{question}", answer


def wrong(item: kit.Item, rng: random.Random) -> str:
    columns, rows = item.data["columns"], item.data["rows"]
    found = kit.parse_template(LOOKUP, item.fields["question"], SLOTS)
    if found:
        col = columns.index(found["column"])
        return rng.choice([r[col] for r in rows if r[col] != item.answer])
    values = [int(r[2]) for r in rows]
    opposite = rows[values.index(min(values) if item.category == "max" else max(values))][0]
    return rng.choice([opposite, rng.choice([r[0] for r in rows if r[0] != item.answer])])


def off_domain(rng: random.Random) -> kit.Pair:
    people, cities = THEMES[0].keys, THEMES[0].texts
    name, city, year = rng.choice(people), rng.choice(cities), rng.randint(1990, 2023)
    kind = rng.randrange(3)
    if kind == 0:
        text, question, answer = (
            f"{name} moved to {city} in {year}.",
            f"Where did {name} move?",
            city,
        )
    elif kind == 1:
        text, question, answer = f"{name} moved to {city} in {year}.", "In which year?", str(year)
    else:
        other = rng.choice([p for p in people if p != name])
        text = f"{name} sold the {rng.choice(THEMES[1].keys)} to {other}."
        question, answer = "Who bought it?", other
    return f"Sentence: {text}\nQuestion: {question}\nAnswer with one word.", answer


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
        name="tables",
        file="raw/tables.jsonl",
        format="jsonl",
        kind="clean",
        n=500,
        description="Structured records: a pipe-separated table, a question about it, the answer "
        "and the question type.",
        fields={"table": "table_text", "question": "question"},
        answer_field="gold",
        category_field="qtype",
    ),
    kit.Plan(
        name="crowd",
        file="raw/crowd.csv",
        format="csv",
        kind="noisy",
        n=420,
        description="Questions written by crowd workers over records, with their answers.",
        prompt_field="task",
        answer_field="worker_answer",
        extra_columns={"worker": lambda r: f"w{r.randint(1, 60):03d}"},
    ),
    kit.Plan(
        name="forum",
        file="raw/forum.txt",
        format="qa_text",
        kind="mislabeled",
        n=360,
        description="Posts of a spreadsheet-help forum, one Q:/A: pair a post (questions span "
        "several lines).",
        header="=== {handle} · #{n} ===",
        wrong_share=0.3,
    ),
    kit.Plan(
        name="reading",
        file="raw/reading.jsonl",
        format="jsonl",
        kind="off_domain",
        n=200,
        description="Short reading questions with one-word answers.",
        prompt_field="input",
        answer_field="target",
    ),
]


def prepare(raw: Path, public: Path, private: Path, seed: int = 404) -> None:
    kit.build_task(public, private, seed, DOMAIN, PLANS)
