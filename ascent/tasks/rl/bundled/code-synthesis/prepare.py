"""Small Python functions to write from a signature and a docstring, graded by unit tests.

Twenty-two families of problems (lists, strings, numbers, dicts), each with parameters that change
what the function must do (`sum the multiples of 7 greater than -3`, `shift letters 5 places
backwards`...). Each problem is a stub (signature, docstring, one doctest example) with a
reference solution; its tests are `assert name(args) == expected` lines whose expected values
come from running that reference solution here, on edge cases and random inputs.

Splits: train (tests and reference solution given) and dev (tests given) from one generator
seed; the held-out test problems from another seed, none sharing a family-and-parameters key
with the public ones.
"""

from __future__ import annotations

import random
import string
import textwrap
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ascent.tasks.rl import kit

TEMPLATE = (
    "Write the following Python function. Reply with the complete function in a ```python code "
    "block.\n\n```python\n{stub}```"
)
CATEGORIES = ["lists", "strings", "numbers", "dicts"]
SIZES = {"train": 300, "dev": 40, "test": 120}
N_TESTS = 6

WORDS = [
    "apple",
    "river",
    "stone",
    "cloud",
    "tiger",
    "paper",
    "lamp",
    "orange",
    "garden",
    "music",
    "window",
    "bread",
    "silver",
    "candle",
    "forest",
    "pixel",
    "rocket",
    "meadow",
    "harbor",
    "violet",
    "ember",
    "cactus",
    "lemon",
    "anchor",
    "puzzle",
    "echo",
    "nest",
    "orbit",
    "quilt",
    "saddle",
    "tulip",
]


@dataclass
class Problem:
    key: str
    category: str
    name: str
    params: str
    returns: str
    doc: str
    body: str
    make_args: Callable[[random.Random], tuple]
    edges: list[tuple] = field(default_factory=list)


# -- random inputs --------------------------------------------------------------------------------


def _ints(
    rng: random.Random, lo: int = -20, hi: int = 30, n: tuple[int, int] = (3, 9)
) -> list[int]:
    return [rng.randint(lo, hi) for _ in range(rng.randint(*n))]


def _text(rng: random.Random, n: tuple[int, int] = (3, 7)) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(rng.randint(*n)))


def _mixed_text(rng: random.Random) -> str:
    words = [rng.choice(WORDS) for _ in range(rng.randint(2, 5))]
    words = [w.capitalize() if rng.random() < 0.3 else w for w in words]
    return " ".join(words) + rng.choice(["", "!", " 42", ", ok", "?"])


def _word_list(rng: random.Random) -> list[str]:
    return [rng.choice(WORDS)[: rng.randint(2, 7)] for _ in range(rng.randint(3, 8))]


def _num_dict(rng: random.Random) -> dict[str, int]:
    keys = rng.sample(list(string.ascii_lowercase[:8]), rng.randint(2, 5))
    return {k: rng.randint(-5, 9) for k in sorted(keys)}


# -- families -------------------------------------------------------------------------------------


def sum_multiples(rng: random.Random) -> Problem:
    k, t = rng.randint(2, 9), rng.randint(-10, 10)
    return Problem(
        f"sum_multiples|{k}|{t}",
        "lists",
        "sum_multiples",
        "xs: list[int]",
        "int",
        f"Return the sum of the numbers in xs that are multiples of {k} and greater than {t}.",
        f"return sum(x for x in xs if x % {k} == 0 and x > {t})",
        lambda r: ([x * k if r.random() < 0.5 else x for x in _ints(r, -6, 8)],),
        [([],)],
    )


def count_between(rng: random.Random) -> Problem:
    lo = rng.randint(-10, 10)
    hi = lo + rng.randint(1, 15)
    return Problem(
        f"count_between|{lo}|{hi}",
        "lists",
        "count_between",
        "xs: list[int]",
        "int",
        f"Return how many numbers in xs lie between {lo} and {hi}, both included.",
        f"return sum(1 for x in xs if {lo} <= x <= {hi})",
        lambda r: (_ints(r, lo - 5, hi + 5),),
        [([],), ([lo, hi, lo - 1, hi + 1],)],
    )


