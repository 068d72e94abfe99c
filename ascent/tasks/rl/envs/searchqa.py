"""`searchqa`: answer a multi-hop question by searching a generated encyclopedia.

In the spirit of DeepSearchQA: a corpus of short documents about fictional cities, people,
companies and products (one document an entity) is generated from the task's seed at prepare
time; a question such as *In which city was the founder of Veltrix born?* needs one to three
documents, each naming the entity the next hop is about. Actions: `search <words>` (the top
three documents by BM25 over title and text, each with a snippet), `open <title>` (the whole
document; only titles some search of the episode listed), `answer <text>` (ends the episode:
reward 1 when it matches the answer after normalisation, else 0).

Each episode seed draws one question. Questions of held-out seeds are about entities reserved
for them (a quarter of each kind), so no training question is ever asked again at evaluation.
"""

from __future__ import annotations

import json
import math
import random
import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field

from ascent.tasks.rl.envs.base import EnvConfig, EnvError, Environment, Episode

Kind = Literal["city", "person", "company", "product"]
TOP_K = 3
SNIPPET_CHARS = 70
TITLE_WEIGHT = 3  # a title's words count as this many occurrences, so an entity's own page leads
SYLLABLES = [
    "ka", "lo", "mi", "ra", "ven", "tor", "sel", "dri", "an", "ul", "bre", "cos", "fen", "gal",
    "hil", "jor", "kes", "lun", "mor", "nev", "pal", "quin", "ros", "sav", "tam", "vel", "wyn",
    "zor", "ith", "ova", "esk", "ard",
]  # fmt: skip
PROFESSIONS = ["chemist", "architect", "engineer", "painter", "economist", "surgeon", "pilot"]
INDUSTRIES = ["robotics", "shipping", "textile", "software", "brewing", "mining", "optics"]
PRODUCT_KINDS = ["drone", "kettle", "bicycle", "camera", "tractor", "synthesizer", "lantern"]
STOPWORDS = frozenset([
    "a", "an", "and", "are", "by", "for", "from", "in", "is", "it", "its", "of", "on", "that",
    "the", "to", "was", "what", "which", "who", "with", "where", "year", "city", "country",
    "company", "founded", "founder", "born", "makes", "made", "headquartered",
])  # fmt: skip
# A question template: the kind of entity it names, the facts followed from it, the wording.
TEMPLATES: list[tuple[Kind, tuple[str, ...], str]] = [
    ("city", ("country",), "In which country is {x}?"),
    ("person", ("birthplace",), "In which city was {x} born?"),
    ("person", ("born",), "In which year was {x} born?"),
    ("person", ("profession",), "What is the profession of {x}?"),
    ("company", ("founder",), "Who founded {x}?"),
    ("company", ("hq",), "In which city is {x} headquartered?"),
    ("company", ("founded",), "In which year was {x} founded?"),
    ("product", ("maker",), "Which company makes the {x}?"),
    ("person", ("birthplace", "country"), "In which country was {x} born?"),
    ("company", ("founder", "birthplace"), "In which city was the founder of {x} born?"),
    ("company", ("hq", "country"), "In which country is {x} headquartered?"),
    ("company", ("founder", "born"), "In which year was the founder of {x} born?"),
    ("product", ("maker", "founder"), "Who founded the company that makes the {x}?"),
    ("product", ("maker", "hq"), "In which city is the company that makes the {x} headquartered?"),
    (
        "company",
        ("founder", "birthplace", "country"),
        "In which country was the founder of {x} born?",
    ),
    (
        "product",
        ("maker", "founder", "birthplace"),
        "In which city was the founder of the company that makes the {x} born?",
    ),
    (
        "product",
        ("maker", "hq", "country"),
        "In which country is the company that makes the {x} headquartered?",
    ),
    (
        "product",
        ("maker", "founder", "born"),
        "In which year was the founder of the company that makes the {x} born?",
    ),
]
_ACTION = re.compile(r"^(search|open|answer)\b[\s:]*(.*)$", re.IGNORECASE)


class Document(BaseModel):
    title: str
    kind: Kind
    text: str
    facts: dict[str, str] = Field(description="Attribute -> value; relations name a title.")
    held_out: bool = Field(False, description="Asked about only by held-out seeds.")


class Question(BaseModel):
    seed: int
    text: str
    subject: str
    path: list[str]
    chain: list[str] = Field(description="The titles to read, in order.")
    answer: str

    @property
    def hops(self) -> int:
        return len(self.chain)


def words(text: str) -> list[str]:
    return re.findall(r"[a-z0-9]+", text.lower())


def normalise(answer: str) -> str:
    """Lower case, no punctuation, no leading article, single spaces."""
    tokens = words(answer)
    if tokens and tokens[0] in ("the", "a", "an"):
        tokens = tokens[1:]
    return " ".join(tokens)


def article(noun: str) -> str:
    return ("an " if noun[0] in "aeiou" else "a ") + noun


def enumerate_names(names: list[str], prefix: str = "") -> str:
    named = [prefix + n for n in names]
    return named[0] if len(named) == 1 else ", ".join(named[:-1]) + " and " + named[-1]


