"""Score of one reply: the judge's length-controlled verdict against the reference.

The judge (`ascent.tasks.rl.judge`) was trained at prepare time and lives in `private/`: the
grader builds the scoring function with `scorer(private_dir)`. The metric, the mean verdict over
the held-out instructions, is a length-controlled win rate: a reply as good as the reference
scores 0.5, and making a reply longer gains nothing by itself.
"""

from pathlib import Path

from ascent.tasks.rl import judge


def scorer(private_dir: Path):
    return judge.scorer(private_dir, length_controlled=True)


def score(prediction: str, example: dict) -> float:
    raise RuntimeError("this task is scored by its judge: build the function with scorer()")