def chunks(rng: random.Random) -> Problem:
    k = rng.randint(2, 7)
    mode = rng.choice(["keep", "drop", "pad0", "pad-1"])
    doc = f"Split xs into consecutive lists of {k} elements, in order."
    if mode == "keep":
        doc += " The last list may be shorter."
        body = f"return [xs[i:i + {k}] for i in range(0, len(xs), {k})]"
    elif mode == "drop":
        doc += " Leave out a last list that would be shorter."
        body = f"return [xs[i:i + {k}] for i in range(0, len(xs) - {k} + 1, {k})]"
    else:
        fill = 0 if mode == "pad0" else -1
        doc += f" Pad a last list that would be shorter with {fill}."
        body = (
            f"out = [xs[i:i + {k}] for i in range(0, len(xs), {k})]\n"
            f"if out and len(out[-1]) < {k}:\n"
            f"    out[-1] = out[-1] + [{fill}] * ({k} - len(out[-1]))\n"
            "return out"
        )
    return Problem(
        f"chunks|{k}|{mode}",
        "lists",
        "chunks",
        "xs: list[int]",
        "list[list[int]]",
        doc,
        body,
        lambda r: (_ints(r, n=(0, 12)),),
        [([],)],
    )


def rotate(rng: random.Random) -> Problem:
    k, side = rng.randint(1, 9), rng.choice(["left", "right"])
    shift = k if side == "left" else -k
    return Problem(
        f"rotate|{k}|{side}",
        "lists",
        "rotate",
        "xs: list[int]",
        "list[int]",
        f"Return a new list: xs rotated {k} places to the {side} (wrapping around as often "
        "as needed). An empty list stays empty.",
        f"if not xs:\n    return []\nk = ({shift}) % len(xs)\nreturn xs[k:] + xs[:k]",
        lambda r: (_ints(r, n=(1, 8)),),
        [([],), ([5],)],
    )


def kth_largest(rng: random.Random) -> Problem:
    k, default = rng.randint(1, 5), rng.choice([None, -1, 0])
    return Problem(
        f"kth_largest|{k}|{default}",
        "lists",
        "kth_largest",
        "xs: list[int]",
        "int | None",
        f"Return the {_ordinal(k)} largest distinct value in xs, or {default} if xs has fewer "
        f"than {k} distinct values.",
        f"values = sorted(set(xs), reverse=True)\nreturn values[{k - 1}] if len(values) >= {k} else {default}",
        lambda r: (_ints(r, 0, 12),),
        [([],), ([3, 3, 3],)],
    )


def window(rng: random.Random) -> Problem:
    w, op = rng.randint(2, 6), rng.choice(["sum", "max", "min"])
    return Problem(
        f"window|{w}|{op}",
        "lists",
        "window",
        "xs: list[int]",
        "list[int]",
        f"Return a list of the same length as xs whose i-th element is the {op} of the last "
        f"{w} elements of xs up to and including position i (fewer at the start).",
        f"return [{op}(xs[max(0, i - {w - 1}):i + 1]) for i in range(len(xs))]",
        lambda r: (_ints(r),),
        [([],), ([4],)],
    )


def swap_chars(rng: random.Random) -> Problem:
    a, b, c = rng.sample(list("aeiourstnl"), 3)
    return Problem(
        f"swap_chars|{a}|{b}|{c}",
        "strings",
        "swap_chars",
        "s: str",
        "str",
        f"Return s with every '{a}' replaced by '{b}' and every '{c}' removed.",
        f"return s.replace({c!r}, '').replace({a!r}, {b!r})",
        lambda r: (_text(r),),
        [("",)],
    )