def make_corpus(
    seed: int, n_cities: int = 24, n_people: int = 48, n_companies: int = 36, n_products: int = 48
) -> list[Document]:
    """One document per entity; every name is made of words no other name uses."""
    rng = random.Random(seed)
    used: set[str] = set()

    def word(lo: int = 2, hi: int = 3) -> str:
        for _ in range(10_000):
            candidate = "".join(rng.choice(SYLLABLES) for _ in range(rng.randint(lo, hi)))
            if candidate not in used and candidate not in STOPWORDS:
                used.add(candidate)
                return candidate.capitalize()
        raise EnvError("ran out of fresh names for the corpus")

    countries = [w + ("nia" if w[-1] in "aeiou" else "ia") for w in (word() for _ in range(6))]
    cities = [
        {"title": word(), "country": rng.choice(countries), "pop": rng.randint(20, 900)}
        for _ in range(n_cities)
    ]
    people = [
        {
            "title": f"{word()} {word()}",
            "birthplace": rng.choice(cities)["title"],
            "born": str(rng.randint(1920, 1985)),
            "profession": rng.choice(PROFESSIONS),
        }
        for _ in range(n_people)
    ]
    companies = [
        {
            "title": word(2, 3) + rng.choice(["ix", "ora", "ex", "on"]),
            "founder": rng.choice(people)["title"],
            "hq": rng.choice(cities)["title"],
            "founded": str(rng.randint(1950, 2015)),
            "industry": rng.choice(INDUSTRIES),
        }
        for _ in range(n_companies)
    ]
    products = [
        {
            "title": word(),
            "maker": rng.choice(companies)["title"],
            "kind": rng.choice(PRODUCT_KINDS),
            "sold": str(rng.randint(1960, 2024)),
        }
        for _ in range(n_products)
    ]
    founded_by: dict[str, list[str]] = {p["title"]: [] for p in people}
    for c in companies:
        founded_by[c["founder"]].append(c["title"])
    made_by: dict[str, list[str]] = {c["title"]: [] for c in companies}
    for p in products:
        made_by[p["maker"]].append(p["title"])

    docs: list[Document] = []

    def add(kind: Kind, title: str, text: str, facts: dict[str, str], index: int) -> None:
        # every fourth entity of a kind is asked about only by held-out seeds
        docs.append(
            Document(title=title, kind=kind, text=text, facts=facts, held_out=index % 4 == 3)
        )

    for i, c in enumerate(cities):
        text = f"{c['title']} is a city in {c['country']} with about {c['pop']},000 inhabitants."
        facts = {"country": c["country"]}
        add("city", c["title"], text, facts, i)
    for i, p in enumerate(people):
        text = (
            f"{p['title']} is {article(p['profession'])} born in {p['born']} in {p['birthplace']}."
        )
        if founded_by[p["title"]]:
            text += f" {p['title'].split()[1]} founded {enumerate_names(founded_by[p['title']])}."
        facts = {k: p[k] for k in ("birthplace", "born", "profession")}
        add("person", p["title"], text, facts, i)
    for i, c in enumerate(companies):
        text = (
            f"{c['title']} is {article(c['industry'])} company founded in {c['founded']} by "
            f"{c['founder']}. Its headquarters are in {c['hq']}."
        )
        if made_by[c["title"]]:
            text += f" It makes {enumerate_names(made_by[c['title']], 'the ')}."
        facts = {k: c[k] for k in ("founder", "hq", "founded")}
        add("company", c["title"], text, facts, i)
    for i, p in enumerate(products):
        text = f"The {p['title']} is {article(p['kind'])} made by {p['maker']}, first sold in {p['sold']}."
        add("product", p["title"], text, {"maker": p["maker"]}, i)
    if len({d.title.lower() for d in docs}) != len(docs):
        raise EnvError(f"corpus seed {seed} gives two entities the same name")
    return docs


def make_question(corpus: list[Document], seed: int, held_out: bool) -> Question:
    """The question of `seed`: one to three hops, about an entity of the seed's split."""
    rng = random.Random(seed)
    by_title = {d.title: d for d in corpus}
    hops = rng.randint(1, 3)
    kind, path, wording = rng.choice([t for t in TEMPLATES if len(t[1]) == hops])
    pool = [d for d in corpus if d.kind == kind and d.held_out == held_out]
    if not pool:
        raise EnvError(f"the corpus has no {kind} for {'held-out' if held_out else 'training'}")
    subject = rng.choice(pool)
    chain, doc = [], subject
    for i, key in enumerate(path):
        chain.append(doc.title)
        value = doc.facts[key]
        if i < len(path) - 1:
            doc = by_title[value]
    return Question(
        seed=seed,
        text=wording.format(x=subject.title),
        subject=subject.title,
        path=list(path),
        chain=chain,
        answer=value,
    )


@dataclass
class Hit:
    title: str
    snippet: str
    score: float


