"""Palmer penguins (package `palmerpenguins`): predict the species, as probabilities."""

from pathlib import Path

import numpy as np
import palmerpenguins

from ascent.tasks.mle.kit import constant_submission, random_ids, shuffled_split, write_competition

CLASSES = ["Adelie", "Chinstrap", "Gentoo"]


def prepare(raw: Path, public: Path, private: Path, seed: int = 11) -> None:
    frame = palmerpenguins.load_penguins()
    rng = np.random.default_rng(seed)
    frame.insert(0, "id", random_ids(len(frame), rng, prefix="p"))
    train, test = shuffled_split(frame, test_size=0.45, seed=seed, stratify="species")
    sample = constant_submission(test["id"], "id", {c: round(1 / 3, 4) for c in CLASSES})
    write_competition(public, private, train, test, "id", ["species"], sample)
