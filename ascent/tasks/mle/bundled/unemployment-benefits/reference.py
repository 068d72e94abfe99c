"""Reference solution: gradient boosting with the yes/no and job-loss columns as categories."""

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
categorical = [c for c in features if not pd.api.types.is_numeric_dtype(train[c])]
for column in categorical:
    levels = sorted(train[column].dropna().unique())
    train[column] = pd.Categorical(train[column], categories=levels)
    test[column] = pd.Categorical(test[column], categories=levels)
model = HistGradientBoostingClassifier(
    learning_rate=0.05, max_iter=150, max_depth=3, categorical_features="from_dtype", random_state=0
)
model.fit(train[features], train["ui"] == "yes")
submission = pd.DataFrame({"id": test["id"], "ui": model.predict_proba(test[features])[:, 1]})
submission.to_csv(args.out, index=False)