class Index:
    """BM25 over each document's title (counted `TITLE_WEIGHT` times) and text."""

    def __init__(self, corpus: list[Document], k1: float = 1.2, b: float = 0.75) -> None:
        self.docs = corpus
        self.k1, self.b = k1, b
        self.tf = [
            Counter(
                words(d.title) * TITLE_WEIGHT + [w for w in words(d.text) if w not in STOPWORDS]
            )
            for d in corpus
        ]
        self.lengths = [sum(tf.values()) for tf in self.tf]
        self.avg = sum(self.lengths) / max(len(self.lengths), 1)
        df = Counter(w for tf in self.tf for w in tf)
        n = len(corpus)
        self.idf = {w: math.log(1 + (n - f + 0.5) / (f + 0.5)) for w, f in df.items()}

    def search(self, query: str, k: int = TOP_K) -> list[Hit]:
        terms = [w for w in dict.fromkeys(words(query)) if w not in STOPWORDS and w in self.idf]
        scored = []
        for doc, tf, length in zip(self.docs, self.tf, self.lengths, strict=True):
            score = 0.0
            for w in terms:
                f = tf.get(w, 0)
                if f:
                    norm = f + self.k1 * (1 - self.b + self.b * length / self.avg)
                    score += self.idf[w] * f * (self.k1 + 1) / norm
            if score > 0:
                scored.append((score, doc))
        scored.sort(key=lambda x: (-x[0], x[1].title))
        return [Hit(d.title, snippet(d.text), s) for s, d in scored[:k]]


def snippet(text: str) -> str:
    return text if len(text) <= SNIPPET_CHARS else text[: SNIPPET_CHARS - 3].rstrip() + "..."


class SearchQaEpisode(Episode):
    def __init__(self, env: SearchQaEnvironment) -> None:
        super().__init__(env.config)
        self.env = env
        self.question: Question | None = None
        self.results: list[str] = []
        self.listed: set[str] = set()  # lower-case titles any search of the episode showed

    def _start(self, seed: int) -> tuple[str, str, list[str]]:
        self.question = self.env.question(seed)
        self.results, self.listed = [], set()
        opening = (
            "Search the encyclopedia, open documents, then answer with the exact name or number."
        )
        return self.question.text, opening, self._actions()

    def _act(self, action: str) -> tuple[str, float, bool, list[str]]:
        assert self.question is not None
        match = _ACTION.match(action)
        arg = (match.group(2) if match else "").strip().strip("[]<>\"'").strip()
        if match is None or not arg:
            text = "Invalid action: use search <words>, open <title> or answer <text>."
            return text, 0.0, False, self._actions()
        verb = match.group(1).lower()
        if verb == "answer":
            right = normalise(arg) == normalise(self.question.answer)
            return ("Correct." if right else "Wrong answer."), float(right), True, []
        if verb == "search":
            hits = self.env.index.search(arg)
            self.results = [h.title for h in hits]
            self.listed |= {t.lower() for t in self.results}
            if not hits:
                return f"No document matches '{arg}'.", 0.0, False, self._actions()
            rows = [f"{i}. {h.title}: {h.snippet}" for i, h in enumerate(hits, 1)]
            return f"Results for '{arg}':\n" + "\n".join(rows), 0.0, False, self._actions()
        doc = self.env.by_lower.get(arg.lower())
        if doc is None or doc.title.lower() not in self.listed:
            text = f"Nothing happens: '{arg}' is not among the search results; search first."
            return text, 0.0, False, self._actions()
        return f"{doc.title}\n{doc.text}", 0.0, False, self._actions()

    def _actions(self) -> list[str]:
        return [f"open {t}" for t in self.results] + ["search <words>", "answer <text>"]

    def expert(self) -> list[str]:
        """For each document of the question's chain, search its title and open it; then
        answer with the fact the last one gives."""
        if self.question is None:
            raise EnvError("reset the episode before asking for the expert's actions")
        plan = [a for title in self.question.chain for a in (f"search {title}", f"open {title}")]
        return [*plan, f"answer {self.question.answer}"]


class SearchQaEnvironment(Environment):
    name = "searchqa"

    def __init__(self, config: EnvConfig, data_dir: Path) -> None:
        super().__init__(config, data_dir)
        path = data_dir / "corpus.jsonl"
        try:
            lines = path.read_text(encoding="utf-8").splitlines()
        except OSError as exc:
            raise EnvError(f"the search corpus {path} cannot be read") from exc
        self.corpus = [Document.model_validate_json(line) for line in lines if line.strip()]
        self.by_lower = {d.title.lower(): d for d in self.corpus}
        self.index = Index(self.corpus)
        self._train, self._test = set(config.train_seeds), set(config.test_seeds)

    def question(self, seed: int) -> Question:
        if seed not in self._train and seed not in self._test:
            raise EnvError(f"no searchqa episode has seed {seed}")
        return make_question(self.corpus, seed, held_out=seed in self._test)

    def episode(self) -> SearchQaEpisode:
        return SearchQaEpisode(self)


def write_corpus(data_dir: Path, corpus: list[Document]) -> None:
    data_dir.mkdir(parents=True, exist_ok=True)
    lines = [json.dumps(d.model_dump()) for d in corpus]
    (data_dir / "corpus.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
