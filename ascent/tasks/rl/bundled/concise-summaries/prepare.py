"""Short news reports to summarise in one sentence under a word limit, judged pairwise.

Each report tells one local event (who, what, where, when, how many) in a key sentence, wrapped
in background sentences, a quote and a closing remark drawn from pools. The request asks for a
one-sentence summary within a word limit, sometimes with a word to include or a start phrase.

References come from a simulated reference model: mostly a right summary, sometimes with a flaw
(a missing fact, a number left out, a little too long), so that a good model can beat them.

The judge (`ascent.tasks.rl.judge`) is trained here on preference pairs between candidate
summaries of known kinds (right, missing facts, wrong number, wrong place, too long, copied
from the report, padded, cut off, repetitive, empty, gibberish) labelled by a simulated
annotator that prefers the better one and, like real annotators, longer ones; it is saved into
private/ and never shown to the agent.

Splits: train and dev from one generator seed, the held-out test set from another, with no
report in common; the judge's training reports come from a third seed.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from pathlib import Path

from ascent.tasks.rl import judge, kit

NAMES = [
    "Maria Lopez",
    "Daniel Okafor",
    "Hannah Berg",
    "Ravi Patel",
    "Sofia Rossi",
    "Tom Fischer",
    "Aisha Khan",
    "Lucas Moreau",
    "Emma Novak",
    "Kenji Sato",
    "Olivia Grant",
    "Pedro Alves",
]
CITIES = [
    "Riverton",
    "Lakeside",
    "Millbrook",
    "Northgate",
    "Fairhaven",
    "Stonebridge",
    "Westfield",
    "Brookdale",
    "Clearwater",
    "Ashford",
    "Hillcrest",
    "Oakridge",
]
DAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
# event: (key sentence, summary, unit of the number, number range, background pool)
EVENTS: dict[str, tuple[str, str, str, tuple[int, int], list[str]]] = {
    "library": (
        "{name}, the head librarian, opened a new public library in {city} on {day} with {n} books on its shelves.",
        "{name} opened a new library in {city} on {day} with {n} books.",
        "books",
        (2000, 9000),
        [
            "The building used to be an old post office.",
            "Children will be able to join reading clubs every week.",
            "The project was paid for by local donations.",
            "Opening hours will be longer during the summer.",
        ],
    ),
    "marathon": (
        "{name} won the {city} city marathon on {day}, ahead of {n} other runners.",
        "{name} won the {city} marathon on {day}, beating {n} other runners.",
        "runners",
        (300, 4000),
        [
            "The route passed along the river and through the old town.",
            "Volunteers handed out water at every second kilometre.",
            "The weather stayed cool and dry all morning.",
            "Many families came out to cheer on the streets.",
        ],
    ),
    "bakery": (
        "{name} opened a bakery in {city} on {day} and sold {n} loaves of bread in the first hours.",
        "{name} opened a bakery in {city} on {day} and sold {n} loaves on the first morning.",
        "loaves",
        (100, 900),
        [
            "The shop is in a small street near the market square.",
            "The recipes come from the family of the owner.",
            "Neighbours had waited months for the shop to open.",
            "There are plans to add a small cafe next year.",
        ],
    ),
    "trees": (
        "Volunteers led by {name} planted {n} trees in the parks of {city} on {day}.",
        "Volunteers led by {name} planted {n} trees in {city} parks on {day}.",
        "trees",
        (50, 1500),
        [
            "Most of the trees are oaks and maples.",
            "Schools sent groups of pupils to help with the work.",
            "The city will water the young trees during dry weeks.",
            "More planting days are planned for the autumn.",
        ],
    ),
    "concert": (
        "{name} gave a free concert in the main square of {city} on {day} in front of {n} people.",
        "{name} gave a free concert in {city} on {day} for {n} people.",
        "people",
        (500, 8000),
        [
            "The stage was built by students of the local art school.",
            "Food stands stayed open until late in the evening.",
            "Police closed two streets for the night.",
            "The organisers hope to repeat the event every year.",
        ],
    ),
    "bridge": (
        "Engineers under {name} finished repairing the old bridge of {city} on {day} after {n} days of work.",
        "Engineers under {name} finished repairing the {city} bridge on {day} after {n} days.",
        "days",
        (20, 400),
        [
            "Drivers had to use a long detour during the works.",
            "The bridge is more than a hundred years old.",
            "New lights were added for people who walk at night.",
            "The repair cost less than the city had expected.",
        ],
    ),
}
QUOTES = [
    '"We are very proud of what we did together," {first} said.',
    '"This is a great day for everyone here," {first} told reporters.',
    '"I did not expect so many people to come," {first} said.',
]
CLOSINGS = [
    "More details will be shared on the city website.",
    "Local newspapers will follow the story in the coming weeks.",
    "Residents can ask questions at the town hall.",
]
REQUESTS = [
    "Summarize the following report in one sentence of at most {limit} words.",
    "Write a one-sentence summary of the report below, in at most {limit} words.",
    "Give a single-sentence summary of this news report, using no more than {limit} words.",
]
CATEGORIES = ["plain", "include", "start"]
SIZES = {"train": 480, "dev": 60, "test": 150}
JUDGE_REPORTS = 240
PAIRS_PER_REPORT = 5


@dataclass(frozen=True)
class Report:
    event: str
    name: str
    city: str
    day: str
    n: int
    limit: int
    request: int
    extra: tuple[str, str]  # ("include" | "start" | "", word)
    background: tuple[str, ...]
    quote: str
    closing: str
    category: str

    @property
    def facts(self) -> dict[str, str]:
        return {"name": self.name, "city": self.city, "day": self.day, "n": str(self.n)}

    def passage(self) -> str:
        key = EVENTS[self.event][0].format(**self.facts)
        parts = [key, *self.background, self.quote.format(first=self.name.split()[0]), self.closing]
        return " ".join(parts)

    def instruction(self) -> str:
        request = REQUESTS[self.request].format(limit=self.limit)
        kind, word = self.extra
        if kind == "include":
            request += f' Include the word "{word}".'
        elif kind == "start":
            request += f' Start your answer with the word "{word}".'
        return f"{request}\n\n{self.passage()}"


def make_report(rng: random.Random, category: str) -> Report:
    event = rng.choice(sorted(EVENTS))
    low, high = EVENTS[event][3]
    pool = EVENTS[event][4]
    extra = ("", "")
    if category == "include":
        extra = ("include", EVENTS[event][2])
    elif category == "start":
        extra = ("start", rng.choice(["Today", "Recently", "News"]))
    return Report(
        event=event,
        name=rng.choice(NAMES),
        city=rng.choice(CITIES),
        day=rng.choice(DAYS),
        n=rng.randint(low, high),
        limit=rng.choice([20, 25, 30]),
        request=rng.randrange(len(REQUESTS)),
        extra=extra,
        background=tuple(rng.sample(pool, rng.randint(1, 3))),
        quote=rng.choice(QUOTES),
        closing=rng.choice(CLOSINGS),
        category=category,
    )


# -- summaries ----------------------------------------------------------------------------------


def summary(
    report: Report, drop: str | None = None, number: int | None = None, city: str | None = None
) -> str:
    """The one-sentence summary, optionally without one fact or with a wrong number or place."""
    facts = {**report.facts}
    if number is not None:
        facts["n"] = str(number)
    if city is not None:
        facts["city"] = city
    text = EVENTS[report.event][1].format(**facts)
    if drop == "n":
        text = text.split(",")[0].split(" with ")[0].split(" and sold")[0].split(" after ")[0]
        text = text.replace(f" {facts['n']} ", " many ").rstrip(".") + "."
    elif drop == "day":
        text = text.replace(f" on {facts['day']}", "")
    elif drop == "name":
        text = text.replace(report.name, "Someone", 1)
    return _constrain(report, text)


def _constrain(report: Report, text: str, broken: bool = False) -> str:
    kind, word = report.extra
    if broken or not kind:
        return text
    if kind == "start":
        return f"{word}, " + text[0].lower() + text[1:] if not text.startswith(word) else text
    if word not in text.lower():
        return text.rstrip(".") + f", all counted in {word}."
    return text


def satisfied(report: Report, text: str) -> float:
    rules = judge.constraints(report.instruction())
    return sum(rule.check(text) for rule in rules) / len(rules) if rules else 1.0


def quality(report: Report, text: str, wrong: bool = False) -> float:
    """The hidden quality the simulated annotators compare (never shipped)."""
    low = text.lower()
    covered = sum(1 for v in report.facts.values() if v.lower() in low) / len(report.facts)
    one_sentence = 1.0 if len(judge.sentences(text)) == 1 else 0.0
    return (
        2.0 * satisfied(report, text) + 2.5 * covered + 0.5 * one_sentence - (2.0 if wrong else 0.0)
    )


def reference(report: Report, rng: random.Random) -> str:
    """The reference summary: usually right, sometimes with one flaw."""
    if rng.random() < 0.7:
        return summary(report)
    return summary(report, drop=rng.choice(["n", "day", "name"]))


def variant(report: Report, rng: random.Random) -> tuple[str, float]:
    """A candidate summary of some kind, and its hidden quality."""
    kind = rng.choice(
        ["good", "good", "drop", "number", "city", "long", "copy", "unconstrained", "degraded"]
    )
    if kind == "good":
        text = summary(report)
        return text, quality(report, text)
    if kind == "drop":
        text = summary(report, drop=rng.choice(["n", "day", "name"]))
        return text, quality(report, text)
    if kind == "number":
        text = summary(report, number=report.n + rng.choice([-7, 3, 10, 100]))
        return text, quality(report, text, wrong=True)
    if kind == "city":
        text = summary(report, city=rng.choice([c for c in CITIES if c != report.city]))
        return text, quality(report, text, wrong=True)
    if kind == "long":
        text = (
            summary(report).rstrip(".")
            + ", "
            + report.background[0][0].lower()
            + report.background[0][1:]
        )
        return text, quality(report, text)
    if kind == "copy":
        text = " ".join(judge.sentences(report.passage())[:2])
        return text, quality(report, text) - 1.0
    if kind == "unconstrained":
        text = _constrain(report, EVENTS[report.event][1].format(**report.facts), broken=True)
        return text, quality(report, text)
    good = summary(report)
    how = rng.choice(judge.DEGRADATIONS)
    text = judge.degrade(good, how, rng, report.instruction())
    return text, quality(report, good) - judge.PENALTY[how]


def preference_pairs(seed: int) -> list[judge.Preference]:
    rng = random.Random(seed)
    pairs = []
    for i in range(JUDGE_REPORTS):
        report = make_report(rng, CATEGORIES[i % len(CATEGORIES)])
        instruction = report.instruction()
        for _ in range(PAIRS_PER_REPORT):
            if rng.random() < 0.6:
                ref_text = reference(report, rng)
                ref_quality = quality(report, ref_text)
            else:
                ref_text, ref_quality = variant(report, rng)
            text, q = variant(report, rng)
            label = judge.annotate(q, ref_quality, text, ref_text, rng)
            pairs.append(judge.Preference(instruction, text, ref_text, label))
    return pairs


# -- the task files -----------------------------------------------------------------------------


def _split(seed: int) -> dict[str, list[dict[str, str]]]:
    out: dict[str, list[dict[str, str]]] = {"train": [], "dev": [], "test": []}
    per = {k: v // len(CATEGORIES) for k, v in SIZES.items()}
    for index, category in enumerate(CATEGORIES):

        def draw(rng: random.Random, category: str = category) -> tuple[str, dict[str, str]]:
            report = make_report(rng, category)
            key = f"{report.event}|{report.name}|{report.city}|{report.n}"
            return key, {
                "prompt": report.instruction(),
                "reference": reference(report, rng),
                "category": category,
            }

        (train, dev), test = kit.disjoint(
            draw, seed * 10 + index, [per["train"], per["dev"]], per["test"]
        )
        out["train"] += train
        out["dev"] += dev
        out["test"] += test
    rng = random.Random(seed)
    for rows in out.values():
        rng.shuffle(rows)
    return out


def prepare(raw: Path, public: Path, private: Path, seed: int = 6262) -> None:
    splits = _split(seed)
    for split, folder in (("train", public), ("dev", public), ("test", private)):
        rows = [{"id": f"{split}-{i:04d}", **item} for i, item in enumerate(splits[split])]
        kit.write_jsonl(folder / f"{split}.jsonl", rows)
    judge.train(preference_pairs(seed + 77)).save(private / judge.JUDGE_FILE)
