"""Reference solution: shallow gradient boosting on the survey answers."""

import argparse
from pathlib import Path

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
    learning_rate=0.05, max_iter=150, max_depth=2, random_state=0
)
model.fit(train[features], train["affair"])
submission = pd.DataFrame({"id": test["id"], "affair": model.predict_proba(test[features])[:, 1]})
submission.to_csv(args.out, index=False)
