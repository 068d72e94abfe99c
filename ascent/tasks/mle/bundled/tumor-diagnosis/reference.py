"""Reference solution: standardise, logistic regression."""

import argparse
from pathlib import Path

import pandas as pd
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

parser = argparse.ArgumentParser()
parser.add_argument("--data", type=Path, required=True)
parser.add_argument("--out", type=Path, required=True)
args = parser.parse_args()

train = pd.read_csv(args.data / "train.csv")
test = pd.read_csv(args.data / "test.csv")
features = [c for c in test.columns if c != "id"]
model = make_pipeline(StandardScaler(), LogisticRegression(C=1.0, max_iter=5000))
model.fit(train[features], train["diagnosis"])
submission = pd.DataFrame({"id": test["id"], "diagnosis": model.predict(test[features])})
submission.to_csv(args.out, index=False)
