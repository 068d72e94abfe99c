"""The offline pairwise judge of level-2 tasks: a learned, deterministic scorer shipped with a task.

`verdict(instruction, reply, reference)` is the probability, in [0, 1], that `reply` is a better
answer to `instruction` than `reference`. The judge is a logistic regression without intercept
over the differences of hand-written features of the two texts:

| feature | what it measures |
|---|---|
| `constraints` | share of the instruction's verifiable constraints the text satisfies (bullet count, word limits, sentence count, required / forbidden words, start / end phrases, lowercase, no commas, title) |
| `all_constraints` | 1 when it satisfies all of them |
| `topic` | share of the request's content words present |
| `salient` | share of the instruction's numbers and names present |
| `reference` | share of the reference's content words present (the reference scores 1) |
| `precision` | share of its own content words found in the instruction or the reference |
| `unsupported` | share of its numbers found in neither |
| `repetition` | repeated word trigrams |
| `copy` | share of its word 6-grams copied from the instruction |
| `empty`, `wordlike`, `complete` | fewer than 3 words; share of word-like tokens; ends like a finished text |
| `length` | tanh(log((words(reply) + 1) / (words(reference) + 1))), a difference by construction |

so that a reply identical to the reference scores exactly 0.5. A task trains it at prepare time
on preference pairs generated from its own data (`train`), saves it into `private/` (`save`,
JSON, weights rounded: the same bytes every time), and its grader loads it (`load`).

**Length control.** In the spirit of AlpacaEval's length-controlled win rate (Dubois et al.,
2024), whose judge model has a length term that is set to zero at prediction time, the
length-controlled verdict drops the length term from the logit:

    verdict_raw = sigmoid(sum_k w_k * g_k)
    verdict_lc  = sigmoid(sum_{k != length} w_k * g_k)

`verdict()` is length-controlled by default; the task metric, the length-controlled win rate, is
the mean of `verdict_lc` over the held-out instructions. A reply that only adds words to the
reference gains nothing from the length term, and loses on `precision` (its added words are in
neither the instruction nor the reference), `repetition` and any word limit it breaks.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

FORMAT = "ascent-judge"
VERSION = 1
LENGTH = "length"
FEATURES = (
    "constraints",
    "all_constraints",
    "topic",
    "salient",
    "reference",
    "precision",
    "unsupported",
    "repetition",
    "copy",
    "empty",
    "wordlike",
    "complete",
    LENGTH,
)
JUDGE_FILE = "judge.json"

_NUMBER_WORDS = {
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
}


def _wordset(text: str) -> frozenset[str]:
    return frozenset(text.split())


STOPWORDS = _wordset(
    """a about above after again against all also am an and any are as at be because been before
    being below between both but by can could did do does doing down during each few for from
    further had has have having he her here hers herself him himself his how i if in into is it
    its itself just me more most my myself no nor not now of off on once only or other our ours
    ourselves out over own same she should so some such than that the their theirs them themselves
    then there these they this those through to too under until up very was we were what when
    where which while who whom why will with would you your yours yourself yourselves one two
    three four five six seven eight nine ten may might must shall us get got let lets
    """
)
# Words that ask for a format, not for content.
META_WORDS = _wordset(
    """answer answers reply response write give list explain describe tell summarize summarise
    summary following text passage bullet bullets points point words word sentence sentences
    exactly least most letters lowercase uppercase phrase title wrapped double angular brackets
    commas comma start end include mention use using without please short brief paragraph
    whole keep make sure note provide headline report news article story
    """
)

_WORD = re.compile(r"[A-Za-z][A-Za-z'-]*")
_TOKEN = re.compile(r"\S+")
_NUM = re.compile(r"(?<![\w.])-?\d[\d,]*(?:\.\d+)?")
_BULLET = re.compile(r"^\s*(?:[-*•]|\d+[.)])\s+\S")
_QUOTED = re.compile(r"[\"“]([^\"”]{1,60})[\"”]")
_N = r"(\d+|one|two|three|four|five|six|seven|eight|nine|ten)"


# ---------------------------------------------------------------------------------------------
# Text helpers


def words(text: str) -> list[str]:
    return _WORD.findall(text)


def _stem(word: str) -> str:
    w = word.lower().strip("'-")
    for suffix in ("ing", "es", "ed", "s"):
        if len(w) > len(suffix) + 3 and w.endswith(suffix):
            return w[: -len(suffix)]
    return w


def content_words(text: str) -> set[str]:
    return {_stem(w) for w in words(text) if len(w) > 2 and w.lower() not in STOPWORDS} - {""}


def numbers(text: str) -> set[str]:
    return {m.group().replace(",", "") for m in _NUM.finditer(text)}


def sentences(text: str) -> list[str]:
    body = "\n".join(line for line in text.splitlines() if not line.strip().startswith("<<"))
    parts = re.split(r"(?<=[.!?])\s+|\n+", body.strip())
    return [p for p in parts if len(words(p)) >= 1]


def _count(token: str) -> int:
    return int(token) if token.isdigit() else _NUMBER_WORDS[token.lower()]


def request_line(instruction: str) -> str:
    """The request of an instruction: its text up to the first blank line."""
    return re.split(r"\n\s*\n", instruction.strip(), maxsplit=1)[0]


# ---------------------------------------------------------------------------------------------
# Verifiable constraints read from the instruction


@dataclass(frozen=True)
class Constraint:
    name: str
    check: Callable[[str], bool]


def constraints(instruction: str) -> list[Constraint]:
    """The constraints an instruction states in the usual phrasings (IFEval-like)."""
    text = request_line(instruction)
    low = text.lower()
    found: list[Constraint] = []
    if m := re.search(rf"(?:exactly|use|in|with)\s+{_N}\s+bullet points?", low):
        n = _count(m.group(1))
        found.append(Constraint(f"bullets={n}", lambda r, n=n: _bullets(r) == n))
    if m := re.search(
        rf"(?:at most|no more than|fewer than|less than|under|maximum of)\s+{_N}\s+words", low
    ):
        n = _count(m.group(1))
        found.append(Constraint(f"max_words={n}", lambda r, n=n: 0 < len(words(r)) <= n))
    if m := re.search(rf"at least\s+{_N}\s+words", low):
        n = _count(m.group(1))
        found.append(Constraint(f"min_words={n}", lambda r, n=n: len(words(r)) >= n))
    if m := re.search(rf"(?:exactly|in|write|use|using)\s+{_N}\s+sentences?\b", low):
        n = _count(m.group(1))
        found.append(Constraint(f"sentences={n}", lambda r, n=n: len(sentences(r)) == n))
    for m in re.finditer(
        r"(?:include|use|mention) the (?:word|keyword|term)s?\s+[\"“]([^\"”]+)[\"”]", text, re.I
    ):
        w = m.group(1).lower()
        found.append(Constraint(f"include={w}", lambda r, w=w: w in r.lower()))
    for m in re.finditer(
        r"(?:do not|don't|never|avoid)(?: use)? (?:the )?(?:word|term)\s+[\"“]([^\"”]+)[\"”]",
        text,
        re.I,
    ):
        w = m.group(1).lower()
        found.append(Constraint(f"avoid={w}", lambda r, w=w: w not in r.lower()))
    if m := re.search(
        r"end (?:your (?:answer|reply|response) )?with (?:the phrase |the words? )?[\"“]([^\"”]+)[\"”]",
        text,
        re.I,
    ):
        p = m.group(1).strip().lower()
        found.append(Constraint("end", lambda r, p=p: r.strip().lower().endswith(p)))
    if m := re.search(
        r"start (?:your (?:answer|reply|response) )?with (?:the phrase |the words? )?[\"“]([^\"”]+)[\"”]",
        text,
        re.I,
    ):
        p = m.group(1).strip().lower()
        found.append(Constraint("start", lambda r, p=p: _plain_start(r).startswith(p)))
    if re.search(r"lower-?case letters|all lower-?case|in lower-?case", low):
        found.append(Constraint("lowercase", lambda r: bool(r.strip()) and r == r.lower()))
    if re.search(r"(?:capital|upper-?case) letters|all caps", low):
        found.append(Constraint("uppercase", lambda r: bool(r.strip()) and r == r.upper()))
    if re.search(r"(?:without|do not use|don't use|no) (?:any )?commas", low):
        found.append(Constraint("no_commas", lambda r: "," not in r))
    if re.search(r"title wrapped in double angular brackets|<<title>>", low):
        found.append(Constraint("title", lambda r: re.search(r"<<[^<>\n]+>>", r) is not None))
    return found


def _bullets(text: str) -> int:
    return sum(1 for line in text.splitlines() if _BULLET.match(line))


def _plain_start(text: str) -> str:
    lines = [
        ln for ln in text.strip().splitlines() if ln.strip() and not ln.strip().startswith("<<")
    ]
    first = lines[0] if lines else ""
    return re.sub(r"^\s*(?:[-*•]|\d+[.)])\s+", "", first).strip().lower()


# ---------------------------------------------------------------------------------------------
# Features


def text_features(instruction: str, text: str, reference: str) -> dict[str, float]:
    """The features of one text (a reply, or the reference itself) for one instruction."""
    text = text if isinstance(text, str) else ""
    tokens = _TOKEN.findall(text)
    ws = [w.lower() for w in words(text)]
    rules, topic, salient, known_instruction, source = _instruction_info(instruction)
    satisfied = [rule.check(text) for rule in rules]
    mine = content_words(text)
    ref = content_words(reference)
    known = known_instruction | ref
    nums = numbers(text)
    trigrams = [tuple(ws[i : i + 3]) for i in range(len(ws) - 2)]
    grams6 = [" ".join(ws[i : i + 6]) for i in range(len(ws) - 5)]
    stripped = text.rstrip()
    return {
        "constraints": sum(satisfied) / len(rules) if rules else 1.0,
        "all_constraints": 1.0 if all(satisfied) else 0.0,
        "topic": len(topic & mine) / len(topic) if topic else 0.0,
        "salient": sum(1 for s in salient if s in text.lower()) / len(salient) if salient else 0.0,
        "reference": len(ref & mine) / len(ref) if ref else 0.0,
        "precision": len(mine & known) / len(mine) if mine else 0.0,
        "unsupported": len(nums - numbers(instruction) - numbers(reference)) / len(nums)
        if nums
        else 0.0,
        "repetition": 1.0 - len(set(trigrams)) / len(trigrams) if len(trigrams) >= 2 else 0.0,
        "copy": sum(1 for g in grams6 if g in source) / len(grams6) if grams6 else 0.0,
        "empty": 1.0 if len(ws) < 3 else 0.0,
        "wordlike": sum(1 for t in tokens if _WORD.fullmatch(t.strip(".,;:!?()\"'*-<>")))
        / len(tokens)
        if tokens
        else 0.0,
        "complete": 1.0 if stripped and stripped[-1] in ".!?)]\"'>*" else 0.0,
    }


@lru_cache(maxsize=4096)
def _instruction_info(
    instruction: str,
) -> tuple[tuple[Constraint, ...], frozenset[str], frozenset[str], frozenset[str], str]:
    """What the features need of an instruction, computed once per instruction: its
    constraints, topic words, salient numbers and names, content words, and its words joined."""
    request = request_line(instruction)
    topic = content_words(request) - {_stem(w) for w in META_WORDS}
    for quoted in _QUOTED.findall(request):
        topic -= content_words(quoted)
    source = " ".join(w.lower() for w in words(instruction))
    return (
        tuple(constraints(instruction)),
        frozenset(topic),
        frozenset(_salient(instruction)),
        frozenset(content_words(instruction)),
        source,
    )


def _salient(instruction: str) -> set[str]:
    """Numbers and names of an instruction (capitalised words not opening a sentence)."""
    found = set(numbers(instruction))
    for sentence in re.split(r"(?<=[.!?:])\s+|\n+", instruction):
        for w in words(sentence)[1:]:
            if w[0].isupper() and w.lower() not in STOPWORDS and len(w) > 2:
                found.add(w.lower())
    return found


def pair_features(instruction: str, reply: str, reference: str) -> dict[str, float]:
    """g: the reply's features minus the reference's, and the length term."""
    mine = text_features(instruction, reply, reference)
    theirs = text_features(instruction, reference, reference)
    g = {k: mine[k] - theirs[k] for k in mine}
    n_reply = len(words(reply if isinstance(reply, str) else ""))
    n_ref = len(words(reference))
    g[LENGTH] = math.tanh(math.log((n_reply + 1) / (n_ref + 1)))
    return g


# ---------------------------------------------------------------------------------------------
# The judge


@dataclass(frozen=True)
class Preference:
    """One labelled comparison: `label` is 1.0 when `reply` is the better answer, 0.0 when
    `reference` is (a soft label in between is allowed)."""

    instruction: str
    reply: str
    reference: str
    label: float


@dataclass(frozen=True)
class Judge:
    weights: dict[str, float]
    n_pairs: int = 0
    train_accuracy: float = 0.0

    def logit(
        self, instruction: str, reply: str, reference: str, length_controlled: bool = True
    ) -> float:
        g = pair_features(instruction, reply, reference)
        return sum(
            self.weights.get(k, 0.0) * v
            for k, v in g.items()
            if not (length_controlled and k == LENGTH)
        )

    def verdict(
        self, instruction: str, reply: str, reference: str, length_controlled: bool = True
    ) -> float:
        """P(reply beats reference), in [0, 1]; length-controlled unless told otherwise."""
        z = self.logit(instruction, reply, reference, length_controlled)
        return 1.0 / (1.0 + math.exp(-max(-50.0, min(50.0, z))))

    def win_rate(
        self, rows: Iterable[tuple[str, str, str]], length_controlled: bool = True
    ) -> float:
        """Mean verdict over (instruction, reply, reference) rows."""
        values = [self.verdict(i, r, ref, length_controlled) for i, r, ref in rows]
        return sum(values) / len(values) if values else 0.0

    def to_json(self) -> str:
        data = {
            "format": FORMAT,
            "version": VERSION,
            "features": list(FEATURES),
            "length_feature": LENGTH,
            "weights": {k: self.weights[k] for k in FEATURES},
            "n_pairs": self.n_pairs,
            "train_accuracy": self.train_accuracy,
        }
        return json.dumps(data, indent=1) + "\n"

    def save(self, path: Path) -> Path:
        path = Path(path)
        if path.is_dir():
            path = path / JUDGE_FILE
        path.write_text(self.to_json(), encoding="utf-8")
        return path


def load(path: Path) -> Judge:
    """A judge saved by `Judge.save` (a file, or a folder holding judge.json)."""
    path = Path(path)
    if path.is_dir():
        path = path / JUDGE_FILE
    data = json.loads(path.read_text(encoding="utf-8"))
    if data.get("format") != FORMAT or data.get("version") != VERSION:
        raise ValueError(f"{path} is not an {FORMAT} v{VERSION} file")
    weights = {str(k): float(v) for k, v in data["weights"].items()}
    return Judge(weights, int(data.get("n_pairs", 0)), float(data.get("train_accuracy", 0.0)))


def train(pairs: Sequence[Preference], c: float = 1.0) -> Judge:
    """Fit the judge on labelled comparisons. Each pair is used both ways round (reply against
    reference, and reference against reply with the label flipped), so the fit needs no intercept
    and prefers neither side. Deterministic: lbfgs, no randomness, weights rounded."""
    import numpy as np
    from sklearn.linear_model import LogisticRegression

    if not pairs:
        raise ValueError("no preference pairs to train the judge on")
    rows, labels, weights = [], [], []
    forwards: list[dict[str, float]] = []
    for pair in pairs:
        forward = pair_features(pair.instruction, pair.reply, pair.reference)
        forwards.append(forward)
        backward = pair_features(pair.instruction, pair.reference, pair.reply)
        for g, y in ((forward, pair.label), (backward, 1.0 - pair.label)):
            # A soft label becomes two weighted rows: y of a win, 1 - y of a loss.
            for target, weight in ((1, y), (0, 1.0 - y)):
                if weight > 0:
                    rows.append([g[k] for k in FEATURES])
                    labels.append(target)
                    weights.append(weight)
    x, y = np.array(rows), np.array(labels)
    if len(set(labels)) < 2:
        raise ValueError("the preference pairs need both outcomes")
    model = LogisticRegression(C=c, fit_intercept=False, max_iter=2000)
    model.fit(x, y, sample_weight=np.array(weights))
    coef = {k: round(float(w), 6) for k, w in zip(FEATURES, model.coef_[0], strict=True)}
    # Accuracy on the forward rows (one a pair), from the features already computed.
    hits = [
        (sum(coef[k] * v for k, v in g.items()) > 0) == (p.label > 0.5)
        for g, p in zip(forwards, pairs, strict=True)
        if p.label != 0.5
    ]
    accuracy = round(sum(hits) / len(hits), 4) if hits else 0.0
    return Judge(coef, n_pairs=len(pairs), train_accuracy=accuracy)


# ---------------------------------------------------------------------------------------------
# Grading with a judge found in a prepared task's private folder

_LOADED: dict[str, Judge] = {}


def load_cached(private_dir: Path) -> Judge:
    key = str(Path(private_dir).resolve())
    if key not in _LOADED:
        _LOADED[key] = load(Path(private_dir) / JUDGE_FILE)
    return _LOADED[key]


def scorer(private_dir: Path, length_controlled: bool = True) -> Callable[[str, dict], float]:
    """`score(prediction, example) -> float` with the judge of a prepared task: the
    length-controlled verdict of the prediction against `example["reference"]`."""
    judge = load_cached(private_dir)

    def score(prediction: str, example: dict) -> float:
        reply = prediction if isinstance(prediction, str) else ""
        return judge.verdict(
            str(example.get("prompt", "")),
            reply,
            str(example.get("reference", "")),
            length_controlled,
        )

    return score


# ---------------------------------------------------------------------------------------------
# Building preference pairs at prepare time

FILLER = (
    "This is a very important point to keep in mind.",
    "There are many different things to consider here.",
    "Everyone is different so results may vary.",
    "It is always good to think about it carefully.",
    "In general this can be quite helpful for many people.",
    "Of course there is a lot more that could be said.",
    "It really depends on the situation and the person.",
    "Many people find this useful in their daily life.",
)
DEGRADATIONS = ("truncated", "repeated", "padded", "echo", "empty", "garbage")
# Quality lost by each degradation, on the scale the tasks' quality functions use.
PENALTY = {
    "truncated": 1.5,
    "repeated": 2.0,
    "padded": 0.5,
    "echo": 3.0,
    "empty": 4.0,
    "garbage": 4.0,
}


def degrade(text: str, how: str, rng, instruction: str = "") -> str:
    """A worse version of `text`: cut off mid-way, one sentence repeated, padded with filler,
    the instruction echoed back, empty, or gibberish."""
    if how == "truncated":
        ws = text.split(" ")
        cut = max(1, int(len(ws) * rng.uniform(0.3, 0.8)))
        return " ".join(ws[:cut]).rstrip(".!?,;:") or "The"
    if how == "repeated":
        parts = sentences(text) or [text]
        return " ".join([rng.choice(parts)] * rng.randint(4, 7))
    if how == "padded":
        extra = rng.sample(FILLER, rng.randint(2, 4))
        return text.rstrip() + "\n" + " ".join(extra)
    if how == "echo":
        return request_line(instruction)
    if how == "empty":
        return rng.choice(["", " ", "Sure!", "OK."])
    if how == "garbage":
        letters = "abcdefghijklmnopqrstuvwxyz0123456789#@"
        return " ".join(
            "".join(rng.choice(letters) for _ in range(rng.randint(2, 9)))
            for _ in range(rng.randint(5, 25))
        )
    raise ValueError(f"unknown degradation {how!r}")


def annotate(
    quality_a: float,
    quality_b: float,
    text_a: str,
    text_b: str,
    rng,
    sharpness: float = 2.0,
    length_bias: float = 0.8,
) -> float:
    """A simulated annotator's choice (1.0: a wins, 0.0: b wins): it prefers the better text
    with probability sigmoid(sharpness * (quality_a - quality_b) + length_bias * L), where L is
    the length term of `pair_features`: annotators, human or LLM, like longer answers, and the
    judge learns that bias, which its length-controlled verdict then removes."""
    n_a, n_b = len(words(text_a)), len(words(text_b))
    length = math.tanh(math.log((n_a + 1) / (n_b + 1)))
    z = sharpness * (quality_a - quality_b) + length_bias * length
    p = 1.0 / (1.0 + math.exp(-z))
    return 1.0 if rng.random() < p else 0.0
