"""Wisconsin diagnostic breast cancer (package `scikit-learn`): malignant or benign?"""

from pathlib import Path

import numpy as np
from sklearn.datasets import load_breast_cancer

from ascent.tasks.mle.kit import constant_submission, random_ids, shuffled_split, write_competition


def _snake(name: str) -> str:
    """`mean radius` -> `radius_mean`, `radius error` -> `radius_se`, `worst area` -> `area_worst`."""
    if name.startswith("mean "):
        name = name.removeprefix("mean ") + " mean"
    elif name.startswith("worst "):
        name = name.removeprefix("worst ") + " worst"
    elif name.endswith(" error"):
        name = name.removesuffix(" error") + " se"
    return name.replace(" ", "_")


def prepare(raw: Path, public: Path, private: Path, seed: int = 31) -> None:
    bunch = load_breast_cancer(as_frame=True)
    frame = bunch.data.rename(columns=_snake)
    frame["diagnosis"] = [str(bunch.target_names[k]) for k in bunch.target]
    rng = np.random.default_rng(seed)
    frame.insert(0, "id", random_ids(len(frame), rng, prefix="t"))
    train, test = shuffled_split(frame, test_size=0.4, seed=seed, stratify="diagnosis")
    sample = constant_submission(test["id"], "id", {"diagnosis": "benign"})
    write_competition(public, private, train, test, "id", ["diagnosis"], sample)
