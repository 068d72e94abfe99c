"""Diabetes (scikit-learn `load_diabetes`, unscaled): predict disease progression after one year."""

from pathlib import Path

import numpy as np
from sklearn.datasets import load_diabetes

from ascent.tasks.mle.kit import constant_submission, random_ids, shuffled_split, write_competition

COLUMNS = {
    "bp": "blood_pressure",
    "s1": "total_cholesterol",
    "s2": "ldl",
    "s3": "hdl",
    "s4": "cholesterol_hdl_ratio",
    "s5": "log_triglycerides",
    "s6": "glucose",
}


def prepare(raw: Path, public: Path, private: Path, seed: int = 23) -> None:
    frame = load_diabetes(as_frame=True, scaled=False).frame.rename(columns=COLUMNS)
    frame = frame.rename(columns={"target": "progression"})
    whole = [c for c in frame.columns if (frame[c] % 1 == 0).all()]
    frame[whole] = frame[whole].astype(int)
    frame = frame[["progression", *[c for c in frame.columns if c != "progression"]]]
    rng = np.random.default_rng(seed)
    frame.insert(0, "id", random_ids(len(frame), rng, prefix="d"))
    train, test = shuffled_split(frame, test_size=0.4, seed=seed)
    sample = constant_submission(
        test["id"], "id", {"progression": round(train["progression"].mean(), 2)}
    )
    write_competition(public, private, train, test, "id", ["progression"], sample)
