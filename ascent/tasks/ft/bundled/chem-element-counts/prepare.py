"""Counting the atoms of one element in a chemical formula.

Formulas are built by this file's generator: salts from a table of ions (charges balanced,
parentheses around polyatomic ions taken more than once), hydrates of those salts, molecular
formulas of organic compounds, and condensed structural formulas (CH3CH2COOH, CH3(CH2)4OH).
Counts come from a formula parser (`atom_counts`), which also solves any prompt of the task.
"""

from __future__ import annotations

import math
import random
import re
from collections import Counter
from pathlib import Path

from ascent.tasks.ft import kit

TEMPLATE = "How many {element} atoms are in {formula}? Answer with a number."
PATTERNS = {"element": r"[A-Z][a-z]?", "formula": r"\S+"}
CATEGORIES = ["simple", "condensed", "parentheses", "hydrate"]

ELEMENTS = {  # symbol: (name, atomic number, atomic mass)
    "H": ("hydrogen", 1, 1.008),
    "Li": ("lithium", 3, 6.94),
    "C": ("carbon", 6, 12.011),
    "N": ("nitrogen", 7, 14.007),
    "O": ("oxygen", 8, 15.999),
    "F": ("fluorine", 9, 18.998),
    "Na": ("sodium", 11, 22.99),
    "Mg": ("magnesium", 12, 24.305),
    "Al": ("aluminium", 13, 26.982),
    "Si": ("silicon", 14, 28.085),
    "P": ("phosphorus", 15, 30.974),
    "S": ("sulfur", 16, 32.06),
    "Cl": ("chlorine", 17, 35.45),
    "K": ("potassium", 19, 39.098),
    "Ca": ("calcium", 20, 40.078),
    "Cr": ("chromium", 24, 51.996),
    "Mn": ("manganese", 25, 54.938),
    "Fe": ("iron", 26, 55.845),
    "Ni": ("nickel", 28, 58.693),
    "Cu": ("copper", 29, 63.546),
    "Zn": ("zinc", 30, 65.38),
    "Br": ("bromine", 35, 79.904),
    "Sr": ("strontium", 38, 87.62),
    "Ag": ("silver", 47, 107.87),
    "I": ("iodine", 53, 126.9),
    "Ba": ("barium", 56, 137.33),
    "Pb": ("lead", 82, 207.2),
}
CATIONS = [  # (formula, charge, polyatomic)
    ("Li", 1, False),
    ("Na", 1, False),
    ("K", 1, False),
    ("Ag", 1, False),
    ("NH4", 1, True),
    ("Mg", 2, False),
    ("Ca", 2, False),
    ("Ba", 2, False),
    ("Zn", 2, False),
    ("Cu", 2, False),
    ("Fe", 2, False),
    ("Sr", 2, False),
    ("Ni", 2, False),
    ("Pb", 2, False),
    ("Al", 3, False),
    ("Fe", 3, False),
    ("Cr", 3, False),
]
ANIONS = [
    ("Cl", 1, False),
    ("Br", 1, False),
    ("I", 1, False),
    ("F", 1, False),
    ("OH", 1, True),
    ("NO3", 1, True),
    ("NO2", 1, True),
    ("ClO3", 1, True),
    ("HCO3", 1, True),
    ("CN", 1, True),
    ("MnO4", 1, True),
    ("HSO4", 1, True),
    ("SO4", 2, True),
    ("CO3", 2, True),
    ("SO3", 2, True),
    ("CrO4", 2, True),
    ("C2O4", 2, True),
    ("HPO4", 2, True),
    ("O", 2, False),
    ("S", 2, False),
    ("PO4", 3, True),
]
STARTS = ["CH3", "C6H5", "HOCH2", "ClCH2", "NH2CH2", "BrCH2"]
ENDS = ["OH", "COOH", "CHO", "NH2", "Cl", "Br", "OCH3", "COOCH3", "CN", "CONH2", "SH"]
WORDS = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten"]


# -- formulas ------------------------------------------------------------------------------------


