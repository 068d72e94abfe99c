"""Handwritten digits (scikit-learn `load_digits`): classify 8x8 images, Digit Recognizer style."""

from pathlib import Path

import numpy as np
import pandas as pd
from PIL import Image
from sklearn.datasets import load_digits

from ascent.tasks.mle.kit import constant_submission, random_ids, shuffled_split, write_competition

PIXELS = [f"pixel{k}" for k in range(64)]


def prepare(raw: Path, public: Path, private: Path, seed: int = 31) -> None:
    digits = load_digits()
    frame = pd.DataFrame(digits.data.astype(int), columns=PIXELS)
    frame.insert(0, "label", digits.target.astype(int))
    rng = np.random.default_rng(seed)
    frame.insert(0, "id", random_ids(len(frame), rng, prefix="d"))
    train, test = shuffled_split(frame, test_size=0.75, seed=seed, stratify="label")
    mode = int(train["label"].value_counts().sort_index(kind="stable").idxmax())
    sample = constant_submission(test["id"], "id", {"label": mode})
    write_competition(public, private, train, test, "id", ["label"], sample)
    images = public / "images"
    images.mkdir()
    for row in frame.itertuples(index=False):
        pixels = np.array(row[2:], dtype=float).reshape(8, 8)
        scaled = np.rint(pixels * 255 / 16).astype(np.uint8)
        Image.fromarray(scaled).save(images / f"{row.id}.png")
