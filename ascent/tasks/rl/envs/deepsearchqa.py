"""DeepSearchQA adapter: DeepSearchQA's questions played in the `searchqa` environment over a
local corpus the user provides.

DeepSearchQA (Google DeepMind, 2025; Hugging Face `google/deepsearchqa`, one `eval` split) is a
CSV file, `DSQA-full.csv`, with the columns `problem`, `problem_category`, `answer` and
`answer_type` (`Single Answer` or `Set Answer`, the answer then a comma-separated list). Its
questions are meant for agents on the open web; here the web is replaced by a folder of
documents on this machine (`.txt`/`.md` files, the file name as title, or `.jsonl` files of
`{"title", "text"}` records, `{"id", "contents"}` as Pyserini writes them also read), searched
with the environment's BM25. A question file in the plain format `{"question", "answer"}` per
line (`questions.jsonl`) is read as well.

Grading is by normalised exact match, as in `searchqa`: a single answer must equal the reference
after normalisation, a set answer must name the same set of items. This is stricter than
DeepSearchQA's LLM judge, which accepts paraphrases. The expert of an episode searches the
question, opens the document ranked first and answers with the reference: a demonstration of
the action format, not evidence that the corpus holds the answer.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from pydantic import BaseModel

from ascent.tasks.rl.envs.base import EnvConfig, EnvError, Environment
from ascent.tasks.rl.envs.searchqa import Index, Question, SearchQaEpisode, normalise

CORPUS_FILE = "corpus.jsonl"
QUESTIONS_FILE = "deepsearchqa_questions.jsonl"
MAX_TITLE = 100  # an `open <title>` action must fit the action length limit
_ANSWER = re.compile(r"^answer\b[\s:]*(.*)$", re.IGNORECASE)
_ITEMS = re.compile(r"\s*(?:,|;|\n|\band\b)\s*")


class Passage(BaseModel):
    """One document of the user's corpus; the search index reads its title and text."""

    title: str
    text: str


class DsqaQuestion(BaseModel):
    seed: int
    problem: str
    answer: str
    answer_type: str = "Single Answer"
    category: str = ""

    @property
    def is_set(self) -> bool:
        return self.answer_type.strip().lower().startswith("set")


def answer_items(answer: str) -> frozenset[str]:
    """The normalised items of a set answer (commas, semicolons, lines or `and` between)."""
    return frozenset(n for n in (normalise(p) for p in _ITEMS.split(answer)) if n)


def correct(reply: str, question: DsqaQuestion) -> bool:
    if question.is_set:
        wanted = answer_items(question.answer)
        return bool(wanted) and answer_items(reply) == wanted
    return bool(normalise(question.answer)) and normalise(reply) == normalise(question.answer)


def read_corpus(folder: Path) -> list[Passage]:
    """Every document of the folder (recursively), sorted by path; titles made unique."""
    passages: list[Passage] = []
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        suffix = path.suffix.lower()
        if suffix in (".txt", ".md"):
            text = path.read_text(encoding="utf-8", errors="replace").strip()
            if text:
                passages.append(Passage(title=path.stem.replace("_", " "), text=text))
        elif suffix == ".jsonl":
            lines = path.read_text(encoding="utf-8").splitlines()
            for number, line in enumerate(lines, 1):
                if not line.strip():
                    continue
                try:
                    record = json.loads(line)
                except ValueError as exc:
                    raise EnvError(f"{path} line {number} is not JSON") from exc
                title = str(record.get("title") or record.get("id") or "").strip()
                text = str(record.get("text") or record.get("contents") or "").strip()
                if not title or not text:
                    raise EnvError(
                        f"{path} line {number} needs a title and a text "
                        '({"title", "text"} or {"id", "contents"})'
                    )
                passages.append(Passage(title=title, text=text))
    seen: dict[str, int] = {}
    unique = []
    for p in passages:
        title = " ".join(p.title.split())[:MAX_TITLE]
        count = seen.get(title.lower(), 0)
        seen[title.lower()] = count + 1
        unique.append(Passage(title=f"{title} ({count + 1})" if count else title, text=p.text))
    return unique


class DeepSearchQaEpisode(SearchQaEpisode):
    env: DeepSearchQaEnvironment

    def _start(self, seed: int) -> tuple[str, str, list[str]]:
        self.question = self.env.question(seed)
        self.results, self.listed = [], set()
        opening = "Search the documents, open the ones you need, then answer."
        if self.env.record(seed).is_set:
            opening += " The answer is a list: give every item, separated by commas."
        return self.question.text, opening, self._actions()

    def _act(self, action: str) -> tuple[str, float, bool, list[str]]:
        match = _ANSWER.match(action.strip())
        reply = match.group(1).strip().strip("[]<>\"'").strip() if match else ""
        if reply:
            right = correct(reply, self.env.record(self.seed or 0))
            return ("Correct." if right else "Wrong answer."), float(right), True, []
        return super()._act(action)


class DeepSearchQaEnvironment(Environment):
    name = "deepsearchqa"

    def __init__(self, config: EnvConfig, data_dir: Path) -> None:
        super().__init__(config, data_dir)
        try:
            docs = (data_dir / CORPUS_FILE).read_text(encoding="utf-8").splitlines()
            rows = (data_dir / QUESTIONS_FILE).read_text(encoding="utf-8").splitlines()
        except OSError as exc:
            raise EnvError(f"the DeepSearchQA data in {data_dir} cannot be read") from exc
        self.corpus = [Passage.model_validate_json(line) for line in docs if line.strip()]
        self.by_lower = {d.title.lower(): d for d in self.corpus}
        self.index = Index(self.corpus)  # type: ignore[arg-type]  # reads title and text only
        records = [DsqaQuestion.model_validate_json(line) for line in rows if line.strip()]
        self.records = {q.seed: q for q in records}
        self._known = set(config.train_seeds) | set(config.test_seeds)

    def record(self, seed: int) -> DsqaQuestion:
        if seed not in self._known or seed not in self.records:
            raise EnvError(f"no DeepSearchQA episode has seed {seed}")
        return self.records[seed]

    def question(self, seed: int) -> Question:
        record = self.record(seed)
        hits = self.index.search(record.problem, k=1)
        return Question(
            seed=seed,
            text=record.problem,
            subject=record.problem,
            path=[],
            chain=[h.title for h in hits],
            answer=record.answer,
        )

    def episode(self) -> DeepSearchQaEpisode:
        return DeepSearchQaEpisode(self)


def write_deepsearchqa(
    data_dir: Path, corpus: list[Passage], questions: list[DsqaQuestion]
) -> None:
    for name, rows in ((CORPUS_FILE, corpus), (QUESTIONS_FILE, questions)):
        text = "\n".join(json.dumps(r.model_dump()) for r in rows) + "\n"
        (data_dir / name).write_text(text, encoding="utf-8")