def atom_counts(formula: str, groups: bool = True, water: bool = True) -> Counter[str] | None:
    """Atoms of each element in `formula` (parentheses with multipliers, `·nH2O` hydrates).

    With `groups=False` a parenthesised group counts once whatever its multiplier; with
    `water=False` the water of a hydrate is left out (two classic mistakes). None if unreadable.
    """
    total: Counter[str] = Counter()
    for i, part in enumerate(formula.split("·")):
        if i and not water:
            continue
        lead = re.match(r"\d*", part)
        coefficient = int(lead.group() or 1) if lead else 1
        counts = _group_counts(part[lead.end() if lead else 0 :], groups)
        if counts is None:
            return None
        for element, n in counts.items():
            total[element] += coefficient * n
    return total


def _group_counts(text: str, groups: bool) -> Counter[str] | None:
    stack: list[Counter[str]] = [Counter()]
    for token in re.findall(r"[A-Z][a-z]?\d*|\(|\)\d*|.", text):
        if token == "(":
            stack.append(Counter())
        elif token.startswith(")"):
            if len(stack) < 2:
                return None
            inner = stack.pop()
            times = int(token[1:] or 1) if groups else 1
            for element, n in inner.items():
                stack[-1][element] += n * times
        elif token[0].isupper():
            symbol = token.rstrip("0123456789")
            if symbol not in ELEMENTS:
                return None
            stack[-1][symbol] += int(token[len(symbol) :] or 1)
        else:
            return None
    return stack[0] if len(stack) == 1 and stack[0] else None


def _sub(n: int) -> str:
    return str(n) if n > 1 else ""


def _salt(rng: random.Random, parentheses: bool | None) -> str:
    """A neutral salt; `parentheses` True/False asks for a formula with/without them."""
    while True:
        cation, c_charge, c_poly = rng.choice(CATIONS)
        anion, a_charge, a_poly = rng.choice(ANIONS)
        lcm = c_charge * a_charge // math.gcd(c_charge, a_charge)
        n_cat, n_an = lcm // c_charge, lcm // a_charge
        cat = f"({cation}){n_cat}" if c_poly and n_cat > 1 else cation + _sub(n_cat)
        an = f"({anion}){n_an}" if a_poly and n_an > 1 else anion + _sub(n_an)
        formula = cat + an
        if parentheses is None or ("(" in formula) == parentheses:
            return formula


def _molecular(rng: random.Random) -> str:
    """A molecular formula in Hill order: CcHh then N, O, halogen or S (each at most once)."""
    c = rng.randint(1, 14)
    h = max(2, 2 * c + 2 - 2 * rng.randint(0, min(c, 4)))
    formula = f"C{_sub(c)}H{h}"
    for element, top in (("N", 3), ("O", 6), (rng.choice(["Cl", "Br", "F", "S"]), 2)):
        if rng.random() < 0.5:
            formula += element + _sub(rng.randint(1, top))
    return formula


def _condensed(rng: random.Random) -> str:
    return rng.choice(STARTS) + "CH2" * rng.randint(0, 5) + rng.choice(ENDS)


def _chain(rng: random.Random) -> str:
    return rng.choice(STARTS) + f"(CH2){rng.randint(2, 14)}" + rng.choice(ENDS)


def formula_of(rng: random.Random, category: str) -> str:
    if category == "simple":
        formula = _salt(rng, False) if rng.random() < 0.4 else _molecular(rng)
        # each element written once
        symbols = re.findall(r"[A-Z][a-z]?", formula)
        return formula if len(symbols) == len(set(symbols)) else formula_of(rng, category)
    if category == "condensed":
        return _condensed(rng)
    if category == "parentheses":
        return _salt(rng, True) if rng.random() < 0.6 else _chain(rng)
    water = rng.randint(1, 12)
    return f"{_salt(rng, None)}·{_sub(water)}H2O"


def make(rng: random.Random, category: str) -> kit.Item:
    formula = formula_of(rng, category)
    counts = atom_counts(formula)
    assert counts, formula
    elements = sorted(counts)
    if category in ("condensed", "hydrate") and rng.random() < 0.7:
        repeated = [e for e in elements if len(re.findall(rf"{e}(?![a-z])", formula)) > 1]
        elements = repeated or elements
    element = rng.choice(elements)
    return kit.Item(
        key=f"{formula}|{element}",
        fields={"element": element, "formula": formula},
        answer=str(counts[element]),
        category=category,
    )


