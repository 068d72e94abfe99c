"""Reference solution: an autoregression of order 11 (one solar cycle) iterated 30 years ahead."""

import argparse
from pathlib import Path

import numpy as np
import pandas as pd
from statsmodels.tsa.ar_model import AutoReg

parser = argparse.ArgumentParser()
parser.add_argument("--data", type=Path, required=True)
parser.add_argument("--out", type=Path, required=True)
args = parser.parse_args()

train = pd.read_csv(args.data / "train.csv").sort_values("year")
test = pd.read_csv(args.data / "test.csv")
last = int(train["year"].max())
model = AutoReg(train["sunspots"].to_numpy(), lags=11).fit()
steps = int(test["year"].max()) - last
forecast = model.predict(start=len(train), end=len(train) + steps - 1)
by_year = dict(zip(range(last + 1, last + steps + 1), np.clip(forecast, 0, None), strict=True))
submission = pd.DataFrame({"id": test["id"], "sunspots": test["year"].map(by_year)})
submission.to_csv(args.out, index=False)