def shift_letters(rng: random.Random) -> Problem:
    k, way = rng.randint(1, 12), rng.choice(["forward", "backward"])
    shift = k if way == "forward" else -k
    return Problem(
        f"shift_letters|{k}|{way}",
        "strings",
        "shift_letters",
        "s: str",
        "str",
        f"Shift every lowercase letter of s {k} places {way} in the alphabet, wrapping around "
        "between 'a' and 'z'. Other characters stay as they are.",
        "return ''.join(\n"
        f"    chr((ord(c) - 97 + ({shift})) % 26 + 97) if 'a' <= c <= 'z' else c for c in s\n"
        ")",
        lambda r: (_mixed_text(r),),
        [("",), ("xyz abc",)],
    )


def long_words(rng: random.Random) -> Problem:
    n, how = rng.randint(3, 7), rng.choice(["order", "sorted", "upper"])
    doc = f"Return the words of s (split on whitespace) that have at least {n} characters"
    if how == "order":
        doc, body = doc + ", in order.", f"return [w for w in s.split() if len(w) >= {n}]"
    elif how == "sorted":
        doc += ", sorted alphabetically."
        body = f"return sorted(w for w in s.split() if len(w) >= {n})"
    else:
        doc += ", in order and in upper case."
        body = f"return [w.upper() for w in s.split() if len(w) >= {n}]"
    return Problem(
        f"long_words|{n}|{how}",
        "strings",
        "long_words",
        "s: str",
        "list[str]",
        doc,
        body,
        lambda r: (_text(r),),
        [("",)],
    )


def count_chars(rng: random.Random) -> Problem:
    chars = "".join(sorted(rng.sample(string.ascii_lowercase, rng.randint(3, 5))))
    return Problem(
        f"count_chars|{chars}",
        "strings",
        "count_chars",
        "s: str",
        "int",
        f"Return how many characters of s are one of the letters '{chars}' (lowercase only).",
        f"return sum(1 for c in s if c in {chars!r})",
        lambda r: (_mixed_text(r),),
        [("",)],
    )


def run_length(rng: random.Random) -> Problem:
    sep, ones = rng.choice(["", "-", ":"]), rng.choice([True, False])
    doc = (
        "Run-length encode s: each run of a repeated character becomes the character followed "
        + (f"by '{sep}' and " if sep else "by ")
        + "the length of the run"
    )
    doc += "." if ones else " (the length is left out, with its separator, when it is 1)."
    length = f"{sep!r} + str(n)" if ones else f"({sep!r} + str(n) if n > 1 else '')"
    body = (
        "out = []\ni = 0\nwhile i < len(s):\n    j = i\n    while j < len(s) and s[j] == s[i]:\n"
        f"        j += 1\n    n = j - i\n    out.append(s[i] + {length})\n    i = j\n"
        "return ''.join(out)"
    )
    return Problem(
        f"run_length|{sep}|{ones}",
        "strings",
        "run_length",
        "s: str",
        "str",
        doc,
        body,
        lambda r: ("".join(r.choice("aab") * r.randint(1, 4) for _ in range(r.randint(1, 5))),),
        [("",), ("x",)],
    )


def mask(rng: random.Random) -> Problem:
    k, c = rng.randint(1, 6), rng.choice("*#x")
    return Problem(
        f"mask|{k}|{c}",
        "strings",
        "mask",
        "s: str",
        "str",
        f"Keep the last {k} characters of s and replace every other character with '{c}'.",
        f"return {c!r} * max(0, len(s) - {k}) + s[-{k}:] if s else ''",
        lambda r: ("".join(r.choice(string.digits) for _ in range(r.randint(0, 14))),),
        [("",), ("12",)],
    )


