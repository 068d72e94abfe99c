"""Reference solution: standardised features, ridge regression with the penalty chosen by CV."""

import argparse
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.linear_model import RidgeCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

parser = argparse.ArgumentParser()
parser.add_argument("--data", type=Path, required=True)
parser.add_argument("--out", type=Path, required=True)
args = parser.parse_args()

train = pd.read_csv(args.data / "train.csv")
test = pd.read_csv(args.data / "test.csv")
features = [c for c in test.columns if c != "id"]
model = make_pipeline(StandardScaler(), RidgeCV(alphas=np.logspace(-3, 3, 30)))
model.fit(train[features], train["progression"])
submission = pd.DataFrame({"id": test["id"], "progression": model.predict(test[features])})
submission.to_csv(args.out, index=False)
