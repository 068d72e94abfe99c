"""Reference solution: gradient boosting on the prices; rare brands get a boost for macro F1."""

import argparse
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.ensemble import HistGradientBoostingClassifier

parser = argparse.ArgumentParser()
parser.add_argument("--data", type=Path, required=True)
parser.add_argument("--out", type=Path, required=True)
args = parser.parse_args()

train = pd.read_csv(args.data / "train.csv")
test = pd.read_csv(args.data / "test.csv")
features = [c for c in test.columns if c != "id"]
model = HistGradientBoostingClassifier(
    learning_rate=0.05, max_iter=100, max_depth=3, random_state=0
)
model.fit(train[features], train["choice"])
proba = model.predict_proba(test[features])
# Dividing by the square root of each brand's share trades a little accuracy on Heinz
# for recall on the rarer brands, which macro F1 weighs equally.
share = train["choice"].value_counts(normalize=True)[model.classes_].to_numpy()
labels = model.classes_[np.argmax(proba / np.sqrt(share), axis=1)]
pd.DataFrame({"id": test["id"], "choice": labels}).to_csv(args.out, index=False)