def digit_sum(rng: random.Random) -> Problem:
    b, what = rng.randint(2, 16), rng.choice(["sum", "count of nonzero digits"])
    agg = "total += d" if what == "sum" else "total += 1 if d else 0"
    return Problem(
        f"digit_sum|{b}|{what}",
        "numbers",
        "digit_stat",
        "n: int",
        "int",
        f"Return the {what} of the digits of the non-negative integer n written in base {b}.",
        f"total = 0\nwhile n:\n    n, d = divmod(n, {b})\n    {agg}\nreturn total",
        lambda r: (r.randint(0, 5000),),
        [(0,), (1,)],
    )


def count_divisible(rng: random.Random) -> Problem:
    a, b = sorted(rng.sample(range(2, 13), 2))
    how = rng.choice(["or", "but not"])
    cond = f"i % {a} == 0 or i % {b} == 0" if how == "or" else f"i % {a} == 0 and i % {b} != 0"
    return Problem(
        f"count_divisible|{a}|{b}|{how}",
        "numbers",
        "count_divisible",
        "n: int",
        "int",
        f"Return how many integers from 1 to n (included) are divisible by {a} {how} by {b}.",
        f"return sum(1 for i in range(1, n + 1) if {cond})",
        lambda r: (r.randint(1, 300),),
        [(0,), (1,)],
    )


def quadratic(rng: random.Random) -> Problem:
    a, b, c = (rng.randint(-5, 5) for _ in range(3))
    a = a or 1
    return Problem(
        f"quadratic|{a}|{b}|{c}",
        "numbers",
        "quadratic",
        "x: int",
        "int",
        f"Return the value of {a}*x**2 + {b}*x + {c}.",
        f"return {a} * x ** 2 + {b} * x + {c}",
        lambda r: (r.randint(-20, 20),),
        [(0,)],
    )


def steps_down(rng: random.Random) -> Problem:
    d = rng.randint(2, 9)
    return Problem(
        f"steps_down|{d}",
        "numbers",
        "steps_down",
        "n: int",
        "int",
        f"Return how many steps take the positive integer n down to 1, where a step divides n by "
        f"{d} when n is a multiple of {d} and subtracts 1 otherwise.",
        f"steps = 0\nwhile n > 1:\n    n = n // {d} if n % {d} == 0 else n - 1\n    steps += 1\nreturn steps",
        lambda r: (r.randint(1, 2000),),
        [(1,)],
    )


def word_counts(rng: random.Random) -> Problem:
    n, m, fold = rng.randint(1, 5), rng.randint(1, 3), rng.choice([True, False])
    words = "s.lower().split()" if fold else "s.split()"
    which = "lower-cased word" if fold else "word (case kept)"
    return Problem(
        f"word_counts|{n}|{m}|{fold}",
        "dicts",
        "word_counts",
        "s: str",
        "dict[str, int]",
        f"Return a dict mapping each {which} of s (split on whitespace) with at least "
        f"{n} characters to how many times it occurs, keeping only words that occur at least "
        f"{m} times.",
        f"counts = {{}}\nfor w in {words}:\n"
        f"    if len(w) >= {n}:\n        counts[w] = counts.get(w, 0) + 1\n"
        f"return {{w: c for w, c in counts.items() if c >= {m}}}",
        lambda r: (
            " ".join(
                r.choice(WORDS[:6])[: r.randint(1, 6)].capitalize()
                if r.random() < 0.3
                else r.choice(WORDS[:6])[: r.randint(1, 6)]
                for _ in range(r.randint(3, 10))
            ),
        ),
        [("",)],
    )


