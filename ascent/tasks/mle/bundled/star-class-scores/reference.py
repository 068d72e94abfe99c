"""Reference solution: one LightGBM model per score, school and class type as categories."""

import argparse
from pathlib import Path

import lightgbm as lgb
import pandas as pd

TARGETS = ["tmathssk", "treadssk"]
CATEGORICAL = ["classk", "sex", "freelunk", "race", "schidkn"]

parser = argparse.ArgumentParser()
parser.add_argument("--data", type=Path, required=True)
parser.add_argument("--out", type=Path, required=True)
args = parser.parse_args()

train = pd.read_csv(args.data / "train.csv")
test = pd.read_csv(args.data / "test.csv")


def features(frame: pd.DataFrame) -> pd.DataFrame:
    out = frame[["totexpk", *CATEGORICAL]].copy()
    for column in CATEGORICAL:
        levels = sorted(train[column].unique())
        out[column] = pd.Categorical(out[column], categories=levels)
    return out


submission = pd.DataFrame({"id": test["id"]})
for target in TARGETS:
    model = lgb.LGBMRegressor(
        n_estimators=300,
        learning_rate=0.03,
        num_leaves=15,
        min_child_samples=20,
        subsample=0.8,
        subsample_freq=1,
        n_jobs=1,
        random_state=0,
        verbose=-1,
    )
    model.fit(features(train), train[target])
    submission[target] = model.predict(features(test))
submission.to_csv(args.out, index=False)
