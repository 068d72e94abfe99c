"""Score of one reply: 1.0 when its final answer is the exact answer, else 0.0.

The final answer is the first number after the last `Answer:` marker (`The answer is`,
`Answer =` and GSM8K's `####` count too); a reply without a marker is read by its last number.
`1,250`, `$12` and `12.0` all read as numbers; digits inside words do not.
"""

from ascent.tasks.rl.kit import final_number, numbers_equal


def score(prediction: str, example: dict) -> float:
    return 1.0 if numbers_equal(final_number(prediction), example.get("answer")) else 0.0
