"""Reference solution: gradient boosting (LightGBM) on the specs, yes/no flags as 0/1."""

import argparse
from pathlib import Path

import lightgbm as lgb
import pandas as pd

parser = argparse.ArgumentParser()
parser.add_argument("--data", type=Path, required=True)
parser.add_argument("--out", type=Path, required=True)
args = parser.parse_args()

train = pd.read_csv(args.data / "train.csv")
test = pd.read_csv(args.data / "test.csv")
features = ["speed", "hd", "ram", "screen", "cd", "multi", "premium", "ads", "trend"]


def encode(frame: pd.DataFrame) -> pd.DataFrame:
    out = frame[features].copy()
    for column in ["cd", "multi", "premium"]:
        out[column] = (out[column] == "yes").astype(int)
    return out


model = lgb.LGBMRegressor(
    n_estimators=1500,
    learning_rate=0.03,
    num_leaves=31,
    min_child_samples=10,
    subsample=0.8,
    subsample_freq=1,
    colsample_bytree=0.8,
    n_jobs=1,
    random_state=0,
    verbose=-1,
)
model.fit(encode(train), train["price"])
submission = pd.DataFrame({"id": test["id"], "price": model.predict(encode(test))})
submission.to_csv(args.out, index=False)