def invert(rng: random.Random) -> Problem:
    m, order, t = rng.randint(1, 3), rng.choice(["ascending", "descending"]), rng.randint(-1, 3)
    return Problem(
        f"invert|{m}|{order}|{t}",
        "dicts",
        "invert",
        "d: dict[str, int]",
        "dict[int, list[str]]",
        f"Return a dict mapping each value of d greater than {t} to the list of the keys that "
        f"have it, in {order} order, keeping only values shared by at least {m} keys.",
        "out = {}\nfor k, v in d.items():\n"
        f"    if v > {t}:\n        out.setdefault(v, []).append(k)\n"
        f"return {{v: sorted(ks, reverse={order == 'descending'}) for v, ks in out.items() "
        f"if len(ks) >= {m}}}",
        lambda r: ({k: r.randint(0, 4) for k in r.sample(list("abcdefgh"), r.randint(2, 7))},),
        [({},)],
    )


def group_by_letter(rng: random.Random) -> Problem:
    where, n = rng.choice(["first", "last"]), rng.randint(1, 4)
    ordered = rng.choice([True, False])
    index = 0 if where == "first" else -1
    order = "sorted alphabetically" if ordered else "in their original order"
    result = "{k: sorted(v) for k, v in out.items()}" if ordered else "out"
    return Problem(
        f"group_by_letter|{where}|{n}|{ordered}",
        "dicts",
        "group_by_letter",
        "words: list[str]",
        "dict[str, list[str]]",
        f"Group the words by their {where} letter: return a dict mapping the letter to the list "
        f"of words that have it, {order}, leaving out words shorter than {n} characters.",
        "out = {}\nfor w in words:\n"
        f"    if len(w) >= {n}:\n        out.setdefault(w[{index}], []).append(w)\n"
        f"return {result}",
        lambda r: (_word_list(r),),
        [([],)],
    )


def merge_counts(rng: random.Random) -> Problem:
    how, t = rng.choice(["added", "multiplied", "the larger one"]), rng.randint(-5, 5)
    combine = {
        "added": "a[k] + b[k]",
        "multiplied": "a[k] * b[k]",
        "the larger one": "max(a[k], b[k])",
    }[how]
    return Problem(
        f"merge_counts|{how}|{t}",
        "dicts",
        "merge_counts",
        "a: dict[str, int], b: dict[str, int]",
        "dict[str, int]",
        f"Merge two dicts: every key of either one, with its value; for a key in both, the two "
        f"values {how}. Keep only the keys whose merged value is greater than {t}; keys in "
        "sorted order.",
        "out = {}\nfor k in sorted(set(a) | set(b)):\n"
        f"    v = {combine} if k in a and k in b else a.get(k, b.get(k))\n"
        f"    if v > {t}:\n        out[k] = v\nreturn out",
        lambda r: (_num_dict(r), _num_dict(r)),
        [({}, {})],
    )


def key_filter(rng: random.Random) -> Problem:
    rule = rng.choice(["starts with a vowel", "has an even position in the alphabet", "is not 'a'"])
    test = {
        "starts with a vowel": "k[0] in 'aeiou'",
        "has an even position in the alphabet": "(ord(k[0]) - 96) % 2 == 0",
        "is not 'a'": "k != 'a'",
    }[rule]
    side, t = rng.choice(["greater", "smaller"]), rng.randint(-5, 5)
    op = ">" if side == "greater" else "<"
    return Problem(
        f"key_filter|{rule}|{side}|{t}",
        "dicts",
        "key_filter",
        "d: dict[str, int]",
        "dict[str, int]",
        f"Return a new dict with the items of d whose key {rule} (keys are single lowercase "
        f"letters; a is at position 1) and whose value is {side} than {t}, in the order of d.",
        f"return {{k: v for k, v in d.items() if {test} and v {op} {t}}}",
        lambda r: ({k: r.randint(-8, 8) for k in r.sample(list("abcdefghijo"), r.randint(2, 7))},),
        [({},)],
    )


