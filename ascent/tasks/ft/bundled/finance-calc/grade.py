"""Score of one reply, read as its first stand-alone number (`$1,250.50` reads as 1250.5):

- 1.0 within one cent of the answer (rounding either way),
- 0.5 within 1% of it (a rounding slip in an intermediate step),
- 0.0 otherwise, or when the reply holds no number.
"""

from ascent.tasks.ft.kit import first_number


def score(prediction: str, example: dict) -> float:
    value = first_number(prediction)
    try:
        expected = float(example["answer"])
    except (KeyError, TypeError, ValueError):
        return 0.0
    if value is None:
        return 0.0
    error = abs(value - expected)
    if error <= 0.01 + 1e-9:
        return 1.0
    if error <= 0.01 * abs(expected):
        return 0.5
    return 0.0
