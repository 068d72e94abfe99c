"""Score of one reply: 1.0 when its first stand-alone number is the atom count, else 0.0.

Digits inside words or formulas (the `2` of `H2O`) are not numbers here, so "H2SO4 has 4 O
atoms" reads as 4.
"""

from ascent.tasks.ft.kit import first_number


def score(prediction: str, example: dict) -> float:
    value = first_number(prediction)
    try:
        expected = float(example["answer"])
    except (KeyError, TypeError, ValueError):
        return 0.0
    return 1.0 if value is not None and value == expected else 0.0
