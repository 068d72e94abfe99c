"""Fair's affairs survey (package `statsmodels`): has the woman had an affair? As a probability."""

from pathlib import Path

import numpy as np
import statsmodels.api as sm

from ascent.tasks.mle.kit import constant_submission, random_ids, shuffled_split, write_competition

WHOLE = ["rate_marriage", "religious", "educ", "occupation", "occupation_husb"]


def prepare(raw: Path, public: Path, private: Path, seed: int = 23) -> None:
    frame = sm.datasets.fair.load_pandas().data
    frame[WHOLE] = frame[WHOLE].astype(int)
    frame["affair"] = (frame.pop("affairs") > 0).astype(int)
    rng = np.random.default_rng(seed)
    frame.insert(0, "id", random_ids(len(frame), rng, prefix="m"))
    train, test = shuffled_split(frame, test_size=0.4, seed=seed, stratify="affair")
    sample = constant_submission(test["id"], "id", {"affair": 0.5})
    write_competition(public, private, train, test, "id", ["affair"], sample)
