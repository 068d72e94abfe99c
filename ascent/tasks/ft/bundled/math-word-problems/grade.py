"""Score of one reply: 1.0 when its first stand-alone number is the answer, else 0.0.

"12", "12 apples" and "The answer is 12." all read as 12; "12.5" does not equal 12.
"""

from ascent.tasks.ft.kit import first_number


def score(prediction: str, example: dict) -> float:
    value = first_number(prediction)
    try:
        expected = float(example["answer"])
    except (KeyError, TypeError, ValueError):
        return 0.0
    return 1.0 if value is not None and value == expected else 0.0