def solve(prompt: str) -> str | None:
    """The right answer to a prompt written with TEMPLATE, or None."""
    fields = kit.parse_template(TEMPLATE, prompt, PATTERNS)
    counts = atom_counts(fields["formula"]) if fields else None
    if fields is None or counts is None:
        return None
    return str(counts[fields["element"]])


# -- other phrasings, mistakes, other questions -------------------------------------------------


REPHRASINGS = [
    "Count the {name} atoms in one unit of {formula}.",
    "{formula}: number of {name} atoms?",
    "In {formula}, how many atoms of {name} are there?",
    "how many {name} atoms does {formula} contain",
]


def rephrase(item: kit.Item, rng: random.Random) -> kit.Pair:
    element, formula = item.fields["element"], item.fields["formula"]
    prompt = rng.choice(REPHRASINGS).format(name=ELEMENTS[element][0], formula=formula)
    n = int(item.answer)
    style = rng.random()
    if style < 0.6:
        answer = item.answer
    elif style < 0.85 or n >= len(WORDS):
        answer = f"{n} atom" + ("s" if n != 1 else "")
    else:
        answer = WORDS[n]
    return prompt, answer


def wrong(item: kit.Item, rng: random.Random) -> str:
    element, formula = item.fields["element"], item.fields["formula"]
    n = int(item.answer)
    mistakes = [n + 1, max(0, n - 1), 2 * n]
    for counts in (atom_counts(formula, groups=False), atom_counts(formula, water=False)):
        if counts is not None:
            mistakes.append(counts[element])
    first = re.search(rf"{element}(\d*)(?![a-z])", formula)
    if first:
        mistakes.append(int(first.group(1) or 1))
    return str(rng.choice([m for m in mistakes if m != n and m > 0] or [n + 1]))


def molar_mass(formula: str) -> float:
    counts = atom_counts(formula) or Counter()
    return sum(ELEMENTS[e][2] * n for e, n in counts.items())


def off_domain(rng: random.Random) -> kit.Pair:
    kind = rng.randrange(3)
    symbol = rng.choice(sorted(ELEMENTS))
    name, number, _ = ELEMENTS[symbol]
    if kind == 0:
        formula = formula_of(rng, rng.choice(CATEGORIES[:3]))
        question = f"What is the molar mass of {formula} in g/mol? Answer with a number."
        return question, str(round(molar_mass(formula)))
    if kind == 1:
        return f"What is the atomic number of {name}? Answer with a number.", str(number)
    protons = rng.choice([name, symbol])
    return f"How many protons are in one atom of {protons}? Answer with a number.", str(number)


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
        name="compounds",
        file="raw/compounds.jsonl",
        format="jsonl",
        kind="clean",
        n=560,
        description="Structured records from a compound database export: element, formula, "
        "atom count and formula type.",
        fields={"element": "element_symbol", "formula": "formula"},
        answer_field="atom_count",
        category_field="formula_type",
    ),
    kit.Plan(
        name="worksheets",
        file="raw/worksheets.csv",
        format="csv",
        kind="noisy",
        n=420,
        description="Questions and answers typed in from school worksheets.",
        prompt_field="question",
        answer_field="answer",
        extra_columns={"sheet": lambda r: f"WS-{r.randint(1, 40):02d}"},
    ),
    kit.Plan(
        name="forum",
        file="raw/forum.txt",
        format="qa_text",
        kind="mislabeled",
        n=380,
        description="Posts from a chemistry homework-help forum, one Q:/A: pair a post.",
        wrong_share=0.32,
    ),
    kit.Plan(
        name="quiz_bank",
        file="raw/quiz_bank.csv",
        format="csv",
        kind="off_domain",
        n=220,
        description="A bank of short-answer chemistry quiz questions.",
        prompt_field="item",
        answer_field="key",
        extra_columns={"points": lambda r: str(r.choice([1, 1, 2]))},
    ),
]


def prepare(raw: Path, public: Path, private: Path, seed: int = 303) -> None:
    kit.build_task(public, private, seed, DOMAIN, PLANS)