def top_keys(rng: random.Random) -> Problem:
    k, side = rng.randint(1, 4), rng.choice(["largest", "smallest"])
    sign = "-" if side == "largest" else ""
    return Problem(
        f"top_keys|{k}|{side}",
        "dicts",
        "top_keys",
        "d: dict[str, int]",
        "list[str]",
        f"Return the keys of d with the {k} {side} values ({side} first; equal values in "
        f"alphabetical order of their keys). Return all keys, so ordered, when d has fewer than {k}.",
        f"return [k for k, v in sorted(d.items(), key=lambda kv: ({sign}kv[1], kv[0]))][:{k}]",
        lambda r: (_num_dict(r),),
        [({},)],
    )


FAMILIES = {
    "lists": [sum_multiples, count_between, chunks, rotate, kth_largest, window],
    "strings": [swap_chars, shift_letters, long_words, count_chars, run_length, mask],
    "numbers": [digit_sum, count_divisible, quadratic, steps_down],
    "dicts": [word_counts, invert, group_by_letter, merge_counts, key_filter, top_keys],
}


def _ordinal(k: int) -> str:
    return {1: "1st", 2: "2nd", 3: "3rd"}.get(k, f"{k}th")


# -- stubs, solutions and tests -----------------------------------------------------------------


def _call(name: str, args: tuple) -> str:
    return f"{name}({', '.join(repr(a) for a in args)})"


def build(problem: Problem, rng: random.Random) -> dict[str, Any]:
    """The stub, reference solution and tests of one problem (expected values computed by
    running the reference solution)."""
    signature = f"def {problem.name}({problem.params}) -> {problem.returns}:"
    namespace: dict[str, Any] = {}
    bare = signature + "\n" + textwrap.indent(problem.body, "    ") + "\n"
    exec(compile(bare, f"<{problem.key}>", "exec"), namespace)
    fn = namespace[problem.name]
    example = problem.make_args(rng)
    doc = textwrap.fill(problem.doc, 88, initial_indent="    ", subsequent_indent="    ")
    stub = (
        f'{signature}\n    """{doc.strip()}\n\n'
        f"    >>> {_call(problem.name, example)}\n    {fn(*example)!r}\n"
        '    """\n'
    )
    cases: list[tuple] = []
    for args in [*problem.edges, *(problem.make_args(rng) for _ in range(4 * N_TESTS))]:
        if args not in cases and args != example:
            cases.append(args)
        if len(cases) == N_TESTS:
            break
    tests = "".join(f"assert {_call(problem.name, a)} == {fn(*a)!r}\n" for a in cases)
    solution = stub + textwrap.indent(problem.body, "    ") + "\n"
    return {"stub": stub, "solution": solution, "tests": tests, "entry_point": problem.name}


def _split(seed: int) -> dict[str, list[dict[str, Any]]]:
    out: dict[str, list[dict[str, Any]]] = {"train": [], "dev": [], "test": []}
    per = {k: v // len(CATEGORIES) for k, v in SIZES.items()}
    for index, category in enumerate(CATEGORIES):

        def draw(rng: random.Random, category: str = category) -> tuple[str, dict[str, Any]]:
            problem = rng.choice(FAMILIES[category])(rng)
            return problem.key, {"problem": problem, "seed": rng.randrange(2**31)}

        (train, dev), test = kit.disjoint(
            draw, seed * 10 + index, [per["train"], per["dev"]], per["test"]
        )
        for split, items in (("train", train), ("dev", dev), ("test", test)):
            for item in items:
                built = build(item["problem"], random.Random(item["seed"]))
                out[split].append({**built, "category": category, "key": item["problem"].key})
    rng = random.Random(seed)
    for rows in out.values():
        rng.shuffle(rows)
    return out


def prepare(raw: Path, public: Path, private: Path, seed: int = 4242) -> None:
    splits = _split(seed)

    def row(i: int, prefix: str, item: dict[str, Any], solution: bool) -> dict[str, Any]:
        record = {
            "id": f"{prefix}-{i:04d}",
            "prompt": TEMPLATE.format(stub=item["stub"]),
            "stub": item["stub"],
            "entry_point": item["entry_point"],
            "tests": item["tests"],
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
